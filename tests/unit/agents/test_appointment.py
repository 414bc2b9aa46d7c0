"""Appointment agent, offline: offers from the rep's calendar in the lead's zone, understanding the
answer, ICS invites, reminders across DST changes, reschedules, cancellation, and two leads who
want the same slot (in one engine batch, too).

Replies are read by the real reply analysis (``analyze_reply``), as the reply-understanding
agent does before the appointment agent sees them.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import icalendar
import pytest
from tests.unit.agents.agent_helpers import FixedClock, make_campaign, make_state

from leadflow.agents.appointment import AppointmentAgent
from leadflow.agents.base import AgentContext, Decision
from leadflow.domain.actions import OutboundAction
from leadflow.domain.events import Event, EventType, new_event
from leadflow.domain.models import Campaign, LeadState, Stage
from leadflow.exceptions import InvalidInput
from leadflow.integrations.calendar import Calendar, MemoryCalendar, StoreCalendars
from leadflow.orchestrator.engine import Orchestrator
from leadflow.orchestrator.intake import Intake
from leadflow.orchestrator.registry import AgentRegistry
from leadflow.orchestrator.routes import RouteTable
from leadflow.orchestrator.runner import AgentRunner
from leadflow.reply import analyze_reply
from leadflow.resilience import BreakerRegistry
from leadflow.state import MemoryStore
from leadflow.state.records import Commit

NY = ZoneInfo("America/New_York")
TUE = datetime(2026, 3, 3, 15, 0, tzinfo=UTC)  # Tuesday 10:00 EST
FRI = datetime(2026, 3, 6, 15, 0, tzinfo=UTC)  # Friday 10:00 EST; clocks go forward on Sunday Mar 8
MON = datetime(2026, 3, 9, 14, 0, tzinfo=UTC)  # Monday 10:00 EDT
AGENT = AppointmentAgent()


def ctx(at: datetime, calendar: Calendar | None = None, campaign: Campaign | None = None) -> AgentContext:
    return AgentContext(
        clock=FixedClock(at),
        campaign=campaign or make_campaign(rep_name="Sam"),
        workspace_id="w",
        calendar=calendar,
    )


def qualified(tz: str = "America/New_York", lead_id: str = "lead-1", **lead: Any) -> LeadState:
    s = make_state(timezone=tz, **lead)
    s.lead_id = lead_id
    s.stage = Stage.QUALIFIED
    return s


def qualified_event(s: LeadState, at: datetime) -> Event:
    return new_event(EventType.LEAD_QUALIFIED, lead_id=s.lead_id, workspace_id="w", at=at)


def answer(s: LeadState, text: str, at: datetime) -> Event:
    """``reply.classified`` as the reply-understanding agent emits it."""
    info = analyze_reply(text=text, now=at, tz=s.lead.timezone).model_dump(mode="json")
    info.pop("id", None)
    return new_event(EventType.REPLY_CLASSIFIED, lead_id=s.lead_id, workspace_id="w", at=at, payload=info)


def run(c: AgentContext, s: LeadState, e: Event) -> tuple[Decision, LeadState]:
    d = AGENT.handle(c, s.model_copy(deep=True), e)
    return d, d.state or s


def offered(s: LeadState) -> list[datetime]:
    return [datetime.fromisoformat(p["start"]) for p in s.proposed_slots]


def invite(action: OutboundAction) -> tuple[icalendar.Calendar, icalendar.cal.Component]:
    [att] = action.payload["attachments"]
    assert att["filename"] in ("invite.ics", "cancel.ics") and att["content_type"].startswith("text/calendar")
    cal = icalendar.Calendar.from_ical(att["content"])
    [event] = cal.walk("VEVENT")
    return cal, event


# -- offers ---------------------------------------------------------------------------------
def test_offers_three_free_slots_in_the_leads_zone() -> None:
    d, s = run(ctx(TUE, MemoryCalendar()), qualified(), qualified_event(qualified(), TUE))
    assert d.result == "proposed" and s.stage is Stage.QUALIFIED
    assert offered(s) == [
        datetime(2026, 3, 4, 10, tzinfo=NY),
        datetime(2026, 3, 5, 14, tzinfo=NY),
        datetime(2026, 3, 6, 11, tzinfo=NY),
    ]
    [msg] = d.actions
    assert msg.to == "dana@acme.com"
    for text in (
        "Wednesday Mar 4 at 10:00 AM (EST)",
        "Thursday Mar 5 at 2:00 PM (EST)",
        "Friday Mar 6 at 11:00 AM (EST)",
    ):
        assert text in msg.body


def test_without_a_calendar_it_offers_plain_working_hours() -> None:
    _, with_cal = run(ctx(TUE, MemoryCalendar()), qualified(), qualified_event(qualified(), TUE))
    _, without = run(ctx(TUE, None), qualified(), qualified_event(qualified(), TUE))
    assert offered(without) == offered(with_cal) and len(offered(without)) == 3


def test_kolkata_lead_is_offered_the_reps_evening_hour_that_is_still_daytime_there() -> None:
    s = qualified("Asia/Kolkata")
    d, s = run(ctx(TUE, MemoryCalendar()), s, qualified_event(s, TUE))
    assert [t.astimezone(NY).hour for t in offered(s)] == [9, 9, 9]  # 9:00 EST = 19:30 IST (+5:30)
    assert d.actions[0].body.count("at 7:30 PM (IST)") == 3


def test_lord_howe_lead_across_its_half_hour_dst_change() -> None:
    # Lord Howe Island leaves DST (+11 -> +10:30) on Sunday Apr 5 2026; New York is on EDT
    at = datetime(2026, 4, 2, 15, tzinfo=UTC)
    s = qualified("Australia/Lord_Howe")
    d, s = run(ctx(at, MemoryCalendar()), s, qualified_event(s, at))
    body = d.actions[0].body
    assert "Saturday Apr 4 at 1:00 AM (+11)" in body  # Fri 10:00 EDT
    assert "Tuesday Apr 7 at 4:30 AM (+1030)" in body  # Mon 14:00 EDT: half an hour less offset
    assert "Wednesday Apr 8 at 1:30 AM (+1030)" in body  # Tue 11:00 EDT


# -- understanding and booking ----------------------------------------------------------------
def test_tuesday_works_books_the_offered_tuesday_with_an_ics_invite() -> None:
    cal = MemoryCalendar()
    s = qualified()
    _, s = run(ctx(FRI, cal), s, qualified_event(s, FRI))
    d, s = run(ctx(FRI, cal), s, answer(s, "Tuesday works", FRI))
    tuesday = datetime(2026, 3, 10, 14, tzinfo=NY)  # EDT by then
    assert d.result == "booked" and s.stage is Stage.MEETING_BOOKED and s.appointment is not None
    assert s.appointment.start == tuesday and s.proposed_slots == []
    assert [b.start for b in cal.bookings()] == [datetime(2026, 3, 10, 18, tzinfo=UTC)]
    [confirm] = d.actions
    assert confirm.to == "dana@acme.com" and "Tuesday Mar 10 at 2:00 PM (EDT)" in confirm.body
    ics, ev = invite(confirm)
    assert str(ics["METHOD"]) == "REQUEST"
    assert ev["DTSTART"].to_ical() == b"20260310T180000Z" and ev["DTEND"].to_ical() == b"20260310T183000Z"
    assert str(ev["UID"]) == s.appointment.calendar_uid and int(str(ev["SEQUENCE"])) == 0
    assert (
        str(ev["ORGANIZER"]) == "mailto:sam@northwind.example"
        and str(ev["ATTENDEE"]) == "mailto:dana@acme.com"
    )
    timers = {t.name: t.fire_at for t in d.timers}
    assert timers == {
        "appointment:reminder_day_before": datetime(2026, 3, 9, 18, tzinfo=UTC),
        "appointment:reminder_day_of": datetime(2026, 3, 10, 15, tzinfo=UTC),
    }
    assert [e.type for e in d.events] == [EventType.LEAD_APPOINTMENT_BOOKED]


def _friday_morning(cal: MemoryCalendar) -> tuple[Decision, LeadState]:
    s = qualified()
    _, s = run(ctx(MON, cal), s, qualified_event(s, MON))  # offers Tue, Wed, Thu
    return run(ctx(MON, cal), s, answer(s, "None of those work for me, Friday morning?", MON))


def test_none_of_those_friday_morning_books_friday_morning() -> None:
    d, s = _friday_morning(MemoryCalendar())
    assert d.result == "booked" and s.appointment is not None
    assert s.appointment.start.astimezone(NY) == datetime(2026, 3, 13, 9, tzinfo=NY)


def test_friday_morning_skips_what_is_already_busy() -> None:
    d, s = _friday_morning(
        MemoryCalendar(busy=[(datetime(2026, 3, 13, 9, tzinfo=NY), datetime(2026, 3, 13, 10, tzinfo=NY))])
    )
    assert (
        d.result == "booked"
        and s.appointment is not None
        and s.appointment.start.astimezone(NY) == datetime(2026, 3, 13, 10, tzinfo=NY)
    )


def test_a_fully_booked_friday_morning_gets_other_offers() -> None:
    busy = (datetime(2026, 3, 13, 8, tzinfo=NY), datetime(2026, 3, 13, 12, tzinfo=NY))
    d, s = _friday_morning(MemoryCalendar(busy=[busy]))
    assert d.result == "proposed" and s.appointment is None
    assert "isn't free" in d.actions[0].body and len(offered(s)) == 3
    assert all(not (busy[0] <= t < busy[1]) for t in offered(s))
    assert offered(s)[0].date() >= busy[0].date()  # offers from the lead's day onwards


def test_booking_across_the_november_dst_change_for_a_london_lead() -> None:
    at = datetime(2026, 10, 30, 14, tzinfo=UTC)  # Friday: London is on GMT already, New York still on EDT
    cal = MemoryCalendar()
    s = qualified("Europe/London")
    d, s = run(ctx(at, cal), s, qualified_event(s, at))
    assert "Monday Nov 2 at 3:00 PM (GMT)" in d.actions[0].body  # 10:00 EST, after New York's change
    d, s = run(ctx(at, cal), s, answer(s, "Monday works", at))
    assert d.result == "booked"
    _, ev = invite(d.actions[0])
    assert ev["DTSTART"].to_ical() == b"20261102T150000Z"
    before = next(t for t in d.timers if t.name == "appointment:reminder_day_before")
    assert before.fire_at == datetime(2026, 11, 1, 15, tzinfo=UTC)


def test_day_before_reminder_keeps_the_wall_clock_time_across_dst() -> None:
    # Israel starts DST on Friday Mar 27 2026; a Friday 10:00 call gets its reminder Thursday 10:00
    campaign = make_campaign(rep_name="Sam", settings={"rep_timezone": "Asia/Jerusalem"})
    at = datetime(2026, 3, 23, 8, tzinfo=UTC)
    s = qualified("Asia/Jerusalem")
    _, s = run(ctx(at, MemoryCalendar(), campaign), s, qualified_event(s, at))
    d, s = run(ctx(at, MemoryCalendar(), campaign), s, answer(s, "None of those, Friday at 10am?", at))
    assert s.appointment is not None and s.appointment.start == datetime(
        2026, 3, 27, 7, tzinfo=UTC
    )  # 10:00 +03
    before = next(t for t in d.timers if t.name == "appointment:reminder_day_before")
    assert before.fire_at == datetime(2026, 3, 26, 8, tzinfo=UTC)  # 10:00 +02, not 09:00


# -- reschedules, cancellation, reminders -------------------------------------------------------
def _book(cal: MemoryCalendar) -> LeadState:
    s = qualified()
    _, s = run(ctx(FRI, cal), s, qualified_event(s, FRI))
    _, s = run(ctx(FRI, cal), s, answer(s, "Tuesday works", FRI))
    return s


def test_three_reschedules_then_escalation() -> None:
    cal = MemoryCalendar()
    s = _book(cal)
    uid = s.appointment.calendar_uid if s.appointment else None
    asks = [
        "Can we move it to Wednesday at 3pm?",
        "Sorry, could we do Thursday at 11am instead?",
        "Something came up, Monday at 2pm?",
    ]
    keys = set()
    for n, text in enumerate(asks, 1):
        d, s = run(ctx(FRI, cal), s, answer(s, text, FRI))
        keys.add(d.actions[0].idempotency_key)
        assert d.result == "rescheduled" and s.appointment is not None and s.appointment.reschedules == n
        _, ev = invite(d.actions[0])
        assert str(ev["UID"]) == uid and int(str(ev["SEQUENCE"])) == n
        assert len(cal.bookings()) == 1  # moved, not duplicated
    assert len(keys) == 3  # each move confirmed once, none swallowed as a duplicate
    d, _ = run(ctx(FRI, cal), s, answer(s, "Could we push to Tuesday at 4pm?", FRI))
    assert d.result == "escalated" and d.escalation is not None
    assert d.escalation.reason == "more than three reschedules" and d.actions == []


def test_cancel_sends_method_cancel_and_frees_the_slot() -> None:
    cal = MemoryCalendar()
    s = _book(cal)
    assert s.appointment is not None
    uid = s.appointment.calendar_uid
    d, s = run(ctx(FRI, cal), s, answer(s, "I need to cancel our call, sorry.", FRI))
    assert d.result == "cancelled" and s.appointment is not None and s.appointment.status == "cancelled"
    assert s.stage is Stage.QUALIFIED and d.cancel_timers == ["appointment:*"] and cal.bookings() == []
    ics, ev = invite(d.actions[0])
    assert str(ics["METHOD"]) == "CANCEL" and str(ev["UID"]) == uid and int(str(ev["SEQUENCE"])) == 1
    assert str(ev["STATUS"]) == "CANCELLED"
    # booking again later is a new appointment with a new UID
    d, s = run(ctx(FRI, cal), s, answer(s, "Actually, Thursday at 11am works after all", FRI))
    assert d.result == "booked" and s.appointment is not None and s.appointment.calendar_uid != uid
    assert d.actions[0].idempotency_key != f"{s.lead_id}:appointment:confirm:0"


@pytest.mark.parametrize("text", ["Tuesday at 2pm works, see you then", "Great, Tuesday works"])
def test_naming_the_booked_time_confirms_it(text: str) -> None:
    cal = MemoryCalendar()
    s = _book(cal)
    d, s = run(ctx(FRI, cal), s, answer(s, text, FRI))
    assert d.result == "confirmed" and d.actions == [] and s.appointment is not None
    assert s.appointment.status == "confirmed" and s.appointment.reschedules == 0


def test_reminders_go_out_once_for_the_current_time_only() -> None:
    cal = MemoryCalendar()
    s = _book(cal)
    fired = new_event(
        EventType.TIMER_FIRED,
        lead_id=s.lead_id,
        workspace_id="w",
        at=FRI,
        payload={"reminder": "day_before", "n": 0},
    )
    d, _ = run(ctx(FRI, cal), s, fired)
    assert (
        d.result == "reminded_day_before"
        and "Still on for Tuesday Mar 10 at 2:00 PM (EDT)?" in d.actions[0].body
    )
    stale = fired.model_copy(update={"payload": {"reminder": "day_before", "n": 5}})
    assert run(ctx(FRI, cal), s, stale)[0].result == "skipped"


def test_a_chosen_slot_taken_meanwhile_is_offered_again_elsewhere() -> None:
    cal = MemoryCalendar()
    a, b = qualified(lead_id="a"), qualified(lead_id="b", email="lee@beta.com")
    _, a = run(ctx(FRI, cal), a, qualified_event(a, FRI))
    _, b = run(ctx(FRI, cal), b, qualified_event(b, FRI))
    assert offered(a) == offered(b)  # offers are not reservations
    da, a = run(ctx(FRI, cal), a, answer(a, "Tuesday works", FRI))
    db, b = run(ctx(FRI, cal), b, answer(b, "Tuesday works", FRI))
    assert da.result == "booked" and db.result == "proposed" and b.appointment is None
    assert "was just taken" in db.actions[0].body and db.actions[0].to == "lee@beta.com"
    assert a.appointment is not None and a.appointment.start not in offered(b)


# -- the same in the engine: two leads decided in one batch --------------------------------------
ROUTES = """
routes:
  scheduling:
    on: reply.classified
    agents: [appointment]
