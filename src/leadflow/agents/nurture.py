"""Nurture agent: multi-channel drips from the industry pack, paused on engagement.

Each step sends one message and sets a durable timer for the next. A reply cancels the drip
(``nurture:*`` timers) and qualification takes over; an unsubscribe cancels everything; the
last step without a reply closes the lead as lost.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import ClassVar
from zoneinfo import ZoneInfo

from leadflow.agents._compose import outbound
from leadflow.agents.base import AgentCard, AgentContext, Decision, EmitEvent
from leadflow.agents.qualification import pack_for
from leadflow.domain.actions import TimerSpec
from leadflow.domain.events import Event, EventType
from leadflow.domain.models import Channel, LeadState, Stage

MAX_RUNS = 2  # a lead that has been through two drips without converting is closed

_CONTENT = {
    Channel.SMS: [
        "Hi {name}, any questions I can answer about {offer}?",
        "{name}, a few new options match what you asked about. Want details?",
        "Still looking into {offer}, {name}? Happy to help whenever suits.",
        "Quick check-in, {name}: anything I can do for you?",
    ],
    Channel.EMAIL: [
        "Hi {name},\n\nA short update on {offer} that might be useful, with what's new this month.",
        "Hi {name},\n\nA few tips teams in your position found helpful, and an offer of a no-pressure call.",
        "Hi {name},\n\nHere's a fuller report on {offer}. Reply if you'd like me to walk you through it.",
    ],
}


def send_time(day: datetime, tz_name: str | None) -> datetime:
    """10:00 on the lead's local day, moved off weekends."""
    tz = ZoneInfo(tz_name or "UTC")
    local = day.astimezone(tz)
    at = datetime.combine(local.date(), time(10, 0), tzinfo=tz)
    while at.weekday() >= 5:
        at += timedelta(days=1)
    return at if at >= day else at + timedelta(days=0)


class NurtureAgent:
    card: ClassVar[AgentCard] = AgentCard(
        name="nurture",
        description="Multi-channel drip sequences per industry, paused on engagement, stopped on opt-out.",
        capabilities=["drip", "re_engage"],
        inputs=["lead.stalled", "lead.qualified", "timer.fired"],
        outputs=["lead.lost"],
        model_tier="fast",
    )

    def handle(self, ctx: AgentContext, state: LeadState, event: Event) -> Decision:
        now = ctx.clock.now()
        schedule: list[list[object]] = pack_for(state, ctx.campaign.industry_pack).get("nurture") or [[0, "email"]]
        if event.type != EventType.TIMER_FIRED:
            if state.stage is Stage.NURTURING and state.nurture_step > 0 and event.type == EventType.LEAD_STALLED:
                return Decision(result="already_nurturing", summary="drip already running")
            if state.nurture_run >= MAX_RUNS:
                state.stage = Stage.LOST
                return Decision(result="exhausted", state=state, cancel_timers=["nurture:*"],
                                events=[EmitEvent(type=EventType.LEAD_LOST, payload={"reason": "nurture_exhausted"})],
                                summary=f"{MAX_RUNS} drips without converting")
            state.stage = Stage.NURTURING
            state.nurture_step = 0
            state.nurture_run += 1
        step = state.nurture_step
        if step >= len(schedule):
            state.stage = Stage.LOST
            return Decision(result="exhausted", state=state, cancel_timers=["nurture:*"],
                            events=[EmitEvent(type=EventType.LEAD_LOST, payload={"reason": "nurture_exhausted"})],
                            summary="drip finished without engagement")
        day0 = state.paused_until if state.paused_until and state.paused_until > now else now
        channel = Channel(str(schedule[step][1]))
        if channel is Channel.SMS and not (state.lead.phone and state.lead.consent.sms):
            channel = Channel.EMAIL
        lines = _CONTENT[channel] if channel in _CONTENT else _CONTENT[Channel.EMAIL]
        body = lines[step % len(lines)].format(name=state.lead.first_name, offer=ctx.campaign.offer)
        action = outbound(state, ctx.campaign, channel=channel, key=f"nurture:{state.nurture_run}:{step}", body=body, payload={"stop_on_reply": True},
                          subject=f"{state.lead.first_name}, {ctx.campaign.offer}" if channel is Channel.EMAIL else None,
                          agent=self.card.name, not_before=send_time(day0, state.lead.timezone))
        state.nurture_step = step + 1
        timers = []
        if step + 1 <= len(schedule):
            gap = (int(str(schedule[step + 1][0])) - int(str(schedule[step][0]))) if step + 1 < len(schedule) else 14
            timers.append(TimerSpec(name="nurture:next", fire_at=day0 + timedelta(days=gap), agent=self.card.name))
        return Decision(result=f"drip_step_{step}", state=state, actions=[action] if action.to else [],
                        timers=timers, summary=f"drip step {step} by {channel.value}")
