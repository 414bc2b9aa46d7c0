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

import re
from dataclasses import replace
from datetime import date, datetime, time, timedelta, timezone, tzinfo
from typing import Any
from zoneinfo import ZoneInfoNotFoundError

from pydantic import BaseModel, model_validator

from leadflow.domain.models import zone
from leadflow.exceptions import InvalidInput
from leadflow.reply._time_expr import Expression
from leadflow.reply._time_resolve import parse_expressions

MEETING_MINUTES = 30
BUSINESS_PARTS = {
    "MO": (9, 12),
    "AF": (13, 17),
    "EV": (17, 20),
    "NI": (19, 22),
    "LU": (12, 14),
    "NOON": (12, 13),
    "DAY": (9, 17),
}
RECOGNIZER_PARTS = {
    "MO": (8, 12),
    "AF": (12, 16),
    "EV": (16, 20),
    "NI": (20, 24),
    "LU": (11, 13),
    "NOON": (12, 12),
    "DAY": (8, 18),
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


def _zone(name: str) -> tzinfo:
    """An IANA zone (kept by ``domain.models.zone``), or a fixed offset written as "UTC+2" /
    "GMT-05:30". A name that is not a zone fails every time."""
    offset = re.fullmatch(r"UTC([+-])(\d{1,2}):?(\d\d)?", name)
    if offset:
        sign = 1 if offset[1] == "+" else -1
        return timezone(sign * timedelta(hours=int(offset[2]), minutes=int(offset[3] or 0)))
    try:
        return zone(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise InvalidInput(f"unknown time zone {name!r}") from exc


def _part_hours(exp: Expression, table: dict[str, tuple[int, int]]) -> tuple[int | None, int | None]:
    """Hours of the part of day: "late afternoon" is its second half, "after lunch" opens at its end."""
    lo, hi = table.get(exp.part or "", (0, 0))
    if exp.part_half in {"early", "earlier"}:
        hi = (lo + hi) // 2
    elif exp.part_half in {"late", "later"}:
        lo = (lo + hi) // 2
    if exp.part_prep == "after":
        return hi, None
    if exp.part_prep == "before":
        return None, lo
    return lo, hi


# ------------------------------------------------------------------------------- proposals


def _business_hour(t: time, known: bool) -> time:
    """An hour written without am/pm ("at 3") means the afternoon when it is 1-7."""
    return t.replace(hour=t.hour + 12) if not known and 1 <= t.hour <= 7 else t


def _slot(exp: Expression, day: date) -> tuple[time, time] | None:
    part_lo, part_hi = _part_hours(exp, BUSINESS_PARTS) if exp.part else (9, 17)
    lo = part_lo if part_lo is not None else max(7, (part_hi or 12) - 3)
    hi = part_hi if part_hi is not None else max(17, lo + 2)
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
    if exp.bounds:
        vals = []
        for lo, hi in exp.bounds:
            vals.append({k: v.isoformat() for k, v in (("start", lo), ("end", hi)) if v is not None})
        return "daterange", vals
    t_start, t_end = exp.t_start, exp.t_end
    after, before = exp.end_of_day, exp.open_start
    if exp.part and not t_start and not t_end:
        h_lo, h_hi = _part_hours(exp, RECOGNIZER_PARTS)
        t_start = time(h_lo) if h_lo is not None else None
        t_end = (time(23, 59, 59) if h_hi >= 24 else time(h_hi)) if h_hi is not None else None
        after, before = after or t_end is None, before or t_start is None
    if after and t_start and not t_end and not exp.part:
        t_end = time(23, 59, 59)
    if exp.days:
        if after and t_start and (not exp.part or exp.t_start):
            return "datetimerange", [{"start": f"{d} {_iso_time(t_start)}"} for d in exp.days]
        if before and t_end:
            return "datetimerange", [{"end": f"{d} {_iso_time(t_end)}"} for d in exp.days]
        if t_start and t_end:
            vals = [
                {"start": f"{d} {_iso_time(t_start)}", "end": f"{d} {_iso_time(t_end)}"} for d in exp.days
            ]
            return "datetimerange", vals
        if t_start:
            return "datetime", [{"value": f"{d} {_iso_time(t_start)}"} for d in exp.days]
        return "date", [{"value": d.isoformat()} for d in exp.days]
    if exp.day_range:
        ranges = [r for r in (exp.day_range, exp.alt_range) if r]
        return "daterange", [{"start": lo.isoformat(), "end": hi.isoformat()} for lo, hi in ranges]
    if after and t_start:
        return "timerange", [{"start": _iso_time(t_start)}]
    if before and t_end:
        return "timerange", [{"end": _iso_time(t_end)}]
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
        parts = [exp]
        if exp.day_range and not exp.days and (exp.t_start or exp.t_end or exp.part):
            # "next week in the afternoon": a date range and a time of day, reported apart.
            parts = [
                replace(exp, t_start=None, t_end=None, part=None),
                replace(exp, day_range=None, alt_range=None),
            ]
        for piece in parts:
            kind, values = _recognizer_values(piece)
            if values:
                out.append({"text": piece.text, "offset": piece.offset, "type": kind, "values": values})
    return out


__all__ = ["TimeRange", "extract_proposed_times", "resolve_datetime_expressions"]