"""


def test_two_leads_in_one_batch_never_share_a_slot() -> None:
    store = MemoryStore()
    store.save_campaign("w", make_campaign(name="c", rep_name="Sam"))
    clock = FixedClock(FRI)
    calendars = StoreCalendars(store)
    orch = Orchestrator(
        store=store,
        registry=AgentRegistry([AGENT]),
        routes=RouteTable.from_yaml(ROUTES),
        runner=AgentRunner(breakers=BreakerRegistry(), use_llm=False),
        clock=clock,
        context_factory=lambda ws, c: AgentContext(
            clock=clock, campaign=c, workspace_id=ws, calendar=calendars.for_rep(ws, c.rep_name)
        ),
    )
    intake = Intake(store=store, clock=clock)
    ids = []
    for email in ("dana@acme.com", "lee@beta.com"):
        s, _ = intake.create_lead("w", "c", make_state(email=email).lead)
        ids.append(s.lead_id)
    orch.process()  # lead.created: no route here
    slot = datetime(2026, 3, 10, 14, tzinfo=NY)
    for lead_id in ids:
        old = store.get_lead("w", lead_id)
        new = old.model_copy(
            update={
                "stage": Stage.QUALIFIED,
                "proposed_slots": [
                    {"start": slot.isoformat(), "end": (slot + timedelta(minutes=30)).isoformat()}
                ],
            }
        )
        reply = answer(old, "Tuesday works", FRI)
        assert store.apply(
            [Commit("w", lead_id, expected_version=old.version, state=new, events=[reply], at=FRI)]
        ) == [None]
    assert orch.process() == 2  # both replies decided in the same batch, committed together
    states = [store.get_lead("w", i) for i in ids]
    booked = [s for s in states if s.appointment is not None]
    assert [s.appointment.start for s in booked if s.appointment] == [slot]
    [other] = [s for s in states if s.appointment is None]
    assert other.stage is Stage.QUALIFIED and slot not in offered(other) and len(offered(other)) == 3
    assert calendars.for_rep("w", "Sam").holds() == []  # the commit landed: the store says it now
    assert len(calendars.for_rep("w", "Sam").busy(slot, slot + timedelta(minutes=30))) == 1


def test_two_workers_deciding_at_once_never_share_a_slot() -> None:
    """Two worker processes each hold slots only in their own memory; the store's one-lead-per-slot
    check refuses the second booking, and that lead's reply, handled again, gets other offers."""
    store = MemoryStore()
    store.save_campaign("w", make_campaign(name="c", rep_name="Sam"))
    clock = FixedClock(FRI)

    def worker() -> Orchestrator:
        calendars = StoreCalendars(store)  # a process of its own: its own holds
        return Orchestrator(
            store=store,
            registry=AgentRegistry([AGENT]),
            routes=RouteTable.from_yaml(ROUTES),
            runner=AgentRunner(breakers=BreakerRegistry(), use_llm=False),
            clock=clock,
            context_factory=lambda ws, c: AgentContext(
                clock=clock, campaign=c, workspace_id=ws, calendar=calendars.for_rep(ws, c.rep_name)
            ),
        )

    one, two = worker(), worker()
    intake = Intake(store=store, clock=clock)
    ids = [
        intake.create_lead("w", "c", make_state(email=e).lead)[0].lead_id
        for e in ("dana@acme.com", "lee@beta.com")
    ]
    one.process()
    slot = datetime(2026, 3, 10, 14, tzinfo=NY)
    replies = []
    for lead_id in ids:
        old = store.get_lead("w", lead_id)
        new = old.model_copy(
            update={
                "stage": Stage.QUALIFIED,
                "proposed_slots": [
                    {"start": slot.isoformat(), "end": (slot + timedelta(minutes=30)).isoformat()}
                ],
            }
        )
        replies.append(answer(old, "Tuesday works", FRI))
        assert store.apply(
            [Commit("w", lead_id, expected_version=old.version, state=new, events=[replies[-1]], at=FRI)]
        ) == [None]
    first, second = one.step(replies[0]), two.step(replies[1])  # decided at the same time
    assert first.booking == second.booking == ("Sam", slot)
    assert store.apply([first]) == [None]
    [refused] = store.apply([second])
    assert refused is not None and "booked by another lead" in str(refused)
    assert store.get_lead("w", ids[1]).appointment is None
    assert two.process() == 1  # the refused reply is still pending: handled again, on fresh state
    other = store.get_lead("w", ids[1])
    assert other.appointment is None and other.stage is Stage.QUALIFIED
    assert slot not in offered(other) and len(offered(other)) == 3
    assert store.get_lead("w", ids[0]).appointment is not None


