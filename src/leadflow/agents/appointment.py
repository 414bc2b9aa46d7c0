"""Appointment agent: proposes slots in the lead's time zone, understands the answer, books.

Availability comes from the rep's calendar (``ctx.calendar``, a
:class:`leadflow.integrations.calendar.Calendar`; the built-in one derives busy times from
every lead's booked appointment in the store). Without a calendar it offers plain working
hours. Offers are two or three free slots, described in the lead's zone. It books on
"Tuesday works" (or a time the lead names that is free), offers other slots when a chosen
time was taken meanwhile by another lead, confirms with an ICS invite (stable UID, SEQUENCE+1
on each reschedule, METHOD:CANCEL on cancellation), sets day-before and day-of reminders as
durable timers, and escalates on a fourth reschedule.

The model mode (``handle_llm``) only reads the reply into a typed :class:`SlotReading`; which
slot is booked is still decided here, against what was offered and what the calendar has free,
and the recipient always comes from the lead's state.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, ClassVar, Literal
from zoneinfo import ZoneInfo

from pydantic import BaseModel, Field

from leadflow.agents._compose import outbound, preferred_channel, sender
from leadflow.agents._llm import data_block
from leadflow.agents.base import AgentCard, AgentContext, Decision, EmitEvent
from leadflow.domain.actions import OutboundAction, TimerSpec
from leadflow.domain.events import Event, EventType
from leadflow.domain.models import Appointment, Channel, Escalation, LeadState, Stage
from leadflow.exceptions import Conflict, ModelFailure, NotFound
from leadflow.integrations.calendar import (
    Calendar,
    MemoryCalendar,
    WorkingHours,
    free_in_window,
    ics_attachment,
    invite_ics,
)
from leadflow.integrations.calendar._ics import Method

SLOT = timedelta(minutes=30)
PROMPT = Path(__file__).with_name("prompts") / "appointment.md"
MAX_RESCHEDULES = 3
MAX_ROUNDS = 4
MIN_NOTICE = timedelta(hours=2)
BOOKED = ("scheduled", "confirmed")
_WEEKDAYS = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]
_DECLINE = ("none of", "neither", "doesn't work", "don't work", "does not work", "can't", "cannot", "no good")
_CANCEL = re.compile(r"\bcancel", re.IGNORECASE)
_MOVE = re.compile(r"\b(reschedul\w*|move|push|postpone)\b", re.IGNORECASE)


def rep_hours(ctx: AgentContext) -> WorkingHours:
    """The rep's bookable hours: ``campaign.settings["rep_hours"]``, office hours by default."""
    return WorkingHours.from_settings(ctx.campaign.settings.get("rep_hours"))


def describe(slot: datetime, tz_name: str) -> str:
    """``Tuesday Mar 3 at 10:00 AM (EST)`` in ``tz_name``."""
    local = slot.astimezone(ZoneInfo(tz_name))
    return local.strftime("%A %b %d at %I:%M %p").replace(" 0", " ") + f" ({local.tzname()})"


@dataclass(frozen=True)
class Choice:
    """What a reply means for scheduling, whichever mode read it."""

    kind: Literal["slot", "window", "none", "cancel"]
    slot: datetime | None = None  # one of the offered slots
    windows: list[tuple[datetime, datetime]] = field(default_factory=list)  # times the lead proposed


class SlotReading(BaseModel):
    """The model's reading of a reply to offered meeting times."""

    answer: Literal["offered", "new_time", "none", "cancel"] = Field(
        description="offered: accepts one offered slot; new_time: proposes another time; "
        "none: declines without a time or says nothing about times; cancel: cancels the booked meeting"
    )
    offered: int | None = Field(default=None, description="number (1-based) of the accepted offered slot")
    window_start: datetime | None = Field(
        default=None, description="start of the proposed time, ISO 8601 with offset"
    )
    window_end: datetime | None = Field(
        default=None, description="end of the proposed time, ISO 8601 with offset"
    )


def _offered(state: LeadState) -> list[datetime]:
    return [datetime.fromisoformat(s["start"]) for s in state.proposed_slots]


def _tag(uid: str | None) -> str:
    """A short, stable part of an appointment's UID for idempotency keys."""
    return (uid or "appointment").split("@")[0][-12:]


