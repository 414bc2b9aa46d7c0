"""An in-memory calendar: bookings in a dict, for tests and single-process tools."""

from __future__ import annotations

import threading
import uuid
from dataclasses import dataclass
from datetime import datetime

from leadflow.exceptions import Conflict, InvalidInput, NotFound
from leadflow.integrations.calendar._base import (
    FreeSlotsFromBusy,
    Interval,
    overlaps,
    utc,
)


@dataclass(frozen=True)
class Booking:
    """One reserved interval (UTC) and who holds it."""

    booking_id: str
    owner: str
    start: datetime
    end: datetime
    title: str = ""


class MemoryCalendar(FreeSlotsFromBusy):
    """A rep's calendar held in memory. Thread-safe; lost when the process ends.

    ``busy`` may be seeded with intervals that are not bookings (the rep's other meetings).
    """

    def __init__(self, busy: list[Interval] | None = None) -> None:
        self._lock = threading.Lock()
        self._bookings: dict[str, Booking] = {}
        self._blocked = [(utc(s), utc(e)) for s, e in busy or []]

    def busy(self, start: datetime, end: datetime) -> list[Interval]:
        with self._lock:
            spans = self._blocked + [(b.start, b.end) for b in self._bookings.values()]
        return sorted((s, e) for s, e in spans if overlaps(s, e, [(start, end)]))

    def book(
        self, start: datetime, end: datetime, *, owner: str, booking_id: str | None = None, title: str = ""
    ) -> str:
        s, e = utc(start), utc(end)
        if e <= s:
            raise InvalidInput("a booking must end after it starts")
        bid = booking_id or uuid.uuid4().hex
        with self._lock:
            others = [(b.start, b.end) for b in self._bookings.values() if b.booking_id != bid]
            if overlaps(s, e, others + self._blocked):
                raise Conflict(f"{s.isoformat()} is already taken")
            self._bookings[bid] = Booking(bid, owner, s, e, title)  # same id: the booking moves
        return bid

    def cancel(self, booking_id: str) -> None:
        with self._lock:
            if self._bookings.pop(booking_id, None) is None:
                raise NotFound(f"no booking {booking_id!r}")

    def bookings(self) -> list[Booking]:
        with self._lock:
            return sorted(self._bookings.values(), key=lambda b: b.start)
