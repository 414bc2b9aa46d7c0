"""Clocks: the system clock for production and a durable simulated clock for demos and tests.

The simulated clock lets a 45-day nurture run in seconds: the worker jumps it to the next
timer when nothing else is left to do. It persists in the store's metadata, so a worker
restarted after a crash resumes at the same simulated moment.
"""

from __future__ import annotations

from datetime import UTC, datetime

from leadflow.state.base import Store


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


class FixedClock:
    """A clock tests set by hand."""

    def __init__(self, at: datetime) -> None:
        self.at = at

    def now(self) -> datetime:
        return self.at

    def advance_to(self, at: datetime) -> None:
        self.at = max(self.at, at)


class SimClock:
    """Simulated time, stored under ``sim_now`` in the store's metadata."""

    KEY = "sim_now"

    def __init__(self, store: Store, *, start: datetime) -> None:
        self.store = store
        saved = store.get_meta(self.KEY)
        self.at = datetime.fromisoformat(saved) if saved else start
        if not saved:
            store.set_meta(self.KEY, self.at.isoformat())

    def now(self) -> datetime:
        return self.at

    def advance_to(self, at: datetime) -> None:
        if at > self.at:
            self.at = at
            # rides along with the next commit: any durable write records the time it was made
            # at, and a lost advance is redone from the same durable state after a restart
            self.store.set_meta(self.KEY, at.isoformat(), lazy=True)
