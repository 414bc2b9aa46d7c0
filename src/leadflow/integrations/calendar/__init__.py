"""Calendars: the port the appointment agent books through, and its backends.

* :class:`MemoryCalendar`: bookings in memory (tests, single-process tools);
* :class:`StoreCalendar`: the built-in durable calendar, whose busy times are the booked
  appointments in the store (one per rep, from :class:`StoreCalendars`);
* :func:`invite_ics`: the ICS invitation sent with a booking, a move or a cancellation.

CalDAV and provider calendars come with the integrations work and implement the same
:class:`Calendar` protocol.
"""

from leadflow.integrations.calendar._base import (
    OFFICE_HOURS,
    SLOT,
    Calendar,
    Interval,
    WorkingHours,
    free_in_window,
    search_free_slots,
)
from leadflow.integrations.calendar._ics import ics_attachment, invite_ics
from leadflow.integrations.calendar._memory import Booking, MemoryCalendar
from leadflow.integrations.calendar._store import StoreCalendar, StoreCalendars

__all__ = [
    "OFFICE_HOURS",
    "SLOT",
    "Booking",
    "Calendar",
    "Interval",
    "MemoryCalendar",
    "StoreCalendar",
    "StoreCalendars",
    "WorkingHours",
    "free_in_window",
    "ics_attachment",
    "invite_ics",
    "search_free_slots",
]
