"""Reply understanding agent: classifies an inbound reply and turns it into lead events.

It reads the reply as data (never as instructions), records it in the conversation, and
emits what it means: ``reply.classified`` for every reply a person wrote; ``lead.engaged`` for a positive reply from a
lead not yet in conversation; ``lead.opted_out`` (do-not-contact, address suppressed) for an
unsubscribe; ``message.bounced`` (address suppressed) for a bounce; a pause until the return
date for an out-of-office, and a week's pause (no ``reply.classified``, no engagement) for any
other automatic answer such as a ticket receipt.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Any, ClassVar
from zoneinfo import ZoneInfo

from leadflow.agents.base import AgentCard, AgentContext, Decision, EmitEvent
from leadflow.domain.actions import TimerSpec
from leadflow.domain.events import Event, EventType
from leadflow.domain.models import Channel, Direction, LeadState, Message, Stage

ENGAGING = {
    "interested",
    "meeting_request",
    "question",
    "objection_price",
    "objection_timing",
    "objection_competitor",
    "objection_need",
    "other",
}
IN_CONVERSATION = {Stage.QUALIFYING, Stage.QUALIFIED, Stage.MEETING_BOOKED, Stage.CLOSING}


class ReplyUnderstandingAgent:
    card: ClassVar[AgentCard] = AgentCard(
        name="reply_understanding",
        description="Finds a reply's new text, intent, auto-reply, bounce, opt-out, referral and proposed times.",
        capabilities=["classify_reply", "detect_bounce", "detect_out_of_office", "detect_opt_out"],
        inputs=["reply.received"],
        outputs=["reply.classified", "lead.engaged", "lead.opted_out", "message.bounced", "lead.lost"],
        model_tier="fast",
        expected_latency_ms=30,
    )

    def __init__(self, understanding: Any | None = None) -> None:
        self.understanding = understanding

    def warm_up(self) -> None:
        """Load the offline reader's model and date parser now rather than on the first reply."""
        from leadflow.reply.analyze import warm_up

        warm_up()

    def _analyze(self, ctx: AgentContext, state: LeadState, event: Event) -> Any:
        from leadflow.reply.analyze import analyze_reply

        p = event.payload
        return analyze_reply(
            raw=p.get("raw"),
            text=p.get("text"),
            id=p.get("message_id"),
            now=ctx.clock.now(),
            tz=state.lead.timezone or "UTC",
            channel=p.get("channel", "email"),
            analyzer=self.understanding,
        )

    def handle(self, ctx: AgentContext, state: LeadState, event: Event) -> Decision:
        analysis = self._analyze(ctx, state, event)
        return self.decide(ctx, state, event, analysis)

    def decide(self, ctx: AgentContext, state: LeadState, event: Event, a: Any) -> Decision:
        now = ctx.clock.now()
        p = event.payload
        channel = Channel(p.get("channel", "email"))
        intent = str(a.intent)
        # An automatic answer (out-of-office, ticket receipt, unmonitored inbox) is not the lead
        # talking: it is recorded and pauses the sequence below, but it is not counted as a
        # reply nor offered to the agents that answer replies (qualification, appointment,
        # closing), which would otherwise write back to it.
        automatic = bool(a.auto_reply) and not a.bounce and intent != "unsubscribe"
        if not automatic:
            state.replies += 1
        state.last_intent = intent
        state.messages.append(
            Message(
                id=str(p.get("message_id") or event.id),
                channel=channel,
                direction=Direction.INBOUND,
                sender=p.get("from"),
                subject=p.get("subject"),
                body=(a.text or "")[:4000],
                at=now,
                in_reply_to=p.get("in_reply_to"),
            )
        )
        info: dict[str, Any] = a.model_dump(mode="json")
        info.pop("id", None)
        events = (
            []
            if automatic
            else [EmitEvent(type=EventType.REPLY_CLASSIFIED, payload=info, confidence=float(a.confidence))]
        )
        timers: list[TimerSpec] = []
        cancel: list[str] = []
        suppress: list[str] = []
        result = intent
        if intent == "unsubscribe":
            state.stage = Stage.DO_NOT_CONTACT
            events.append(EmitEvent(type=EventType.LEAD_OPTED_OUT, payload={"channel": channel.value}))
            suppress += [x for x in (state.lead.email, state.lead.phone) if x]
        elif intent == "bounce" or a.bounce:
            recipients = list(a.bounce.recipients) if a.bounce else []
            kind = a.bounce.kind if a.bounce else "hard"
            events.append(
                EmitEvent(type=EventType.MESSAGE_BOUNCED, payload={"kind": kind, "recipients": recipients})
            )
            if kind == "hard":
                suppress += recipients or ([str(state.lead.email)] if state.lead.email else [])
                if not (state.lead.phone and state.lead.consent.sms):
                    state.stage = Stage.LOST
                    events.append(EmitEvent(type=EventType.LEAD_LOST, payload={"reason": "hard_bounce"}))
                    cancel.append("*")
        elif intent == "out_of_office" or a.auto_reply:
            back = a.return_date or (now + timedelta(days=7)).date()
            tz = ZoneInfo(state.lead.timezone or "UTC")
            resume = datetime.combine(back, time(9, 0), tzinfo=tz)
            state.paused_until = resume
            cancel.append("route:*")
            cancel.append("nurture:*")
            timers.append(
                TimerSpec(
                    name="ooo:resume",
                    fire_at=max(resume, now + timedelta(hours=1)),
                    payload={"emit": EventType.LEAD_STALLED.value, "reason": "back_from_ooo"},
                )
            )
            result = "paused_until_return"
        elif intent in ("not_interested", "wrong_person", "referral"):
            state.stage = Stage.LOST
            events.append(
                EmitEvent(
                    type=EventType.LEAD_LOST, payload={"reason": intent, "referral": info.get("referral")}
                )
            )
            cancel.append("*")
        elif intent in ENGAGING and state.stage not in IN_CONVERSATION:
            state.stage = Stage.ENGAGED
            state.paused_until = None
            events.append(EmitEvent(type=EventType.LEAD_ENGAGED, payload=info))
            cancel.append("nurture:*")
        return Decision(
            result=result,
            state=state,
            events=events,
            timers=timers,
            cancel_timers=cancel,
            suppress=[str(x) for x in suppress],
            summary=f"intent={intent} ({float(a.confidence):.2f})",
        )
