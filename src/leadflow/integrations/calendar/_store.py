"""The built-in durable calendar: a rep's busy times are the appointments booked in the store.

Nothing is stored twice. A booking becomes durable when the appointment agent's decision,
with ``state.appointment`` set, is committed by the orchestrator; from then on every process
reading the store sees the slot as busy, after any restart. So the calendar is exactly as
consistent as the store's atomic commits: a cancelled or moved appointment frees its slot in
the same commit that records it.

Between deciding and committing there is a gap: the orchestrator decides a batch of leads and
commits them together. ``book`` therefore also records an in-process *hold*, checked together
with the committed bookings under one lock, so a second lead deciding in the same batch cannot
take the slot. A hold ends as soon as its lead's stored version moves past the version it was
made at (the commit landed, or was refused and the step will run again), or after ``hold_ttl``
seconds of real time (a step that failed and was never retried). Holds are per process: with
several workers on one database, use an external calendar (CalDAV, with the integrations work).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from leadflow.domain.models import Stage
from leadflow.exceptions import Conflict, InvalidInput, NotFound
from leadflow.integrations.calendar._base import (
    FreeSlotsFromBusy,
    Interval,
    overlaps,
    utc,
)
from leadflow.integrations.calendar._memory import Booking
from leadflow.state.base import Store

#: Appointment statuses that occupy the rep's time.
BOOKED = frozenset({"scheduled", "confirmed"})
#: More booked leads than this in one workspace would need a paged read.
MAX_BOOKED = 100_000


@dataclass(frozen=True)
class _Hold:
    booking: Booking
    version: int
    made: float


class StoreCalendar(FreeSlotsFromBusy):
    """The calendar of ``rep`` in ``workspace_id``, derived from the store's lead states."""

    def __init__(
        self,
        store: Store,
        *,
        workspace_id: str,
        rep: str,
        hold_ttl: float = 900.0,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.store = store
        self.workspace_id = workspace_id
        self.rep = rep
        self.hold_ttl = hold_ttl
        self._monotonic = monotonic
        self._lock = threading.RLock()
        self._holds: dict[str, _Hold] = {}

    # -- reading ----------------------------------------------------------------------
    def committed(self) -> list[Booking]:
        """Appointments with this rep that the store holds as booked."""
        states = self.store.list_leads(self.workspace_id, stage=Stage.MEETING_BOOKED.value, limit=MAX_BOOKED)
        return [
            Booking(a.calendar_uid or s.lead_id, s.lead_id, utc(a.start), utc(a.end))
            for s in states
            if (a := s.appointment) is not None and a.with_rep == self.rep and a.status in BOOKED
        ]

    def holds(self) -> list[Booking]:
        """Bookings decided in this process and not yet visible in the store."""
        with self._lock:
            now = self._monotonic()
            for bid, hold in list(self._holds.items()):
                try:
                    moved = self.store.get_lead(self.workspace_id, hold.booking.owner).version > hold.version
                except NotFound:
                    moved = True
                if moved or now - hold.made > self.hold_ttl:
                    del self._holds[bid]
            return [h.booking for h in self._holds.values()]

    def _all(self) -> list[Booking]:
        return self.committed() + self.holds()

    def busy(self, start: datetime, end: datetime) -> list[Interval]:
        with self._lock:
            spans = {(b.start, b.end) for b in self._all()}
        return sorted(s for s in spans if overlaps(s[0], s[1], [(start, end)]))

    # -- writing ----------------------------------------------------------------------
    def book(
        self, start: datetime, end: datetime, *, owner: str, booking_id: str | None = None, title: str = ""
    ) -> str:
        """Hold ``[start, end)`` for lead ``owner`` until its decision is committed.

        The owner's own current appointment does not conflict (it is being moved).
        """
        s, e = utc(start), utc(end)
        if e <= s:
            raise InvalidInput("a booking must end after it starts")
        bid = booking_id or f"{owner}@leadflow"
        with self._lock:
            version = self.store.get_lead(self.workspace_id, owner).version  # NotFound: not a lead here
            others = [(b.start, b.end) for b in self._all() if b.owner != owner and b.booking_id != bid]
            if overlaps(s, e, others):
                raise Conflict(f"{s.isoformat()} is already taken on {self.rep}'s calendar")
            self._holds[bid] = _Hold(Booking(bid, owner, s, e, title), version, self._monotonic())
        return bid

    def cancel(self, booking_id: str) -> None:
        """Drop a hold. A committed booking is released by committing its cancelled appointment."""
        with self._lock:
            self._holds.pop(booking_id, None)


class StoreCalendars:
    """One ``StoreCalendar`` per (workspace, rep), shared by every step of a running process."""

    def __init__(self, store: Store, *, hold_ttl: float = 900.0) -> None:
        self.store = store
        self.hold_ttl = hold_ttl
        self._lock = threading.Lock()
        self._calendars: dict[tuple[str, str], StoreCalendar] = {}

    def for_rep(self, workspace_id: str, rep: str) -> StoreCalendar:
        key = (workspace_id, rep)
        with self._lock:
            if key not in self._calendars:
                self._calendars[key] = StoreCalendar(
                    self.store, workspace_id=workspace_id, rep=rep, hold_ttl=self.hold_ttl
                )
            return self._calendars[key]
