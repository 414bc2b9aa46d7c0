"""Dates and times in replies: proposed meeting slots, resolved against a reference time.

Two entry points share one grammar (:mod:`leadflow.reply._time_grammar`):

* :func:`extract_proposed_times` turns "Tuesday at 3pm works", "any morning next week after
  9 ET" or "mardi à 15h" into aware :class:`TimeRange` values in the zone the writer meant
  (a zone abbreviation in the text wins over the lead's zone). Zones come from ``zoneinfo``,
  so daylight saving time is right on both sides of a change. A point in time becomes a
  30-minute slot; a part of day uses business hours (morning 9-12, afternoon 13-17).
* :func:`resolve_datetime_expressions` lists every expression with its resolution in the
  Microsoft Recognizers format, for :mod:`leadflow.reply.time_eval`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from dateutil.relativedelta import relativedelta
from pydantic import BaseModel, model_validator

from leadflow.exceptions import InvalidInput
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

MEETING_MINUTES = 30
BUSINESS_PARTS = {
    "MO": (9, 12),
    "AF": (13, 17),
    "EV": (17, 20),
    "NI": (19, 22),
    "LU": (12, 14),
    "NOON": (12, 13),
}
RECOGNIZER_PARTS = {
    "MO": (8, 12),
    "AF": (12, 16),
    "EV": (16, 20),
    "NI": (20, 24),
    "LU": (11, 13),
    "NOON": (12, 12),
}


class TimeRange(BaseModel):
    """A proposed slot: aware ``start`` before aware ``end``."""

    start: datetime
    end: datetime

    @model_validator(mode="after")
    def _ordered(self) -> TimeRange:
        if self.start.tzinfo is None or self.end.tzinfo is None:
            raise ValueError("TimeRange needs aware datetimes")
        if self.end <= self.start:
            raise ValueError("TimeRange end must be after start")
        return self


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


def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise InvalidInput(f"unknown time zone {name!r}") from exc


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
        if _in(mod, NEXT_WORDS) or post.startswith(("next", "prochain", "que vem", "nächst", "prossim")):
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


def _time_part(tok: Token, exp: Expression) -> None:
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
        if prep in {"after", "ab", "nach", "dopo", "après", "desde", "depois das", "from"}:
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
        exp = Expression(text=text[group[0].start : group[-1].end], offset=group[0].start)
        for tok in group:
            if _special(tok, ref_dt, exp):
                continue
            if tok.kind in {"time", "time_range", "part", "tz"}:
                _time_part(tok, exp)
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
    return out


# ------------------------------------------------------------------------------- proposals


def _business_hour(t: time, known: bool) -> time:
    """An hour written without am/pm ("at 3") means the afternoon when it is 1-7."""
    return t.replace(hour=t.hour + 12) if not known and 1 <= t.hour <= 7 else t


def _slot(exp: Expression, day: date) -> tuple[time, time] | None:
    lo, hi = BUSINESS_PARTS.get(exp.part or "", (9, 17))
    if exp.t_start and exp.t_end:
        start, end = _business_hour(exp.t_start, exp.ampm_known), _business_hour(exp.t_end, exp.ampm_known)
        return (start, end) if end > start else None
    if exp.t_start:
        start = _business_hour(exp.t_start, exp.ampm_known)
        if exp.end_of_day:
            end_hour = hi if exp.part else max(17, start.hour + 1)
            return (
                (start, time(min(end_hour, 23), 59 if end_hour >= 24 else 0))
                if end_hour > start.hour
                else None
            )
        slot_end = (datetime.combine(day, start) + timedelta(minutes=MEETING_MINUTES)).time()
        return (start, slot_end) if slot_end > start else (start, time(23, 59))
    if exp.t_end and exp.open_start:
        return (time(lo), _business_hour(exp.t_end, exp.ampm_known))
    return (time(lo), time(min(hi, 23), 59 if hi >= 24 else 0))


def extract_proposed_times(text: str, *, now: datetime, tz: str) -> list[TimeRange]:
    """Meeting times a reply proposes, as aware ranges.

    Args:
        text: The new text of the reply.
        now: When the reply was written (aware; naive is read in ``tz``).
        tz: The lead's IANA zone, used unless the text names a zone ("9 ET", "4pm CET").

    Returns:
        Future ranges in the order they appear. "Any morning next week" gives one range per
        weekday morning; a point in time gives a 30-minute slot.

    Raises:
        InvalidInput: ``tz`` is not a known zone.
    """
    lead_zone = _zone(tz)
    now = now.replace(tzinfo=lead_zone) if now.tzinfo is None else now
    exps = parse_expressions(text, now.astimezone(lead_zone).replace(tzinfo=None))
    named = next((e.zone for e in exps if e.zone), None)
    ranges: list[TimeRange] = []
    for exp in exps:
        has_time = bool(exp.t_start or exp.t_end or exp.part)
        zone = _zone(exp.zone or named or tz)
        today = now.astimezone(zone).date()
        if exp.days:
            days = [d for d in exp.days if d >= today][:1]
        elif exp.day_range and has_time:
            lo, hi = exp.day_range
            days = [
                lo + timedelta(days=i)
                for i in range((hi - lo).days)
                if (lo + timedelta(days=i)).weekday() < 5
            ]
        elif exp.day_range or not has_time:
            continue
        else:
            days = [today, today + timedelta(days=1)]
        picked: list[TimeRange] = []
        for day in days:
            slot = _slot(exp, day)
            if slot is None:
                continue
            start = datetime.combine(day, slot[0], tzinfo=zone)
            end = datetime.combine(day, slot[1], tzinfo=zone)
            if end > now and end > start:
                picked.append(TimeRange(start=start, end=end))
            if picked and not exp.day_range:
                break
        ranges.extend(picked)
    return ranges


# ------------------------------------------------------------------------------- evaluation


def _iso_time(t: time) -> str:
    return t.strftime("%H:%M:%S")


def _recognizer_values(exp: Expression) -> tuple[str, list[dict[str, str]]]:
    if exp.exact is not None:
        return "datetime", [{"value": exp.exact.strftime("%Y-%m-%d %H:%M:%S")}]
    if exp.duration is not None:
        return "duration", [{"value": str(int(exp.duration.total_seconds()))}]
    part = RECOGNIZER_PARTS.get(exp.part or "")
    t_start, t_end = exp.t_start, exp.t_end
    if part and not t_start and not t_end:
        t_start, t_end = time(part[0]), time(23, 59, 59) if part[1] >= 24 else time(part[1])
    if exp.end_of_day and t_start and not t_end:
        t_end = time(23, 59, 59)
    if exp.days:
        if t_start and t_end:
            vals = [
                {"start": f"{d} {_iso_time(t_start)}", "end": f"{d} {_iso_time(t_end)}"} for d in exp.days
            ]
            return "datetimerange", vals
        if t_start:
            return "datetime", [{"value": f"{d} {_iso_time(t_start)}"} for d in exp.days]
        return "date", [{"value": d.isoformat()} for d in exp.days]
    if exp.day_range:
        lo, hi = exp.day_range
        return "daterange", [{"start": lo.isoformat(), "end": hi.isoformat()}]
    if t_start and t_end:
        vals = [{"start": _iso_time(t_start), "end": _iso_time(t_end)}]
        if not exp.ampm_known and t_end.hour < 12:
            vals.append(
                {
                    "start": _iso_time(t_start.replace(hour=t_start.hour + 12)),
                    "end": _iso_time(t_end.replace(hour=t_end.hour + 12)),
                }
            )
        return "timerange", vals
    if t_start:
        vals = [{"value": _iso_time(t_start)}]
        if not exp.ampm_known and t_start.hour < 12:
            vals.append({"value": _iso_time(t_start.replace(hour=t_start.hour + 12))})
        return "time", vals
    return "timerange", []


def resolve_datetime_expressions(text: str, reference: datetime) -> list[dict[str, Any]]:
    """Every date/time expression in ``text`` resolved against ``reference``.

    Args:
        text: Any sentence.
        reference: The time the text was written (naive or aware; only its wall clock is used).

    Returns:
        One dict per expression: ``text``, ``offset``, ``type`` (``date``, ``time``,
        ``datetime``, ``daterange``, ``timerange``, ``datetimerange``) and ``values``, a list
        of candidate readings with ``value`` or ``start``/``end`` strings in the Microsoft
        Recognizers format (``2016-11-08``, ``2016-11-08 08:00:00``, ``08:00:00``).
    """
    out: list[dict[str, Any]] = []
    for exp in parse_expressions(text, reference.replace(tzinfo=None)):
        kind, values = _recognizer_values(exp)
        if values:
            out.append({"text": exp.text, "offset": exp.offset, "type": kind, "values": values})
    return out


__all__ = ["TimeRange", "extract_proposed_times", "resolve_datetime_expressions"]
