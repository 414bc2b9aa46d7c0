"""The calendar port: what an appointment agent may ask of a rep's calendar.

A ``Calendar`` answers three questions and takes two orders:

* ``busy(start, end)``: the rep's busy intervals overlapping ``[start, end)``, in UTC;
* ``free_slots(after, ...)``: a few free meeting starts inside working hours, spread over days;
* ``book(start, end, owner=...)``: reserve a slot, or raise ``Conflict`` when it is taken;
  booking again with the same ``booking_id`` moves that booking (a reschedule);
* ``cancel(booking_id)``: release it.

The slot search lives here once (:func:`search_free_slots`) so every backend proposes the same
way: one slot per working day, the preferred hour rotating morning/afternoon, times built
from the rep's wall clock with ``zoneinfo`` (so a slot after a DST change keeps its local hour).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Protocol, runtime_checkable
from zoneinfo import ZoneInfo

from leadflow.exceptions import InvalidInput

SLOT = timedelta(minutes=30)
#: How far ahead a search looks before giving up.
HORIZON = timedelta(days=90)

Interval = tuple[datetime, datetime]
BusyFn = Callable[[datetime, datetime], list[Interval]]


@dataclass(frozen=True)
class WorkingHours:
    """The rep's bookable hours, in the rep's time zone.

    Attributes:
        start: first possible meeting start (local wall clock).
        end: meetings end by this time.
        days: weekdays open for meetings (Monday is 0).
        preferred: starting hours tried first, slot by slot, so offers alternate
            morning and afternoon.
        step: granularity of possible starts.
    """

    start: time = time(9, 0)
    end: time = time(17, 0)
    days: frozenset[int] = frozenset({0, 1, 2, 3, 4})
    preferred: tuple[int, ...] = (10, 14, 11, 15, 9, 16)
    step: timedelta = SLOT

    @classmethod
    def from_settings(cls, raw: object) -> WorkingHours:
        """From a campaign's ``settings["rep_hours"]``: ``{"start": "08:30", "end": "18:00",
        "days": [0, 1, 2, 3, 4]}``, any key optional; ``None`` gives office hours (Mon-Fri 9-17)."""
        if raw is None:
            return OFFICE_HOURS
        if not isinstance(raw, dict):
            raise InvalidInput(
                f"rep_hours must be a mapping like {{'start': '09:00', 'end': '17:00'}}, not {raw!r}"
            )
        try:
            start = time.fromisoformat(str(raw.get("start", "09:00")))
            end = time.fromisoformat(str(raw.get("end", "17:00")))
            days = frozenset(int(d) for d in raw.get("days", (0, 1, 2, 3, 4)))
        except (TypeError, ValueError) as exc:
            raise InvalidInput(f"rep_hours: {exc} (times as HH:MM, days as 0=Monday .. 6=Sunday)") from exc
        if end <= start or not days or not days <= set(range(7)):
            raise InvalidInput(f"rep_hours: need start before end and days within 0..6, got {raw!r}")
        preferred = tuple(h for h in cls.preferred if start.hour <= h < end.hour) or (start.hour,)
        return cls(start=start, end=end, days=days, preferred=preferred)

    def starts(self, day: date, tz: ZoneInfo, duration: timedelta) -> list[datetime]:
        """Every possible start on ``day`` (empty on a closed day)."""
        if day.weekday() not in self.days:
            return []
        out: list[datetime] = []
        at = datetime.combine(day, self.start, tzinfo=tz)
        close = datetime.combine(day, self.end, tzinfo=tz)
        while at + duration <= close:
            out.append(at)
            at += self.step  # wall-clock arithmetic: 09:00, 09:30, ... on this date
        return out

    def contains(self, start: datetime, end: datetime, tz: ZoneInfo) -> bool:
        """True when ``[start, end)`` falls inside one open day's hours."""
        local_start, local_end = start.astimezone(tz), end.astimezone(tz)
        return (
            local_start.date() == local_end.date()
            and local_start.weekday() in self.days
            and self.start <= local_start.time()
            and local_end.time() <= self.end
        )


OFFICE_HOURS = WorkingHours()

#: Hours in the lead's own zone that a slot is preferred in, when the rep's hours allow.
LEAD_WAKING = (time(8, 0), time(20, 0))


@runtime_checkable
class Calendar(Protocol):
    """A rep's calendar. Times in and out are aware datetimes; busy intervals come back in UTC."""

    def busy(self, start: datetime, end: datetime) -> list[Interval]: ...

    def free_slots(
        self,
        after: datetime,
        *,
        count: int = 3,
        duration: timedelta = SLOT,
        rep_tz: str,
        hours: WorkingHours = OFFICE_HOURS,
        lead_tz: str | None = None,
    ) -> list[datetime]: ...

    def book(
        self, start: datetime, end: datetime, *, owner: str, booking_id: str | None = None, title: str = ""
    ) -> str:
        """Reserve ``[start, end)``; returns the booking id. ``Conflict`` if another booking overlaps."""
        ...

    def cancel(self, booking_id: str) -> None: ...


