"""The resolved form of one date/time expression, shared by the resolver and the range joiner."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from dateutil.relativedelta import relativedelta


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
    weekday: int | None = None  # a bare weekday ("Friday"): re-read after a range's start
    month_day: tuple[int, int] | None = None  # month and day (0: whole month) when no year was given
    year_given: bool = False
    dow: int | None = None  # any weekday named, for "Friday the 26th" and "Tuesday of next week"
    dom: int | None = None  # a day of the month waiting for its month ("the 18th")
    week_of: bool = False  # "the week of ...": the days become their weeks
    iso_week: int | None = None  # "week 23"
    position: str | None = None  # "end", "early", "later", "rest"... of the period beside it
    position_prep: str | None = None
    part_half: str | None = None  # "early" / "late" morning
    part_prep: str | None = None  # "after" / "before" lunch
    within: bool = False  # "within 9 months": from now until then


def year_of(raw: str | None) -> int | None:
    if not raw:
        return None
    y = int(raw)
    return y if y >= 100 else (2000 + y if y < 50 else 1900 + y)


def safe_date(y: int, m: int, d: int) -> date | None:
    try:
        return date(y, m, d)
    except ValueError:
        return None


def around(ref: date, m: int, d: int) -> list[date]:
    """The last occurrence of month/day before ``ref`` and the next one on or after it."""
    past = next((x for y in (ref.year, ref.year - 1) if (x := safe_date(y, m, d)) and x < ref), None)
    future = next((x for y in (ref.year, ref.year + 1) if (x := safe_date(y, m, d)) and x >= ref), None)
    return [x for x in (past, future) if x]


def monday_of(d: date) -> date:
    return d - timedelta(days=d.weekday())
