"""ICS invitations (RFC 5545/5546) for booked, moved and cancelled appointments.

One appointment keeps one ``UID`` for life. A reschedule sends the same ``UID`` with a higher
``SEQUENCE`` (``METHOD:REQUEST``), which mail clients apply as an update to the event already
in the attendee's calendar; a cancellation sends ``METHOD:CANCEL`` with ``STATUS:CANCELLED``.
Times are written in UTC (``...Z``), so no ``VTIMEZONE`` is needed and DST cannot shift them.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

import icalendar

from leadflow.integrations.calendar._base import utc

Method = Literal["REQUEST", "CANCEL"]
PRODID = "-//leadflow//appointment agent//EN"


def invite_ics(
    *,
    uid: str,
    sequence: int,
    start: datetime,
    end: datetime,
    summary: str,
    organizer: tuple[str, str],
    attendee: tuple[str, str],
    stamp: datetime,
    method: Method = "REQUEST",
    description: str = "",
) -> str:
    """The text of an ``invite.ics``.

    Args:
        uid: stable id of the appointment (the same on every update).
        sequence: 0 for the first invite, +1 for each change.
        start: aware start; written in UTC. end: aware end.
        summary: the event title.
        organizer: (name, email) of the sender.
        attendee: (name, email) of the lead.
        stamp: when this version of the invite was made (``DTSTAMP``).
        method: ``REQUEST`` to book or move, ``CANCEL`` to cancel.
        description: free text shown with the event.
    """
    cal = icalendar.Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", method)
    event = icalendar.Event()
    event.add("uid", uid)
    event.add("sequence", sequence)
    event.add("dtstamp", utc(stamp))
    event.add("dtstart", utc(start))
    event.add("dtend", utc(end))
    event.add("summary", summary)
    if description:
        event.add("description", description)
    event.add("status", "CANCELLED" if method == "CANCEL" else "CONFIRMED")
    event.add("transp", "OPAQUE")
    org = icalendar.vCalAddress(f"mailto:{organizer[1]}")
    org.params["CN"] = icalendar.vText(organizer[0])
    event.add("organizer", org)
    who = icalendar.vCalAddress(f"mailto:{attendee[1]}")
    who.params["CN"] = icalendar.vText(attendee[0])
    who.params["ROLE"] = icalendar.vText("REQ-PARTICIPANT")
    who.params["PARTSTAT"] = icalendar.vText("NEEDS-ACTION")
    who.params["RSVP"] = icalendar.vText("TRUE")
    event.add("attendee", who)
    cal.add_component(event)
    text: bytes = cal.to_ical()
    return text.decode("utf-8")


def ics_attachment(ics: str, method: Method = "REQUEST") -> dict[str, str]:
    """The outbound-action attachment carrying ``ics`` (see ``OutboundAction.payload``)."""
    return {
        "filename": "invite.ics" if method == "REQUEST" else "cancel.ics",
        "content_type": f"text/calendar; method={method}; charset=UTF-8",
        "content": ics,
    }
