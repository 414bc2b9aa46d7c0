"""The built-in calendar: busy times derived from the store's booked appointments.

Runs the calendar contract over ``MemoryStore`` and a SQLite ``SqlStore``, then what only a
store-derived calendar shows: durability across a restart, rep and workspace scoping, and how
in-process holds give way to committed state.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from tests.contracts.store_contract import WS_A, WS_B, created_event, lead_state, ok, step
from tests.unit.integrations.calendar_contract import CalendarContract, ny

from leadflow.domain.models import Appointment, LeadState, Stage
from leadflow.exceptions import Conflict, NotFound
from leadflow.integrations.calendar import SLOT, Calendar, StoreCalendar, StoreCalendars
from leadflow.state import MemoryStore
from leadflow.state.base import Store
from leadflow.state.sql import SqlStore

REP = "Sam"


def add_lead(store: Store, lead_id: str, workspace_id: str = WS_A) -> LeadState:
    try:
        return store.get_lead(workspace_id, lead_id)
    except NotFound:
        state = lead_state(lead_id, workspace_id=workspace_id)
        store.create_lead(state, created_event(state), dedupe_key=None)
        return state


def commit_booking(
    store: Store,
    lead_id: str,
    hour: int,
    *,
    rep: str = REP,
    status: str = "scheduled",
    workspace_id: str = WS_A,
    stage: Stage = Stage.MEETING_BOOKED,
) -> None:
    """What the orchestrator commits when the appointment agent books (Wednesday Mar 4, ``hour``:00)."""
    old = add_lead(store, lead_id, workspace_id)
    appt = Appointment(
        start=ny(4, hour),
        end=ny(4, hour) + SLOT,
        with_rep=rep,
        status=status,
        calendar_uid=f"{lead_id}@leadflow",
    )
    new = old.model_copy(update={"appointment": appt, "stage": stage, "version": old.version + 1})
    ok(store.apply([step(old, new)]))


class StoreCalendarContract(CalendarContract):
    store: Store

    def make_store(self) -> Store:
        raise NotImplementedError

    @pytest.fixture(autouse=True)
    def _store(self, tmp_path: Path) -> Iterator[None]:
        self.tmp_path = tmp_path
        self.store = self.make_store()
        yield
        self.store.close()

    def make_calendar(self) -> Calendar:
        return StoreCalendar(self.store, workspace_id=WS_A, rep=REP)

    def owner(self, name: str) -> str:
        return add_lead(self.store, name).lead_id

    def test_a_committed_appointment_is_busy_for_everyone(self) -> None:
        commit_booking(self.store, "a", 10)
        fresh = StoreCalendars(self.store).for_rep(WS_A, REP)  # another process's view: no holds
        assert len(fresh.busy(ny(4, 0), ny(5, 0))) == 1
        with pytest.raises(Conflict):
            fresh.book(ny(4, 10), ny(4, 10) + SLOT, owner=self.owner("b"))
        fresh.book(ny(4, 10), ny(4, 10) + SLOT, owner="a")  # its own appointment never conflicts

    @pytest.mark.parametrize(
        "other",
        [
            {"rep": "Alex"},  # another rep's meeting
            {"status": "cancelled"},  # a cancelled meeting
            {"workspace_id": WS_B},  # another workspace
            {"stage": Stage.DO_NOT_CONTACT},  # the lead opted out
        ],
    )
    def test_what_does_not_occupy_the_rep(self, other: dict[str, object]) -> None:
        commit_booking(self.store, "a", 10, **other)  # type: ignore[arg-type]
        cal = self.make_calendar()
        assert cal.busy(ny(4, 0), ny(5, 0)) == []

    def test_a_hold_blocks_others_until_its_commit_lands(self) -> None:
        cal = StoreCalendar(self.store, workspace_id=WS_A, rep=REP)
        cal.book(ny(4, 10), ny(4, 10) + SLOT, owner=self.owner("a"), booking_id="a@leadflow")
        with pytest.raises(Conflict):  # a second lead deciding in the same batch
            cal.book(ny(4, 10), ny(4, 10) + SLOT, owner=self.owner("b"))
        commit_booking(self.store, "a", 10)
        assert cal.holds() == []  # the store now says it
        assert len(cal.busy(ny(4, 0), ny(5, 0))) == 1

    def test_a_hold_whose_commit_was_refused_goes_away(self) -> None:
        cal = StoreCalendar(self.store, workspace_id=WS_A, rep=REP)
        cal.book(ny(4, 10), ny(4, 10) + SLOT, owner=self.owner("a"))
        # the lead moved on meanwhile (its step will be retried): the store no longer backs the hold
        commit_booking(self.store, "a", 15)
        assert [b.start.hour for b in cal.holds()] == []
        assert [(s.hour, s.minute) for s, _ in cal.busy(ny(4, 0), ny(5, 0))] == [(20, 0)]  # 15:00 EST

    def test_a_stale_hold_expires(self) -> None:
        clock = [0.0]
        cal = StoreCalendar(self.store, workspace_id=WS_A, rep=REP, hold_ttl=60, monotonic=lambda: clock[0])
        cal.book(ny(4, 10), ny(4, 10) + SLOT, owner=self.owner("a"))
        clock[0] = 59
        assert len(cal.holds()) == 1
        clock[0] = 61
        assert cal.holds() == [] and cal.busy(ny(4, 0), ny(5, 0)) == []

    def test_booking_for_an_unknown_lead_is_not_found(self) -> None:
        with pytest.raises(NotFound):
            self.make_calendar().book(ny(4, 10), ny(4, 10) + SLOT, owner="ghost")

    def test_one_calendar_per_rep_and_workspace(self) -> None:
        calendars = StoreCalendars(self.store)
        assert calendars.for_rep(WS_A, REP) is calendars.for_rep(WS_A, REP)
        assert calendars.for_rep(WS_A, REP) is not calendars.for_rep(WS_A, "Alex")
        assert calendars.for_rep(WS_A, REP) is not calendars.for_rep(WS_B, REP)


class TestStoreCalendarOnMemoryStore(StoreCalendarContract):
    def make_store(self) -> Store:
        return MemoryStore()


class TestStoreCalendarOnSqlite(StoreCalendarContract):
    def make_store(self) -> Store:
        return SqlStore(f"sqlite:///{self.tmp_path / 'leadflow.db'}")

    def test_bookings_survive_a_restart(self) -> None:
        commit_booking(self.store, "a", 10)
        self.store.close()
        self.store = self.make_store()
        cal = StoreCalendars(self.store).for_rep(WS_A, REP)
        assert len(cal.busy(ny(4, 0), ny(5, 0))) == 1
        assert ny(4, 10) not in cal.free_slots(ny(3, 16), count=5, rep_tz="America/New_York")