def _booked(state: LeadState) -> Appointment | None:
    appt = state.appointment
    return appt if appt is not None and appt.status in BOOKED else None


def read_reply(state: LeadState, info: dict[str, Any], lead_tz: str) -> Choice:
    """Offline reading: proposed times from reply understanding, weekday names, cancel words."""
    offered = _offered(state)
    text = str(info.get("text") or "").lower()
    times = [
        (datetime.fromisoformat(t["start"]), datetime.fromisoformat(t["end"]))
        for t in info.get("proposed_times") or []
    ]
    if _booked(state) and _CANCEL.search(text) and not times and not _MOVE.search(text):
        return Choice("cancel")
    for start, end in times:
        for slot in offered:
            if start <= slot < end or abs((slot - start).total_seconds()) < 1800:
                return Choice("slot", slot=slot)
    declined = any(w in text for w in _DECLINE)
    if not declined:
        for slot in offered:
            day = _WEEKDAYS[slot.astimezone(ZoneInfo(lead_tz)).weekday()]
            if re.search(rf"\b({day}|{day[:3]})\b", text):
                return Choice("slot", slot=slot)
    if times:
        return Choice("window", windows=times)
    return Choice("none")


class AppointmentAgent:
    card: ClassVar[AgentCard] = AgentCard(
        name="appointment",
        description="Proposes free slots from the rep's calendar, books, confirms with an ICS invite, "
        "reminds and reschedules.",
        capabilities=["book_meeting", "reschedule", "remind"],
        inputs=["lead.qualified", "reply.classified", "timer.fired"],
        outputs=["lead.appointment_booked", "agent.escalated"],
        model_tier="fast",
    )

    # -- offline ------------------------------------------------------------------------
    def handle(self, ctx: AgentContext, state: LeadState, event: Event) -> Decision:
        rep_tz, lead_tz = self._zones(ctx, state)
        if event.type == EventType.TIMER_FIRED:
            return self._remind(ctx, state, event, lead_tz)
        if event.type == EventType.REPLY_CLASSIFIED:
            return self._act(ctx, state, event, read_reply(state, event.payload, lead_tz))
        return self._propose(ctx, state, lead_tz, rep_tz)

    # -- model --------------------------------------------------------------------------
    def handle_llm(self, ctx: AgentContext, state: LeadState, event: Event) -> Decision:
        """Read the reply with the fast model; book only what was offered or is free."""
        if event.type != EventType.REPLY_CLASSIFIED:
            return self.handle(ctx, state, event)
        if ctx.llm is None:
            raise ModelFailure("appointment: no model configured")
        _rep_tz, lead_tz = self._zones(ctx, state)
        now = ctx.clock.now()
        offered = _offered(state)
        listed = (
            "\n".join(
                f"{n}. {describe(s, lead_tz)} = {s.astimezone(ZoneInfo(lead_tz)).isoformat()}"
                for n, s in enumerate(offered, 1)
            )
            or "(none offered yet)"
        )
        appt = _booked(state)
        prompt = (
            f"Now: {now.astimezone(ZoneInfo(lead_tz)).isoformat()} ({lead_tz}, the lead's time zone).\n"
            f"Booked meeting: {describe(appt.start, lead_tz) if appt else 'none'}.\n"
            + data_block("offered_slots", listed)
            + "\n"
            + data_block("lead_reply", str(event.payload.get("text") or ""), limit=1500)
        )
        result = ctx.llm.run(
            agent_name=self.card.name,
            tier="fast",
            instructions=PROMPT.read_text(encoding="utf-8"),
            prompt=prompt,
            output_type=SlotReading,
        )
        choice = self._checked(result.output, state, offered, now, lead_tz)
        decision = self._act(ctx, state, event, choice)
        return decision.model_copy(
            update={
                "model": result.model_name,
                "tokens": result.input_tokens + result.output_tokens,
                "cost_usd": result.cost_usd,
            }
        )

    def _checked(
        self, reading: SlotReading, state: LeadState, offered: list[datetime], now: datetime, lead_tz: str
    ) -> Choice:
        """Turn the model's reading into a ``Choice``, or ``ModelFailure`` when it does not fit."""
        if reading.answer == "offered":
            if reading.offered is None or not 1 <= reading.offered <= len(offered):
                raise ModelFailure(
                    f"appointment: slot {reading.offered} was not offered ({len(offered)} were)"
                )
            return Choice("slot", slot=offered[reading.offered - 1])
        if reading.answer == "cancel":
            if _booked(state) is None:
                raise ModelFailure("appointment: cancel, but nothing is booked")
            return Choice("cancel")
        if reading.answer == "none":
            return Choice("none")
        start, end = reading.window_start, reading.window_end
        if start is None or end is None:
            raise ModelFailure("appointment: new_time without a window")
        zone = ZoneInfo(lead_tz)
        start, end = (t if t.tzinfo else t.replace(tzinfo=zone) for t in (start, end))
        if not (
            start < end
            and end - start <= timedelta(days=14)
            and end > now
            and start < now + timedelta(days=120)
        ):
            raise ModelFailure(f"appointment: implausible window {start.isoformat()} - {end.isoformat()}")
        return Choice("window", windows=[(start, end)])

    # -- steps --------------------------------------------------------------------------
    def _zones(self, ctx: AgentContext, state: LeadState) -> tuple[str, str]:
        rep_tz = str(ctx.campaign.settings.get("rep_timezone", "America/New_York"))
        return rep_tz, state.lead.timezone or rep_tz

    def _calendar(self, ctx: AgentContext) -> Calendar:
        # without a calendar every working-hours slot is free: a throw-away one gives the same offers
        return ctx.calendar if ctx.calendar is not None else MemoryCalendar()

    def _act(self, ctx: AgentContext, state: LeadState, event: Event, choice: Choice) -> Decision:
        rep_tz, lead_tz = self._zones(ctx, state)
        appt = _booked(state)
        if choice.kind == "cancel" and appt is not None:
            return self._cancel(ctx, state, appt, lead_tz)
        if choice.kind == "slot" and choice.slot is not None:
            if appt is not None and choice.slot == appt.start:
                appt.status = "confirmed"
                return Decision(result="confirmed", state=state, summary="lead confirmed the booked time")
            return self._book(ctx, state, choice.slot, lead_tz, rep_tz)
        if (
            choice.kind == "window"
            and appt is not None
            and any(s <= appt.start < e for s, e in choice.windows)
        ):
            appt.status = "confirmed"  # "Tuesday at 2pm works" about the time already booked
            return Decision(result="confirmed", state=state, summary="lead confirmed the booked time")
        if choice.kind == "window":
            calendar = self._calendar(ctx)
            earliest = ctx.clock.now() + MIN_NOTICE
            for start, end in choice.windows:
                slot = free_in_window(
                    calendar.busy, max(start, earliest), end, rep_tz=rep_tz, hours=rep_hours(ctx)
                )
                if slot is not None:
                    return self._book(ctx, state, slot, lead_tz, rep_tz)
            start, end = choice.windows[0]
            note = f"Unfortunately {ctx.campaign.rep_name} isn't free around {describe(start, lead_tz)}."
            return self._propose(
                ctx, state, lead_tz, rep_tz, after=max(start - timedelta(days=1), ctx.clock.now()), note=note
            )
        if appt is not None and event.payload.get("intent") != "meeting_request":
            return Decision(result="noted", summary="reply while booked; nothing to change")
        return self._propose(ctx, state, lead_tz, rep_tz)

    def _message(
        self,
        state: LeadState,
        ctx: AgentContext,
        channel: Channel,
        *,
        key: str,
        body: str,
        subject: str,
        payload: dict[str, Any] | None = None,
    ) -> OutboundAction:
        """A message to the lead on ``channel`` (the subject only for email), planned by sequencing."""
        return outbound(
            state,
            ctx,
            channel=channel,
            key=key,
            body=body,
            subject=subject if channel is Channel.EMAIL else None,
            agent=self.card.name,
            payload=payload,
        )

    def _propose(
        self,
        ctx: AgentContext,
        state: LeadState,
        lead_tz: str,
        rep_tz: str,
        *,
        after: datetime | None = None,
        note: str = "",
    ) -> Decision:
        now = ctx.clock.now()
        rounds = int(state.qualification.get("_proposal_rounds", 0)) + 1
        state.qualification["_proposal_rounds"] = rounds
        if rounds > MAX_ROUNDS:
            return self._escalate(
                state, now, "could not agree a time", f"{MAX_ROUNDS} rounds of slots without agreement"
            )
        base = after if after is not None else now + timedelta(days=2 * (rounds - 1))
        slots = self._calendar(ctx).free_slots(
            base, count=3, rep_tz=rep_tz, lead_tz=lead_tz, hours=rep_hours(ctx)
        )
        if not slots:
            return self._escalate(
                state, now, "no free time on the rep's calendar", "no free slot in the next 90 days"
            )
        state.proposed_slots = [{"start": s.isoformat(), "end": (s + SLOT).isoformat()} for s in slots]
        if state.stage is not Stage.MEETING_BOOKED:
            state.stage = Stage.QUALIFIED
        options = describe(slots[0], lead_tz)
        if len(slots) > 1:
            options = (
                ", ".join(describe(s, lead_tz) for s in slots[:-1]) + f" or {describe(slots[-1], lead_tz)}"
            )
        channel = preferred_channel(state, ctx.campaign)
        body = (
            f"{note} " if note else "Great! "
        ) + f"Would {options} work for a call with {ctx.campaign.rep_name}?"
        action = self._message(
            state, ctx, channel, key=f"appointment:propose:{rounds}", body=body, subject="Finding a time"
        )
        return Decision(
            result="proposed",
            state=state,
            actions=[action] if action.to else [],
            summary=f"proposed {len(slots)} slots (round {rounds})",
        )

    def _escalate(self, state: LeadState, now: datetime, reason: str, why: str) -> Decision:
        return Decision(
            result="escalated",
            state=state,
            escalation=Escalation(
                reason=reason,
                agent=self.card.name,
                priority="normal",
                summary=f"{state.lead.full_name}: {why}",
                at=now,
            ),
        )

    def _book(
        self, ctx: AgentContext, state: LeadState, start: datetime, lead_tz: str, rep_tz: str
    ) -> Decision:
        now = ctx.clock.now()
        old = _booked(state)
        count = old.reschedules + 1 if old is not None else 0
        if count > MAX_RESCHEDULES:
            return Decision(
                result="escalated",
                escalation=Escalation(
                    reason="more than three reschedules",
                    agent=self.card.name,
                    priority="normal",
                    summary=f"{state.lead.full_name} asked to reschedule a fourth time",
                    at=now,
                ),
            )
        if start - now < MIN_NOTICE:
            return self._propose(
                ctx, state, lead_tz, rep_tz, note=f"{describe(start, lead_tz)} is too soon to set up."
            )
        # one UID for the life of an appointment; a new one after a cancellation
        uid = (
            old.calendar_uid
            if old is not None and old.calendar_uid
            else (
                f"{state.lead_id}@leadflow"
                if state.appointment is None
                else f"{state.lead_id}-{int(start.timestamp())}@leadflow"
            )
        )
        try:
            self._calendar(ctx).book(
                start,
                start + SLOT,
                owner=state.lead_id,
                booking_id=uid,
                title=f"{state.lead.full_name} / {ctx.campaign.rep_name}",
            )
        except Conflict:
            note = f"Sorry, {describe(start, lead_tz)} was just taken."
            return self._propose(ctx, state, lead_tz, rep_tz, note=note)
        state.appointment = Appointment(
            start=start, end=start + SLOT, with_rep=ctx.campaign.rep_name, reschedules=count, calendar_uid=uid
        )
        state.stage = Stage.MEETING_BOOKED
        state.proposed_slots = []
        channel = preferred_channel(state, ctx.campaign)
        body = (
            f"Perfect! Booked for {describe(start, lead_tz)} with {ctx.campaign.rep_name}. "
            "Need to reschedule? Just reply with new times."
        )
        confirm = self._message(
            state,
            ctx,
            channel,
            key=f"appointment:confirm:{_tag(uid)}:{count}",
            body=body,
            subject="Confirmed: your call",
            payload=self._invite(ctx, state, state.appointment, channel, "REQUEST"),
        )
        local = start.astimezone(ZoneInfo(lead_tz))
        timers = [
            # the day before at the same wall-clock time in the lead's zone, even across a DST change
            TimerSpec(
                name="appointment:reminder_day_before",
                fire_at=(local - timedelta(days=1)).astimezone(UTC),
                agent=self.card.name,
                payload={
                    "reminder": "day_before",
                    "n": count,
                    "human": True,
                },  # reminders go on after a hand-over
            ),
            TimerSpec(
                name="appointment:reminder_day_of",
                fire_at=start - timedelta(hours=3),
                agent=self.card.name,
                payload={
                    "reminder": "day_of",
                    "n": count,
                    "human": True,
                },  # reminders go on after a hand-over
            ),
        ]
        timers = [t for t in timers if t.fire_at > now]
        return Decision(
            result="rescheduled" if old is not None else "booked",
            state=state,
            actions=[confirm] if confirm.to else [],
            timers=timers,
            events=[
                EmitEvent(
                    type=EventType.LEAD_APPOINTMENT_BOOKED,
                    payload={"start": start.isoformat(), "reschedules": count},
                )
            ],
            summary=f"booked {start.isoformat()}",
        )

    def _cancel(self, ctx: AgentContext, state: LeadState, appt: Appointment, lead_tz: str) -> Decision:
        if appt.calendar_uid:
            try:
                self._calendar(ctx).cancel(appt.calendar_uid)
            except NotFound:
                pass  # nothing held in this calendar: the committed state below releases the slot
        cancelled = appt.model_copy(update={"status": "cancelled"})
        state.appointment = cancelled
        state.stage = Stage.QUALIFIED
        state.proposed_slots = []
        channel = preferred_channel(state, ctx.campaign)
        body = (
            f"No problem, I've cancelled the call on {describe(appt.start, lead_tz)}. "
            "Reply any time if you'd like to find a new time."
        )
        action = self._message(
            state,
            ctx,
            channel,
            key=f"appointment:cancel:{_tag(appt.calendar_uid)}:{appt.reschedules}",
            body=body,
            subject="Cancelled: your call",
            payload=self._invite(ctx, state, cancelled, channel, "CANCEL"),
        )
        return Decision(
            result="cancelled",
            state=state,
            actions=[action] if action.to else [],
            cancel_timers=["appointment:*"],
            summary=f"cancelled {appt.start.isoformat()}",
        )

    def _invite(
        self, ctx: AgentContext, state: LeadState, appt: Appointment, channel: Channel, method: Method
    ) -> dict[str, object]:
        """The ICS attachment for an email (an SMS carries none)."""
        lead = state.lead
        if channel is not Channel.EMAIL or not lead.email or not appt.calendar_uid:
            return {}
        name, email, _postal = sender(ctx.campaign)
        company = lead.company or lead.full_name
        ics = invite_ics(
            uid=appt.calendar_uid,
            sequence=appt.reschedules + (1 if method == "CANCEL" else 0),
            start=appt.start,
            end=appt.end,
            stamp=ctx.clock.now(),
            method=method,
            summary=f"{ctx.campaign.company_name} / {company}: call with {appt.with_rep}",
            organizer=(name, email),
            attendee=(lead.full_name, str(lead.email)),
        )
        return {"attachments": [ics_attachment(ics, method)]}

    def _remind(self, ctx: AgentContext, state: LeadState, event: Event, lead_tz: str) -> Decision:
        appt = _booked(state)
        if appt is None or state.stage is not Stage.MEETING_BOOKED:
            return Decision(result="skipped", summary="no appointment to remind about")
        if event.payload.get("n", appt.reschedules) != appt.reschedules:
            return Decision(result="skipped", summary="reminder for a time since rescheduled")
        which = event.payload.get("reminder", "day_before")
        when = describe(appt.start, lead_tz)
        body = (
            f"Still on for {when}?"
            if which == "day_before"
            else f"See you today: {when} with {appt.with_rep}!"
        )
        channel = preferred_channel(state, ctx.campaign)
        action = self._message(
            state,
            ctx,
            channel,
            key=f"appointment:{which}:{_tag(appt.calendar_uid)}:{appt.reschedules}",
            body=body,
            subject="Reminder: your call",
        )
        return Decision(
            result=f"reminded_{which}", actions=[action] if action.to else [], summary=f"{which} reminder"
        )
