"""Resolution of the date/time grammar against a reference time, for :mod:`leadflow.reply.times`.

:func:`parse_expressions` groups the scanner's tokens, resolves each group to an
:class:`Expression` (candidate days, a day range, a time or time range, a part of day, a
zone, an exact instant or a duration) and joins "from X to Y" / "before X" into ranges.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from dateutil.relativedelta import relativedelta

from leadflow.reply._time_grammar import (
    LAST_WORDS,
    MONTHS,
    NEXT_WORDS,
    NUMBERS,
    PARTS,
    REL_DAYS,
    WEEKDAYS,
    ZONES,
    Token,
    group_tokens,
    scan,
)


@dataclass
class Expression:
    """One resolved expression (dates are candidates: past and future readings)."""

    text: str
    offset: int
    days: list[date] = field(default_factory=list)
    day_range: tuple[date, date] | None = None
    t_start: time | None = None
    t_end: time | None = None
    end_of_day: bool = False
    part: str | None = None
    open_start: bool = False
    ampm_known: bool = True
    zone: str | None = None
    weekly: bool = False
    exact: datetime | None = None
    duration: timedelta | None = None
    shift: relativedelta | None = None
    alt_range: tuple[date, date] | None = None
    bounds: list[tuple[date | None, date | None]] = field(default_factory=list)
    end: int = 0


def _year(raw: str | None) -> int | None:
    if not raw:
        return None
    y = int(raw)
    return y if y >= 100 else (2000 + y if y < 50 else 1900 + y)


def _safe_date(y: int, m: int, d: int) -> date | None:
    try:
        return date(y, m, d)
    except ValueError:
        return None


def _around(ref: date, m: int, d: int) -> list[date]:
    """The last occurrence of month/day before ``ref`` and the next one on or after it."""
    past = next((x for y in (ref.year, ref.year - 1) if (x := _safe_date(y, m, d)) and x < ref), None)
    future = next((x for y in (ref.year, ref.year + 1) if (x := _safe_date(y, m, d)) and x >= ref), None)
    return [x for x in (past, future) if x]


def _monday(d: date) -> date:
    return d - timedelta(days=d.weekday())


def _in(word: str | None, words: str) -> bool:
    return bool(word) and word in words.split("|")


def _date_part(tok: Token, ref: date, exp: Expression) -> None:
    g = tok.groups
    if tok.kind in {"iso", "mdy", "dmy", "month_day", "day_month", "day_mon_sep", "mon_day_sep"}:
        month = int(str(g["mo"])) if g.get("mo") else MONTHS[str(g["mon"]).rstrip(".")]
        day, year = int(str(g["d"])), _year(g.get("y"))
        if year is not None:
            exp.days = [x] if (x := _safe_date(year, month, day)) else []
        else:
            exp.days = _around(ref, month, day)
        if tok.kind == "iso" and g.get("th"):
            exp.t_start = time(int(str(g["th"])), int(str(g["tm"])))
    elif tok.kind == "rel_day":
        exp.days = [ref + timedelta(days=REL_DAYS[str(g["rel"])])]
        if g["rel"] == "tonight":
            exp.part = "EV"
    elif tok.kind == "weekday":
        wd, mod, post = WEEKDAYS[str(g["wd"]).rstrip(".")], g.get("mod"), g.get("post") or ""
        monday = _monday(ref)
        if mod in {"coming", "upcoming"}:
            exp.days = [ref + timedelta(days=(wd - ref.weekday()) % 7 or 7)]
        elif _in(mod, NEXT_WORDS) or post.startswith(("next", "prochain", "que vem", "nächst", "prossim")):
            exp.days = [monday + timedelta(days=7 + wd)]
        elif _in(mod, LAST_WORDS) or post.startswith("last"):
            exp.days = [monday - timedelta(days=7 - wd)]
        elif (
            mod
            in {
                "this",
                "diesen",
                "diese",
                "dieser",
                "ce",
                "cette",
                "este",
                "esta",
                "deze",
                "questo",
                "questa",
            }
            or post
        ):
            exp.days = [monday + timedelta(days=wd)]
        else:
            ahead = (wd - ref.weekday()) % 7 or 7
            exp.days = [ref + timedelta(days=ahead - 7), ref + timedelta(days=ahead)]
        exp.weekly = str(g["wd"]).endswith("s")
    elif tok.kind == "month":
        month, year = MONTHS[str(g["mon"])], _year(g.get("y"))
        if year is None:
            year = ref.year if month >= ref.month else ref.year + 1
            past = ref.year if month <= ref.month else ref.year - 1
            if past != year:
                exp.alt_range = (date(past, month, 1), date(past + (month == 12), month % 12 + 1, 1))
        end = date(year + (month == 12), month % 12 + 1, 1)
        exp.day_range = (date(year, month, 1), end)
    elif tok.kind in {"rel_unit", "weekend"}:
        unit = g.get("unit") or g.get("unit2") or "weekend"
        mod = g.get("mod") or g.get("mod2") or "this"
        step = (
            1
            if _in(mod, NEXT_WORDS)
            or mod in {"prochaine", "que vem", "próxima", "proxima", "prossima", "nächste"}
            else -1
            if _in(mod, LAST_WORDS)
            else 0
        )
        exp.day_range = _unit_range(str(unit), step, ref)
    elif tok.kind == "quarter":
        q = int(str(g.get("q") or g.get("q2") or 0)) or {
            "first": 1,
            "second": 2,
            "third": 3,
            "fourth": 4,
        }.get(str(g.get("qw")), 0)
        year = _year(g.get("y") or g.get("y2") or g.get("y3")) or ref.year
        mod = g.get("mod")
        if not q:
            cur = (
                (ref.month - 1) // 3
                + ref.year * 4
                + (1 if _in(mod, NEXT_WORDS) else -1 if _in(mod, LAST_WORDS) else 0)
            )
            year, q = cur // 4, cur % 4 + 1
        start = date(year, 3 * q - 2, 1)
        exp.day_range = (start, date(year + (q == 4), (3 * q) % 12 + 1, 1))
    elif tok.kind == "year":
        y = int(str(g["y"]))
        exp.day_range = (date(y, 1, 1), date(y + 1, 1, 1))


def _unit_range(unit: str, step: int, ref: date) -> tuple[date, date]:
    if unit in {"week", "woche", "semaine", "semana", "settimana"}:
        start = _monday(ref) + timedelta(weeks=step)
        return start, start + timedelta(days=7)
    if unit == "weekend":
        start = _monday(ref) + timedelta(weeks=step, days=5)
        return start, start + timedelta(days=2)
    if unit in {"month", "monat", "mois", "mes", "mês", "maand", "mese"}:
        m0 = ref.year * 12 + ref.month - 1 + step
        start = date(m0 // 12, m0 % 12 + 1, 1)
        return start, date((m0 + 1) // 12, (m0 + 1) % 12 + 1, 1)
    y = ref.year + step
    return date(y, 1, 1), date(y + 1, 1, 1)


def _hour(h: int, mark: str | None) -> tuple[int, bool]:
    mark = (mark or "").replace(".", "").strip()
    if mark.startswith("p") and h < 12:
        return h + 12, True
    if mark.startswith("a") and h == 12:
        return 0, True
    return h, bool(mark) or h > 12 or h == 0


def _time_part(tok: Token, exp: Expression, reference: date) -> None:
    g = tok.groups
    if tok.kind == "time":
        suffix = (g.get("suffix") or "").strip()
        h, known = _hour(int(str(g["h"])), suffix if suffix[:1] in "ap" else None)
        known = (
            known
            or suffix in {"uhr", "h"}
            or bool(g.get("m") and len(str(g["h"])) == 2 and str(g["h"]).startswith("0"))
        )
        exp.t_start, exp.ampm_known = time(h, int(g.get("m") or 0)), known
        prep = g.get("prep") or ""
        if prep in {"after", "later than", "ab", "nach", "dopo", "après", "desde", "depois das", "from"}:
            exp.end_of_day = True
        elif prep in {"before", "vor", "avant"}:
            exp.t_start, exp.t_end, exp.open_start = None, time(h, int(g.get("m") or 0)), True
    elif tok.kind == "time_range":
        ap1, ap2 = g.get("ap1"), g.get("ap2")
        h1, h2 = int(str(g["h1"])), int(str(g["h2"]))
        if ap2 and not ap1:
            ap1 = ap2 if (h1 <= h2 or h2 == 12) and not (h1 == 12) else ("a" if ap2.startswith("p") else "p")
        (h1, k1), (h2, k2) = _hour(h1, ap1), _hour(h2, ap2)
        exp.t_start, exp.t_end = time(h1, int(g.get("m1") or 0)), time(h2, int(g.get("m2") or 0))
        exp.ampm_known = k1 or k2
    elif tok.kind == "part":
        exp.part = PARTS[str(g["part"])]
        if g.get("this") and not exp.days:
            exp.days = [reference]
    elif tok.kind == "tz":
        exp.zone = ZONES[str(g["tz"])]


_UNITS = {"min": "minutes", "hou": "hours", "hrs": "hours", "hr": "hours", "day": "days", "wee": "weeks",
          "for": "weeks", "mon": "months", "yea": "years"}  # fmt: skip


def _amount(tok: Token) -> tuple[str, float]:
    raw = str(tok.groups["n"])
    n = float(raw) if raw[0].isdigit() else NUMBERS[raw]
    unit = _UNITS[str(tok.groups["unit"])[:3]]
    if str(tok.groups["unit"]).startswith("fortnight"):
        n *= 2
    return unit, n


def _shift_of(tok: Token) -> relativedelta:
    unit, n = _amount(tok)
    if unit == "months":
        delta = relativedelta(months=int(n))
    elif unit == "years":
        delta = relativedelta(years=int(n))
    else:
        per = {"minutes": 1, "hours": 60, "days": 1440, "weeks": 10080}[unit]
        delta = relativedelta(minutes=round(n * per))  # normalised into days/hours/minutes
    return -delta if tok.groups.get("dir") in {"ago", "before"} else delta


def _special(tok: Token, ref: datetime, exp: Expression) -> bool:
    """Tokens that resolve against the full reference time; True when handled."""
    if tok.kind == "shift":
        exp.shift = _shift_of(tok)
    elif tok.kind == "duration":
        unit, n = _amount(tok)
        days = {"months": 30 * n, "years": 365 * n}.get(unit)
        exp.duration = timedelta(days=days) if days is not None else timedelta(**{unit: n})
    elif tok.kind == "now":
        exp.exact = ref
    elif tok.kind == "eod":
        exp.days = [ref.date() + timedelta(days=1 if tok.groups.get("rel") == "tomorrow" else 0)]
        exp.t_start = time(23, 59, 59)
    else:
        return False
    return True


def _apply_shift(exp: Expression, ref: datetime) -> None:
    assert exp.shift is not None
    delta = exp.shift
    if delta.hours or delta.minutes:
        exp.exact = ref + delta
        return
    bases = exp.days or ([exp.day_range[0]] if exp.day_range else [ref.date()])
    exp.day_range = None
    exp.days = [b + delta for b in bases[-1:]]


def parse_expressions(text: str, reference: date | datetime) -> list[Expression]:
    """Group tokens of ``text`` into expressions resolved against ``reference``."""
    ref_dt = reference if isinstance(reference, datetime) else datetime.combine(reference, time())
    reference = ref_dt.date()
    out: list[Expression] = []
    for group in group_tokens(text, scan(text)):
        exp = Expression(text=text[group[0].start : group[-1].end], offset=group[0].start, end=group[-1].end)
        for tok in group:
            if _special(tok, ref_dt, exp):
                continue
            if tok.kind in {"time", "time_range", "part", "tz"}:
                _time_part(tok, exp, reference)
            else:
                _date_part(tok, reference, exp)
        if exp.shift is not None:
            _apply_shift(exp, ref_dt)
        if (
            exp.part
            and exp.t_start
            and not exp.ampm_known
            and exp.part in {"AF", "EV", "NI"}
            and exp.t_start.hour < 12
        ):
            exp.t_start = exp.t_start.replace(hour=exp.t_start.hour + 12)
            if exp.t_end and exp.t_end.hour < 12:
                exp.t_end = exp.t_end.replace(hour=exp.t_end.hour + 12)
            exp.ampm_known = True
        if exp.days or exp.day_range or exp.t_start or exp.t_end or exp.part or exp.exact or exp.duration:
            if [t.kind for t in group] == ["tz"]:
                continue
            out.append(exp)
    return _join_ranges(text, out)


def _spans(exp: Expression) -> list[tuple[date, date]]:
    """Each reading of a date-only expression as a half-open span of days."""
    if exp.t_start or exp.t_end or exp.part or exp.exact or exp.duration or exp.bounds:
        return []
    if exp.days:
        return [(d, d + timedelta(days=1)) for d in exp.days]
    return [r for r in (exp.alt_range, exp.day_range) if r]


_RANGE_GLUE = re.compile(
    r"^\s*(?:-|–|—|~|to|through|thru|till|until|and|bis|au|al|a|até|tot|fino al)\s*$", re.IGNORECASE
)
_RANGE_OPEN = re.compile(
    r"(?:\bfrom|\bbetween|\bvon|\bdu|\bdel|\bde|\bvan|\bdal)\s+(?:the\s+)?$", re.IGNORECASE
)
_BEFORE = re.compile(
    r"\b(?:before|prior to|no later than|until|till|by the end of|vor|avant|antes de)\s+(?:the\s+)?$",
    re.IGNORECASE,
)
_AFTER = re.compile(r"\b(?:after|later than|nach|après|después de)\s+(?:the\s+)?$", re.IGNORECASE)
_SINCE = re.compile(
    r"\b(?:since|starting(?: from)?|beginning|from|as of|seit|depuis|desde)\s+(?:the\s+)?$", re.IGNORECASE
)


def _join_ranges(text: str, exps: list[Expression]) -> list[Expression]:
    """ "from X to Y" becomes one range; "before/after/since X" an open one."""
    out: list[Expression] = []
    i = 0
    while i < len(exps):
        a = exps[i]
        b = exps[i + 1] if i + 1 < len(exps) else None
        before = text[max(0, a.offset - 30) : a.offset]
        if b is not None and _spans(a) and _spans(b) and _RANGE_GLUE.match(text[a.end : b.offset]):
            glue = text[a.end : b.offset].strip().lower()
            if glue != "and" or _RANGE_OPEN.search(before):
                sa, sb = _spans(a), _spans(b)
                pairs = [
                    (x[0], y[0])
                    for x, y in zip(sa, sb[-len(sa) :] if len(sb) >= len(sa) else sb * len(sa), strict=False)
                ]
                pairs += [(sa[-1][0], sb[-1][0])]
                merged = Expression(text=text[a.offset : b.end], offset=a.offset, end=b.end)
                merged.bounds = [(x, y) for x, y in dict.fromkeys(pairs) if x < y] or [(sa[-1][0], sb[-1][0])]
                out.append(merged)
                i += 2
                continue
        spans = _spans(a)
        if spans and _BEFORE.search(before):
            a.bounds = [(None, lo) for lo, _ in spans]
        elif spans and _AFTER.search(before):
            a.bounds = [(hi, None) for _, hi in spans]
        elif spans and _SINCE.search(before) and not a.days:
            a.bounds = [(lo, None) for lo, _ in spans]
        out.append(a)
        i += 1
    return out