def zone(name: str) -> ZoneInfo:
    """``ZoneInfo(name)``, or ``InvalidInput`` naming the bad zone."""
    try:
        return ZoneInfo(name)
    except (ValueError, KeyError) as exc:  # ZoneInfoNotFoundError is a KeyError
        raise InvalidInput(f"unknown time zone {name!r}") from exc


def utc(moment: datetime) -> datetime:
    """``moment`` in UTC; ``InvalidInput`` for a naive datetime (its zone would be a guess)."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise InvalidInput(f"calendar times must carry a time zone, got naive {moment.isoformat()}")
    return moment.astimezone(UTC)


def overlaps(start: datetime, end: datetime, busy: Sequence[Interval]) -> bool:
    s, e = utc(start), utc(end)
    return any(s < utc(b_end) and utc(b_start) < e for b_start, b_end in busy)


def _in_waking_hours(start: datetime, end: datetime, lead_zone: ZoneInfo) -> bool:
    a, b = start.astimezone(lead_zone), end.astimezone(lead_zone)
    return a.date() == b.date() and LEAD_WAKING[0] <= a.time() and b.time() <= LEAD_WAKING[1]


def search_free_slots(
    busy: BusyFn,
    after: datetime,
    *,
    count: int = 3,
    duration: timedelta = SLOT,
    rep_tz: str,
    hours: WorkingHours = OFFICE_HOURS,
    lead_tz: str | None = None,
) -> list[datetime]:
    """Up to ``count`` free starts on the working days after ``after``'s date, one per day.

    On each day the preferred hour for this slot's position is tried first, then the others
    nearest to it; a time inside the lead's waking hours (``LEAD_WAKING``) wins over one
    outside them. Starts come back aware, in the rep's zone.
    """
    if count < 1 or duration <= timedelta(0):
        raise InvalidInput("free_slots needs count >= 1 and a positive duration")
    tz = zone(rep_tz)
    lead_zone = zone(lead_tz) if lead_tz else None
    first_day = utc(after).astimezone(tz).date() + timedelta(days=1)
    window_start = datetime.combine(first_day, time(0), tzinfo=tz)
    taken = busy(window_start, window_start + HORIZON)
    out: list[datetime] = []
    day = first_day
    while len(out) < count and day < first_day + timedelta(days=HORIZON.days):
        free = [s for s in hours.starts(day, tz, duration) if not overlaps(s, utc(s) + duration, taken)]
        if free:
            hour = hours.preferred[len(out) % len(hours.preferred)] if hours.preferred else hours.start.hour
            target = datetime.combine(day, time(hour), tzinfo=tz)

            def rank(s: datetime, target: datetime = target) -> tuple[bool, float, bool]:
                awake = lead_zone is None or _in_waking_hours(s, utc(s) + duration, lead_zone)
                # on a tie, later rather than earlier than the preferred hour
                return (not awake, abs((utc(s) - utc(target)).total_seconds()), s < target)

            out.append(min(free, key=rank))
        day += timedelta(days=1)
    return out


def free_in_window(
    busy: BusyFn,
    start: datetime,
    end: datetime,
    *,
    duration: timedelta = SLOT,
    rep_tz: str,
    hours: WorkingHours = OFFICE_HOURS,
) -> datetime | None:
    """The earliest free start inside ``[start, end)`` and the rep's working hours, if any."""
    tz = zone(rep_tz)
    s, e = utc(start), utc(end)
    if e <= s:
        return None
    taken = busy(s, e)
    day = s.astimezone(tz).date()
    while datetime.combine(day, time(0), tzinfo=tz) < e:
        for slot in hours.starts(day, tz, duration):
            slot_end = utc(slot) + duration
            if s <= utc(slot) and slot_end <= e and not overlaps(slot, slot_end, taken):
                return slot
        day += timedelta(days=1)
    return None


class FreeSlotsFromBusy:
    """``free_slots`` for a calendar that knows its ``busy`` intervals (the built-in calendars)."""

    def busy(self, start: datetime, end: datetime) -> list[Interval]:
        raise NotImplementedError

    def free_slots(
        self,
        after: datetime,
        *,
        count: int = 3,
        duration: timedelta = SLOT,
        rep_tz: str,
        hours: WorkingHours = OFFICE_HOURS,
        lead_tz: str | None = None,
    ) -> list[datetime]:
        return search_free_slots(
            self.busy, after, count=count, duration=duration, rep_tz=rep_tz, hours=hours, lead_tz=lead_tz
        )
