"""Nurture agent: multi-channel drips from the industry pack, paused on engagement.

Each step sends one message and sets a durable timer for the next. A reply cancels the drip
(``nurture:*`` timers) and qualification takes over; an unsubscribe cancels everything; the
last step without a reply closes the lead as lost. A lead that opted out (do-not-contact) or
has no channel it consented to gets nothing and its drip timers are cancelled.

Model mode (:meth:`NurtureAgent.handle_llm`) lets the fast model write the step's message and
choose its channel and the wait before the next touch, and nothing else: the step, the
recipient (always the lead's own address), the send time and the stop-on-reply flag stay the
rules'. The channel must be one the lead consented to and has an address for, the wait may
not be shorter than the pack's schedule, and the body may carry no addresses, links,
placeholders or instruction-like text; otherwise ``ModelFailure`` and the template is sent.
A lead the rules would not contact never reaches the model.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field

from leadflow.agents._compose import outbound
from leadflow.agents._llm import data_block, one_line, prompt, with_usage
from leadflow.agents.base import AgentCard, AgentContext, Decision, EmitEvent
from leadflow.agents.qualification import pack_for
from leadflow.campaigns.copy import follow_up as follow_up_copy
from leadflow.campaigns.spec import FIRST_FOLLOW_UP
from leadflow.domain.actions import TimerSpec
from leadflow.domain.events import Event, EventType
from leadflow.domain.models import Channel, Direction, LeadState, Stage, zone
from leadflow.exceptions import ModelFailure
from leadflow.kb.sanitize import is_suspicious

MAX_RUNS = 2  # a lead that has been through two drips without converting is closed
LAST_GAP_DAYS = 14  # after the last step, how long to wait for a reply before closing
_UNSAFE_BODY = re.compile(r"@|https?://|www\.|\{|\}|\[[A-Z][^\]]*\]", re.IGNORECASE)

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


class NurtureMessage(BaseModel):
    """What the model may decide for one drip step: the message, its channel, the wait after it."""

    model_config = ConfigDict(extra="forbid")

    channel: Literal["email", "sms"]
    subject: str | None = Field(default=None, max_length=120)
    body: str = Field(min_length=1, max_length=1200)
    wait_days: int = Field(ge=1, le=60, description="days until the next touch")


@dataclass(frozen=True)
class Step:
    """One planned drip step: which, on what channel, from when, and the gap to the next."""

    index: int
    total: int
    channel: Channel
    day0: datetime
    gap_days: int
    after_last: int = 0
    """Whole days this step waits after the previous outbound message actually sent (the
    dispatcher holds it until then: ``gap_days`` in the action's payload)."""


def send_time(day: datetime, tz_name: str | None) -> datetime:
    """10:00 on the lead's local day, moved off weekends."""
    tz = zone(tz_name)
    local = day.astimezone(tz)
    at = datetime.combine(local.date(), time(10, 0), tzinfo=tz)
    while at.weekday() >= 5:
        at += timedelta(days=1)
    return at if at >= day else at + timedelta(days=0)


def allowed_channels(state: LeadState) -> list[Channel]:
    """Channels the lead has an address for and consented to; none once they opted out."""
    if not state.contactable:
        return []
    lead = state.lead
    allowed = [Channel.EMAIL] if lead.email and lead.consent.email else []
    if lead.phone and lead.consent.sms:
        allowed.append(Channel.SMS)
    return allowed


def check_message(message: NurtureMessage, step: Step, allowed: list[Channel]) -> None:
    """Raise ``ModelFailure`` unless the model stayed within what a drip step may do."""
    if Channel(message.channel) not in allowed:
        raise ModelFailure(f"nurture: channel {message.channel} is not allowed for this lead ({allowed})")
    if message.wait_days < step.gap_days:
        raise ModelFailure(
            f"nurture: next touch in {message.wait_days} days is sooner than the schedule's {step.gap_days}"
        )
    for part in (message.subject or "", message.body):
        if _UNSAFE_BODY.search(part) or is_suspicious(part):
            raise ModelFailure("nurture: the message carries an address, link, placeholder or instruction")


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
        plan = self._plan(ctx, state, event)
        if isinstance(plan, Decision):
            return plan
        own = self._own_copy(ctx, state, plan)
        if own is not None:
            return own
        lines = _CONTENT[plan.channel] if plan.channel in _CONTENT else _CONTENT[Channel.EMAIL]
        body = lines[plan.index % len(lines)].format(name=state.lead.first_name, offer=ctx.campaign.offer)
        subject = f"{state.lead.first_name}, {ctx.campaign.offer}" if plan.channel is Channel.EMAIL else None
        return self._send(
            ctx, state, plan, channel=plan.channel, body=body, subject=subject, wait_days=plan.gap_days
        )

    def handle_llm(self, ctx: AgentContext, state: LeadState, event: Event) -> Decision:
        """The step the rules plan, with the model's message, channel and wait (checked)."""
        plan = self._plan(ctx, state, event)
        if isinstance(plan, Decision) or ctx.llm is None:
            return plan if isinstance(plan, Decision) else self.handle(ctx, state, event)
        own = self._own_copy(ctx, state, plan)
        if own is not None:  # the campaign file's own words: no model call
            return own
        allowed = allowed_channels(state)
        lead = state.lead
        history = "\n".join(
            f"{'lead' if m.direction is Direction.INBOUND else 'us'} ({m.channel.value}): {one_line(m.body, limit=300)}"
            for m in state.messages[-3:]
        )
        result = ctx.llm.run(
            agent_name=self.card.name,
            tier=self.card.model_tier,
            instructions=prompt("nurture"),
            prompt=f"Seller: {ctx.campaign.rep_name} of {ctx.campaign.company_name}; offer: {ctx.campaign.offer}\n"
            f"Drip step {plan.index + 1} of {plan.total}; scheduled channel: {plan.channel.value}; "
            f"allowed channels: {', '.join(c.value for c in allowed)}; "
            f"next touch no sooner than {plan.gap_days} days\n"
            + data_block(
                "lead",
                {
                    "first_name": lead.first_name,
                    "company": lead.company or "-",
                    "industry": lead.industry or "-",
                    "inquiry": lead.inquiry or "-",
                },
            )
            + "\n"
            + data_block("history", history),
            output_type=NurtureMessage,
        )
        message: NurtureMessage = result.output
        check_message(message, plan, allowed)
        channel = Channel(message.channel)
        subject = None
        if channel is Channel.EMAIL:
            subject = (message.subject or "").strip() or f"{lead.first_name}, {ctx.campaign.offer}"
        decision = self._send(
            ctx,
            state,
            plan,
            channel=channel,
            body=message.body.strip(),
            subject=subject,
            wait_days=message.wait_days,
        )
        return with_usage(decision, result)

    def _own_copy(self, ctx: AgentContext, state: LeadState, plan: Step) -> Decision | None:
        """The step from the campaign file's own copy (sequence step ``plan.index + 1``), if any."""
        copy = follow_up_copy(ctx.campaign, state, plan.index + 1, plan.channel)
        if copy is None:
            return None
        subject, body = copy
        if plan.channel is Channel.EMAIL and subject is None:
            subject = f"{state.lead.first_name}, {ctx.campaign.offer}"
        return self._send(ctx, state, plan, channel=plan.channel, body=body, subject=subject, wait_days=plan.gap_days)

    # -- steps --------------------------------------------------------------------------
    def _plan(self, ctx: AgentContext, state: LeadState, event: Event) -> Step | Decision:
        """The next step of the drip, or the decision that ends or skips it."""
        now = ctx.clock.now()
        if not allowed_channels(state):
            return Decision(
                result="not_contactable",
                cancel_timers=["nurture:*"],
                summary="opted out or no consented channel: no drip",
            )
        found = pack_for(ctx.campaign).get("nurture")  # [] from a campaign file: no follow-ups at all
        schedule: list[list[Any]] = [[0, "email"]] if found is None else found
        if event.type != EventType.TIMER_FIRED:
            if (
                state.stage is Stage.NURTURING
                and state.nurture_step > 0
                and event.type == EventType.LEAD_STALLED
            ):
                return Decision(result="already_nurturing", summary="drip already running")
            if state.nurture_run >= MAX_RUNS:
                state.stage = Stage.LOST
                return Decision(
                    result="exhausted",
                    state=state,
                    cancel_timers=["nurture:*"],
                    events=[EmitEvent(type=EventType.LEAD_LOST, payload={"reason": "nurture_exhausted"})],
                    summary=f"{MAX_RUNS} drips without converting",
                )
            state.stage = Stage.NURTURING
            state.nurture_step = 0
            state.nurture_run += 1
        step = state.nurture_step
        if step >= len(schedule):
            state.stage = Stage.LOST
            return Decision(
                result="exhausted",
                state=state,
                cancel_timers=["nurture:*"],
                events=[EmitEvent(type=EventType.LEAD_LOST, payload={"reason": "nurture_exhausted"})],
                summary="drip finished without engagement",
            )
        day0 = state.paused_until if state.paused_until and state.paused_until > now else now
        if step == 0 and int(str(schedule[0][0])) > 0:  # a campaign file's first follow-up after more than the stall
            day0 += timedelta(days=int(str(schedule[0][0])))
        channel = Channel(str(schedule[step][1]))
        if channel is Channel.SMS and not (state.lead.phone and state.lead.consent.sms):
            channel = Channel.EMAIL
        gap = (
            int(str(schedule[step + 1][0])) - int(str(schedule[step][0]))
            if step + 1 < len(schedule)
            else LAST_GAP_DAYS
        )
        if step == 0:  # the first follow-up: the stall's wait plus the campaign's extra days after the first touch
            after = FIRST_FOLLOW_UP.days + int(str(schedule[0][0])) if event.type == EventType.LEAD_STALLED else 0
        else:
            after = int(str(schedule[step][0])) - int(str(schedule[step - 1][0]))
        return Step(
            index=step, total=len(schedule), channel=channel, day0=day0, gap_days=gap, after_last=max(0, after)
        )

    def _send(
        self,
        ctx: AgentContext,
        state: LeadState,
        plan: Step,
        *,
        channel: Channel,
        body: str,
        subject: str | None,
        wait_days: int,
    ) -> Decision:
        action = outbound(
            state,
            ctx,
            channel=channel,
            key=f"nurture:{state.nurture_run}:{plan.index}",
            body=body,
            payload={"stop_on_reply": True, **({"gap_days": plan.after_last} if plan.after_last else {})},
            subject=subject,
            agent=self.card.name,
            not_before=send_time(plan.day0, state.lead.timezone),
        )
        state.nurture_step = plan.index + 1
        timers = [
            TimerSpec(
                name="nurture:next", fire_at=plan.day0 + timedelta(days=wait_days), agent=self.card.name
            )
        ]
        return Decision(
            result=f"drip_step_{plan.index}",
            state=state,
            actions=[action] if action.to else [],
            timers=timers,
            summary=f"drip step {plan.index} by {channel.value}",
        )
