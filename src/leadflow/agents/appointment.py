"""Appointment agent: proposes slots in the lead's time zone, understands the answer, books.

Availability comes from the calendar port (the built-in working-hours calendar by default).
It books on "Tuesday works", offers new slots on "none of those, Friday morning?", confirms,
sets day-before and day-of reminders as durable timers, and escalates after three reschedules.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Any, ClassVar
from zoneinfo import ZoneInfo

from leadflow.agents._compose import outbound, preferred_channel
from leadflow.agents.base import AgentCard, AgentContext, Decision, EmitEvent
from leadflow.domain.actions import TimerSpec
from leadflow.domain.events import Event, EventType
from leadflow.domain.models import Appointment, Channel, Escalation, LeadState, Stage

SLOT = timedelta(minutes=30)
_WEEKDAYS = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]


def working_slots(after: datetime, *, rep_tz: str, count: int = 3) -> list[datetime]:
    """Business-hour slots on the next working days, spread morning/afternoon."""
    tz = ZoneInfo(rep_tz)
    local = after.astimezone(tz)
    out: list[datetime] = []
    day = local.date() + timedelta(days=1)
    hours = [10, 14, 11, 15, 9, 16]
    while len(out) < count:
        if day.weekday() < 5:
            out.append(datetime.combine(day, time(hours[len(out) % len(hours)], 0), tzinfo=tz))
        day += timedelta(days=1)
    return out


def describe(slot: datetime, tz_name: str) -> str:
    local = slot.astimezone(ZoneInfo(tz_name))
    return local.strftime("%A %b %d at %I:%M %p").replace(" 0", " ") + f" ({local.tzname()})"


class AppointmentAgent:
    card: ClassVar[AgentCard] = AgentCard(
        name="appointment",
        description="Proposes meeting slots, books, confirms, reminds and reschedules.",
        capabilities=["book_meeting", "reschedule", "remind"],
        inputs=["lead.qualified", "reply.classified", "timer.fired"],
        outputs=["lead.appointment_booked", "agent.escalated"],
        model_tier="fast",
    )

    def handle(self, ctx: AgentContext, state: LeadState, event: Event) -> Decision:
        rep_tz = str(ctx.campaign.settings.get("rep_timezone", "America/New_York"))
        lead_tz = state.lead.timezone or rep_tz
        if event.type == EventType.TIMER_FIRED:
            return self._remind(ctx, state, event, lead_tz)
        if event.type == EventType.REPLY_CLASSIFIED:
            chosen = self._choose(state, event.payload, lead_tz)
            if chosen is not None and state.appointment is not None and chosen == state.appointment.start:
                state.appointment.status = "confirmed"
                return Decision(result="confirmed", state=state, summary="lead confirmed the booked time")
            if chosen is not None:
                return self._book(ctx, state, chosen, lead_tz)
            if state.stage is Stage.MEETING_BOOKED and event.payload.get("intent") not in ("meeting_request",):
                return Decision(result="noted", summary="reply while booked; nothing to change")
        return self._propose(ctx, state, lead_tz, rep_tz)

    def _choose(self, state: LeadState, info: dict[str, Any], lead_tz: str) -> datetime | None:
        proposed = [datetime.fromisoformat(s["start"]) for s in state.proposed_slots]
        times = [(datetime.fromisoformat(t["start"]), datetime.fromisoformat(t["end"])) for t in info.get("proposed_times") or []]
        for start, end in times:
            for slot in proposed:
                if start <= slot < end or abs((slot - start).total_seconds()) < 1800:
                    return slot
        text = str(info.get("text") or "").lower()
        for slot in proposed:
            day = _WEEKDAYS[slot.astimezone(ZoneInfo(lead_tz)).weekday()]
            if day in text or day[:3] + " " in text:
                if not any(w in text for w in ("none of", "doesn't work", "don't work", "can't", "cannot")):
                    return slot
        for start, end in times:
            local = start.astimezone(ZoneInfo(lead_tz))
            if start.weekday() < 5 and end - start <= timedelta(hours=12) and 8 <= local.hour <= 17:
                return start
        return None

    def _propose(self, ctx: AgentContext, state: LeadState, lead_tz: str, rep_tz: str) -> Decision:
        now = ctx.clock.now()
        rounds = int(state.qualification.get("_proposal_rounds", 0)) + 1
        state.qualification["_proposal_rounds"] = rounds
        if rounds > 4:
            return Decision(result="escalated", state=state, escalation=Escalation(
                reason="could not agree a time", agent=self.card.name, priority="normal",
                summary=f"{state.lead.full_name}: four rounds of slots without agreement", at=now))
        slots = working_slots(now + timedelta(days=2 * (rounds - 1)), rep_tz=rep_tz)
        state.proposed_slots = [{"start": s.isoformat(), "end": (s + SLOT).isoformat()} for s in slots]
        if state.stage is not Stage.MEETING_BOOKED:
            state.stage = Stage.QUALIFIED
        options = ", ".join(describe(s, lead_tz) for s in slots[:-1]) + f" or {describe(slots[-1], lead_tz)}"
        channel = preferred_channel(state, ctx.campaign)
        body = f"Great! Would {options} work for a call with {ctx.campaign.rep_name}?"
        action = outbound(state, ctx.campaign, channel=channel, key=f"appointment:propose:{rounds}", body=body,
                          subject="Finding a time" if channel is Channel.EMAIL else None, agent=self.card.name)
        return Decision(result="proposed", state=state, actions=[action] if action.to else [],
                        summary=f"proposed {len(slots)} slots (round {rounds})")

    def _book(self, ctx: AgentContext, state: LeadState, start: datetime, lead_tz: str) -> Decision:
        now = ctx.clock.now()
        rescheduling = state.appointment is not None
        count = state.appointment.reschedules + 1 if state.appointment and rescheduling else 0
        if count > 3:
            return Decision(result="escalated", escalation=Escalation(
                reason="more than three reschedules", agent=self.card.name, priority="normal",
                summary=f"{state.lead.full_name} asked to reschedule a fourth time", at=now))
        state.appointment = Appointment(start=start, end=start + SLOT, with_rep=ctx.campaign.rep_name, reschedules=count,
                                        calendar_uid=f"{state.lead_id}@leadflow")
        state.stage = Stage.MEETING_BOOKED
        state.proposed_slots = []
        channel = preferred_channel(state, ctx.campaign)
        body = f"Perfect! Booked for {describe(start, lead_tz)} with {ctx.campaign.rep_name}. Need to reschedule? Just reply with new times."
        confirm = outbound(state, ctx.campaign, channel=channel, key=f"appointment:confirm:{count}", body=body,
                           subject="Confirmed: your call" if channel is Channel.EMAIL else None, agent=self.card.name)
        timers = [
            TimerSpec(name="appointment:reminder_day_before", fire_at=start - timedelta(days=1), agent=self.card.name,
                      payload={"reminder": "day_before", "n": count}),
            TimerSpec(name="appointment:reminder_day_of", fire_at=start - timedelta(hours=3), agent=self.card.name,
                      payload={"reminder": "day_of", "n": count}),
        ]
        timers = [t for t in timers if t.fire_at > now]
        return Decision(
            result="rescheduled" if rescheduling else "booked", state=state, actions=[confirm] if confirm.to else [],
            timers=timers, events=[EmitEvent(type=EventType.LEAD_APPOINTMENT_BOOKED,
                                             payload={"start": start.isoformat(), "reschedules": count})],
            summary=f"booked {start.isoformat()}",
        )

    def _remind(self, ctx: AgentContext, state: LeadState, event: Event, lead_tz: str) -> Decision:
        appt = state.appointment
        if appt is None or state.stage is not Stage.MEETING_BOOKED:
            return Decision(result="skipped", summary="no appointment to remind about")
        which = event.payload.get("reminder", "day_before")
        when = describe(appt.start, lead_tz)
        body = f"Still on for {when}?" if which == "day_before" else f"See you today: {when} with {appt.with_rep}!"
        channel = preferred_channel(state, ctx.campaign)
        action = outbound(state, ctx.campaign, channel=channel, key=f"appointment:{which}:{appt.reschedules}", body=body,
                          subject="Reminder: your call" if channel is Channel.EMAIL else None, agent=self.card.name)
        return Decision(result=f"reminded_{which}", actions=[action] if action.to else [], summary=f"{which} reminder")
