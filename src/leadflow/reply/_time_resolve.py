"""Resolution of the date/time grammar against a reference time, for :mod:`leadflow.reply.times`.

:func:`parse_expressions` groups the scanner's tokens, resolves each group to an
:class:`Expression` (candidate days, a day range, a time or time range, a part of day, a
zone, an exact instant or a duration). Phrase-level tokens ("the 18th", "end of the
month", "half past nine") are read by :mod:`~leadflow.reply._time_phrases`; "from X to Y" and
"before X" are joined by :mod:`~leadflow.reply._time_ranges`.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from dateutil.relativedelta import relativedelta

from leadflow.reply._time_expr import Expression, around, monday_of, safe_date, year_of
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
from leadflow.reply._time_phrases import finish, resolve_phrase, set_point
from leadflow.reply._time_ranges import join_ranges
from leadflow.reply._time_words import ORDINALS, ordinal_value


def _in(word: str | None, words: str) -> bool:
    return bool(word) and word in words.split("|")


def _date_part(tok: Token, ref: date, exp: Expression) -> None:
    g = tok.groups
    if tok.kind in {"iso", "mdy", "dmy", "month_day", "day_month", "day_mon_sep", "mon_day_sep"}:
        month = int(str(g["mo"])) if g.get("mo") else MONTHS[str(g["mon"]).rstrip(".")]
        day = int(str(g["d"])) if g.get("d") else ORDINALS[str(g["dw"])]
        year = year_of(g.get("y"))
        if year is not None:
            exp.days = [x] if (x := safe_date(year, month, day)) else []
            exp.year_given = True
        else:
            exp.days = around(ref, month, day)
            exp.month_day = (month, day)
        if tok.kind == "iso" and g.get("th"):
            exp.t_start = time(int(str(g["th"])), int(str(g["tm"])))
    elif tok.kind == "rel_day":
        exp.days = [ref + timedelta(days=REL_DAYS[str(g["rel"])])]
        if g["rel"] == "tonight":
            exp.part = "EV"
        elif g["rel"] == "last night":
            exp.part = "NI"
    elif tok.kind == "weekday":
        wd, mod, post = (
            WEEKDAYS[str(g["wd"]).rstrip(".")],
            g.get("mod"),
            (g.get("post") or "").removeprefix("of "),
        )
        exp.dow = wd
        if g.get("dom"):
            raw = str(g["dom"])
            exp.dom = int(raw) if raw.isdigit() else ordinal_value(raw)
        monday = monday_of(ref)
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
            exp.weekday = wd
        exp.weekly = str(g["wd"]).endswith("s")
    elif tok.kind == "month":
        month, year = MONTHS[str(g["mon"])], year_of(g.get("y"))
        exp.year_given = year is not None
        if year is None:
            exp.month_day = (month, 0)
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
        year = year_of(g.get("y") or g.get("y2") or g.get("y3")) or ref.year
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
        exp.year_given = True
        exp.day_range = (date(y, 1, 1), date(y + 1, 1, 1))


def _unit_range(unit: str, step: int, ref: date) -> tuple[date, date]:
    if unit in {"week", "woche", "semaine", "semana", "settimana"}:
        start = monday_of(ref) + timedelta(weeks=step)
        return start, start + timedelta(days=7)
    if unit == "weekend":
        start = monday_of(ref) + timedelta(weeks=step, days=5)
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
        if suffix in {"noon"}:
            h, known = 12, True
        prep = "after" if g.get("later") else g.get("prep")
        set_point(exp, time(h, int(g.get("m") or 0)), known, prep)
    elif tok.kind == "time_range":
        ap1, ap2 = g.get("ap1"), g.get("ap2")
        h1, h2 = int(str(g["h1"])), int(str(g["h2"]))
        if ap2 and not ap1:
            ap1 = ap2 if (h1 <= h2 or h2 == 12) and not (h1 == 12) else ("a" if ap2.startswith("p") else "p")
        (h1, k1), (h2, k2) = _hour(h1, ap1), _hour(h2, ap2)
        m1, m2 = int(g.get("m1") or 0), int(g.get("m2") or 0)
        if ap2 and ap2.startswith("a") and h2 == 0 and h1 < 12:
            h2 = 12  # "10am-12am" is a slip for noon
        elif not ap2 and (h2, m2) <= (h1, m1) and h2 < 12:
            # "10-4", "9-6 PT", "8am-3": the end is in the afternoon, as in business hours.
            h2, k2 = h2 + 12, True
        exp.t_start, exp.t_end = time(h1, m1), time(h2, m2)
        exp.ampm_known = k1 or k2
    elif tok.kind == "part":
        exp.part = PARTS[str(g["part"])]
        exp.part_half, exp.part_prep = g.get("half"), g.get("pprep")
        if g.get("this") and not exp.days:
            exp.days = [reference]
    elif tok.kind == "tz":
        exp.zone = "UTC" + str(g["off"]).replace(" ", "") if g.get("off") else ZONES[str(g["tz"])]


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
        exp.within = tok.groups.get("in") == "within"
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
    if exp.within and not exp.days and not exp.day_range:
        exp.day_range = (ref.date(), ref.date() + delta)  # "within 9 months"
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
            if _special(tok, ref_dt, exp) or resolve_phrase(tok, reference, exp):
                continue
            if tok.kind in {"time", "time_range", "part", "tz"}:
                _time_part(tok, exp, reference)
            else:
                _date_part(tok, reference, exp)
        if exp.shift is not None:
            _apply_shift(exp, ref_dt)
        finish(exp, reference)
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
    return join_ranges(text, out)