def test_the_reps_hours_come_from_the_campaign() -> None:
    hours = {"start": "12:00", "end": "16:00", "days": [0, 2]}  # Monday and Wednesday afternoons
    campaign = make_campaign(
        rep_name="Sam", settings={"rep_hours": hours, "rep_timezone": "America/New_York"}
    )
    s = qualified()
    decision = AGENT.handle(ctx(TUE, MemoryCalendar(), campaign), s, qualified_event(s, TUE))
    assert decision.state is not None
    slots = [x.astimezone(NY) for x in offered(decision.state)]
    assert len(slots) == 3
    for slot in slots:
        assert slot.weekday() in (0, 2) and 12 <= slot.hour and (slot + timedelta(minutes=30)).hour <= 16


@pytest.mark.parametrize("bad", [{"start": "18:00", "end": "09:00"}, {"days": [7]}, {"start": "noon"}, "9-5"])
def test_bad_rep_hours_are_a_clear_error(bad: Any) -> None:
    campaign = make_campaign(rep_name="Sam", settings={"rep_hours": bad})
    s = qualified()
    with pytest.raises(InvalidInput, match="rep_hours"):
        AGENT.handle(ctx(TUE, MemoryCalendar(), campaign), s, qualified_event(s, TUE))


def test_an_unknown_rep_zone_is_a_clear_error() -> None:
    campaign = make_campaign(rep_name="Sam", settings={"rep_timezone": "Mars/Olympus"})
    s = qualified()
    with pytest.raises(InvalidInput, match="Mars/Olympus"):
        AGENT.handle(ctx(TUE, MemoryCalendar(), campaign), s, qualified_event(s, TUE))
