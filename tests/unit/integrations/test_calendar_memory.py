"""The calendar contract on ``MemoryCalendar``, plus seeded busy time and the package API."""

from __future__ import annotations

import pytest
from tests.unit.integrations.calendar_contract import CalendarContract, ny

import leadflow.integrations.calendar as calendar_pkg
from leadflow.exceptions import Conflict, NotFound
from leadflow.integrations.calendar import SLOT, Calendar, MemoryCalendar


class TestMemoryCalendar(CalendarContract):
    def make_calendar(self) -> Calendar:
        return MemoryCalendar()


def test_seeded_busy_time_is_never_offered_or_booked() -> None:
    cal = MemoryCalendar(busy=[(ny(4, 9), ny(4, 17))])  # the rep is out all Wednesday
    slots = cal.free_slots(ny(3, 10), rep_tz="America/New_York")
    assert all(s.day != 4 for s in slots) and len(slots) == 3
    with pytest.raises(Conflict):
        cal.book(ny(4, 12), ny(4, 12) + SLOT, owner="a")


def test_cancel_of_an_unknown_booking_is_not_found() -> None:
    with pytest.raises(NotFound):
        MemoryCalendar().cancel("nope")


def test_public_api_is_pinned() -> None:
    assert sorted(calendar_pkg.__all__) == [
        "Booking",
        "Calendar",
        "Interval",
        "MemoryCalendar",
        "OFFICE_HOURS",
        "SLOT",
        "StoreCalendar",
        "StoreCalendars",
        "WorkingHours",
        "free_in_window",
        "ics_attachment",
        "invite_ics",
        "search_free_slots",
    ]
