"""ICS invitations, parsed back with icalendar: UTC times, one UID, SEQUENCE and CANCEL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import icalendar
import pytest

from leadflow.exceptions import InvalidInput
from leadflow.integrations.calendar import ics_attachment, invite_ics

START = datetime(2026, 11, 2, 10, 0, tzinfo=ZoneInfo("America/New_York"))  # Monday after the DST change


def make(**kwargs: object) -> icalendar.Calendar:
    values: dict[str, object] = {
        "uid": "lead-1@leadflow",
        "sequence": 0,
        "start": START,
        "end": START + timedelta(minutes=30),
        "summary": "Northwind / Acme: call with Sam",
        "organizer": ("Sam Rivera", "sam@northwind.example"),
        "attendee": ("Dana Lee", "dana@acme.com"),
        "stamp": datetime(2026, 10, 30, 14, tzinfo=UTC),
    }
    values.update(kwargs)
    return icalendar.Calendar.from_ical(invite_ics(**values))  # type: ignore[arg-type]


def event_of(cal: icalendar.Calendar) -> icalendar.cal.Component:
    [event] = cal.walk("VEVENT")
    return event


def test_request_has_utc_times_organizer_and_attendee() -> None:
    cal = make()
    assert str(cal["METHOD"]) == "REQUEST" and str(cal["VERSION"]) == "2.0"
    ev = event_of(cal)
    assert ev.decoded("DTSTART") == datetime(2026, 11, 2, 15, 0, tzinfo=UTC)  # 10:00 EST, not EDT
    assert ev.decoded("DTEND") == datetime(2026, 11, 2, 15, 30, tzinfo=UTC)
    assert ev["DTSTART"].to_ical() == b"20261102T150000Z"
    assert str(ev["UID"]) == "lead-1@leadflow" and int(str(ev["SEQUENCE"])) == 0
    assert (
        str(ev["ORGANIZER"]) == "mailto:sam@northwind.example"
        and ev["ORGANIZER"].params["CN"] == "Sam Rivera"
    )
    attendee = ev["ATTENDEE"]
    assert str(attendee) == "mailto:dana@acme.com"
    assert attendee.params["RSVP"] == "TRUE" and attendee.params["ROLE"] == "REQ-PARTICIPANT"
    assert str(ev["STATUS"]) == "CONFIRMED"


def test_a_reschedule_keeps_the_uid_and_raises_the_sequence() -> None:
    moved = event_of(
        make(sequence=1, start=START + timedelta(days=1), end=START + timedelta(days=1, minutes=30))
    )
    assert str(moved["UID"]) == "lead-1@leadflow" and int(str(moved["SEQUENCE"])) == 1
    assert moved.decoded("DTSTART") == datetime(2026, 11, 3, 15, 0, tzinfo=UTC)


def test_cancel() -> None:
    cal = make(method="CANCEL", sequence=2)
    assert str(cal["METHOD"]) == "CANCEL"
    ev = event_of(cal)
    assert str(ev["STATUS"]) == "CANCELLED" and int(str(ev["SEQUENCE"])) == 2


def test_attachment_shape() -> None:
    att = ics_attachment("BEGIN:VCALENDAR", "REQUEST")
    assert att["filename"] == "invite.ics" and att["content_type"].startswith("text/calendar; method=REQUEST")
    assert ics_attachment("x", "CANCEL")["content_type"].startswith("text/calendar; method=CANCEL")


def test_naive_times_are_refused() -> None:
    with pytest.raises(InvalidInput):
        make(start=datetime(2026, 11, 2, 10))
