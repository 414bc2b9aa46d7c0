"""The calendar contract: every ``Calendar`` backend passes these scenarios.

A backend's test module subclasses ``CalendarContract`` (no ``Test`` prefix, so pytest does not
collect the base), implements ``make_calendar`` and, when bookings must belong to something
real (a lead in the store), ``owner``. Times are in America/New_York unless a test says so.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from leadflow.exceptions import Conflict, InvalidInput
from leadflow.integrations.calendar import SLOT, Calendar

NY = ZoneInfo("America/New_York")
T0 = datetime(2026, 3, 3, 15, 0, tzinfo=UTC)  # Tuesday 10:00 in New York


def ny(day: int, hour: int, minute: int = 0, month: int = 3) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=NY)


class CalendarContract:
    """Scenarios every ``Calendar`` must pass. Subclasses implement ``make_calendar``."""

    def make_calendar(self) -> Calendar:
        raise NotImplementedError

    def owner(self, name: str) -> str:
        """An owner id the backend accepts for ``name``."""
        return name

    @pytest.fixture
    def cal(self) -> Calendar:
        return self.make_calendar()

    def test_is_a_calendar(self, cal: Calendar) -> None:
        assert isinstance(cal, Calendar)

    def test_empty_calendar_offers_spread_working_hours(self, cal: Calendar) -> None:
        slots = cal.free_slots(T0, rep_tz="America/New_York")
        assert slots == [ny(4, 10), ny(5, 14), ny(6, 11)]  # Wed 10:00, Thu 14:00, Fri 11:00

    def test_weekends_are_skipped(self, cal: Calendar) -> None:
        friday = datetime(2026, 3, 6, 15, tzinfo=UTC)
        slots = cal.free_slots(friday, count=2, rep_tz="America/New_York")
        assert [s.weekday() for s in slots] == [0, 1] and slots[0] == ny(9, 10)

    def test_a_booking_is_busy_in_utc_and_not_offered(self, cal: Calendar) -> None:
        bid = cal.book(ny(4, 10), ny(4, 10) + SLOT, owner=self.owner("a"))
        assert bid
        assert cal.busy(ny(4, 0), ny(5, 0)) == [
            (datetime(2026, 3, 4, 15, tzinfo=UTC), datetime(2026, 3, 4, 15, 30, tzinfo=UTC))
        ]
        assert cal.busy(ny(5, 0), ny(6, 0)) == []
        first = cal.free_slots(T0, count=1, rep_tz="America/New_York")[0]
        assert first == ny(4, 10, 30)  # the nearest free time to the preferred 10:00 that day

    def test_overlapping_booking_by_someone_else_conflicts_and_loses_nothing(self, cal: Calendar) -> None:
        cal.book(ny(4, 10), ny(4, 10) + SLOT, owner=self.owner("a"), booking_id="appt-a")
        with pytest.raises(Conflict):
            cal.book(ny(4, 10, 15), ny(4, 10, 45), owner=self.owner("b"), booking_id="appt-b")
        assert len(cal.busy(ny(4, 0), ny(5, 0))) == 1
        cal.book(ny(4, 10, 30), ny(4, 11), owner=self.owner("b"), booking_id="appt-b")  # back to back is fine
        assert len(cal.busy(ny(4, 0), ny(5, 0))) == 2

    def test_booking_again_with_the_same_id_moves_it(self, cal: Calendar) -> None:
        owner = self.owner("a")
        bid = cal.book(ny(4, 10), ny(4, 10) + SLOT, owner=owner, booking_id="appt-a")
        assert cal.book(ny(5, 14), ny(5, 14) + SLOT, owner=owner, booking_id=bid) == bid
        assert cal.busy(ny(4, 0), ny(5, 0)) == []
        assert len(cal.busy(ny(5, 0), ny(6, 0))) == 1

    def test_cancel_releases_the_slot(self, cal: Calendar) -> None:
        bid = cal.book(ny(4, 10), ny(4, 10) + SLOT, owner=self.owner("a"))
        cal.cancel(bid)
        assert cal.busy(ny(4, 0), ny(5, 0)) == []
        cal.book(ny(4, 10), ny(4, 10) + SLOT, owner=self.owner("b"))

    @pytest.mark.parametrize(
        ("start", "end"),
        [
            (datetime(2026, 3, 4, 10), datetime(2026, 3, 4, 10, 30)),  # naive: which zone?
            (ny(4, 10), ny(4, 10)),  # empty
            (ny(4, 11), ny(4, 10)),  # backwards
        ],
    )
    def test_bad_times_are_refused_clearly(self, cal: Calendar, start: datetime, end: datetime) -> None:
        with pytest.raises(InvalidInput):
            cal.book(start, end, owner=self.owner("a"))
        assert cal.busy(ny(4, 0), ny(5, 0)) == []

    def test_unknown_time_zone_is_invalid_input(self, cal: Calendar) -> None:
        with pytest.raises(InvalidInput, match="Mars/Olympus"):
            cal.free_slots(T0, rep_tz="Mars/Olympus")

    def test_slots_after_a_dst_change_keep_their_local_hour(self, cal: Calendar) -> None:
        friday = datetime(2026, 10, 30, 14, tzinfo=UTC)  # EDT; clocks go back on Sunday Nov 1
        slots = cal.free_slots(friday, rep_tz="America/New_York")
        assert [s.astimezone(UTC).hour for s in slots] == [15, 19, 16]  # 10:00, 14:00, 11:00 EST
        assert all(s.utcoffset() == timedelta(hours=-5) for s in slots)

    def test_slots_prefer_the_leads_waking_hours(self, cal: Calendar) -> None:
        slots = cal.free_slots(T0, rep_tz="America/New_York", lead_tz="Asia/Kolkata")
        local = [s.astimezone(ZoneInfo("Asia/Kolkata")) for s in slots]
        assert [(t.hour, t.minute) for t in local] == [(19, 30)] * 3  # 9:00 EST ends at 20:00 IST
