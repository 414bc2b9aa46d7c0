"""Post-sale agent: onboarding emails, check-ins, and a churn-risk flag that goes to a human.

On ``lead.converted`` the lead becomes a customer (stage ``won``): a welcome email goes out at
once and durable timers deliver the rest of the onboarding sequence (days 3, 7 and 14) and the
check-ins (days 30, 60 and 90). A customer's reply is read with the offline reply analyser;
a negative one, or no engagement at all by a check-in, flags churn risk and escalates.
The reply's intent reads as (see ``leadflow.reply.intent``): a happy customer ``interested``,
a neutral update ``other``, a how-to ``question``, a complaint ``objection_need`` (or
``objection_price`` about the bill), a cancellation threat or request ``not_interested``; the
last three are :data:`NEGATIVE`. An automatic answer (out-of-office, ticket receipt) is
recorded but is neither negative nor engagement.
Messages only ever go to the customer's own address.

Model mode (:meth:`PostSaleAgent.handle_llm`) also asks the fast model for a churn-risk score of
a customer's reply: a number in 0..1 with the reasons for it. It is merged with the rules, never
instead of them: the offline reading (intent, angry cues, unsubscribe) always runs and its flag
stands; a model score of at least ``CHURN_THRESHOLD`` adds a flag the rules missed. The score and
reasons are recorded in ``state.signals``. A score without reasons, or reasons that read like
instructions, is a ``ModelFailure`` (the runner falls back to the rules alone). Onboarding and
check-in timers never call a model.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict, Field

from leadflow.agents._compose import outbound
from leadflow.agents._llm import data_block, one_line, prompt, with_usage
from leadflow.agents.base import AgentCard, AgentContext, Decision
from leadflow.agents.escalation import EscalationRules, default_rules, evaluate_escalation
from leadflow.domain.actions import TimerSpec
from leadflow.domain.events import Event, EventType
from leadflow.domain.models import Channel, Direction, Escalation, LeadState, Message, Stage
from leadflow.exceptions import ModelFailure
from leadflow.kb.sanitize import is_suspicious

CONVERTED_KEY = "_converted_at"
STOPPED_KEY = "_onboarding_stopped"

#: day -> (subject, body); {name}, {company}, {rep} are filled in
ONBOARDING: dict[int, tuple[str, str]] = {
    0: (
        "Welcome to {company}",
        "Hi {name},\n\nWelcome aboard! {rep} will be your contact. This week we connect your CRM and calendars; reply with any questions.",
    ),
    3: (
        "Step 2: connect your CRM",
        "Hi {name},\n\nA quick nudge to connect your CRM so every lead lands in one place. It takes about ten minutes; reply if you get stuck.",
    ),
    7: (
        "Step 3: your first campaign",
        "Hi {name},\n\nYour first campaign is ready to go live. Want {rep} to review it with you before launch?",
    ),
    14: (
        "Two weeks in: how is it going?",
        "Hi {name},\n\nTwo weeks in, here is where teams usually see their first booked meetings. Anything we can tune for you?",
    ),
}
CHECK_INS: dict[int, tuple[str, str]] = {
    30: (
        "Your 30-day check-in",
        "Hi {name},\n\nOne month in: how are results so far? Reply with anything that is not working and {rep} will help.",
    ),
    60: (
        "Your 60-day check-in",
        "Hi {name},\n\nTwo months in. Would a short review of your numbers with {rep} be useful?",
    ),
    90: (
        "Your 90-day review",
        "Hi {name},\n\nThree months in: time for a quarterly review. Which day suits you?",
    ),
}
CHURN_THRESHOLD = 0.6


class ChurnAssessment(BaseModel):
    """The model's reading of one customer reply: a bounded churn-risk score and why."""

    model_config = ConfigDict(extra="forbid")

    risk: float = Field(ge=0.0, le=1.0, description="0 = happy customer, 1 = about to leave")
    reasons: list[str] = Field(default_factory=list, max_length=5)


def check_churn(assessment: ChurnAssessment) -> list[str]:
    """The assessment's reasons, cleaned; ``ModelFailure`` when a risk comes without usable reasons."""
    reasons = [" ".join(r.split())[:200] for r in assessment.reasons if r.strip()]
    if any(is_suspicious(r) for r in reasons):
        raise ModelFailure("post_sale: churn reasons read like instructions")
    if assessment.risk >= CHURN_THRESHOLD and not reasons:
        raise ModelFailure(f"post_sale: churn risk {assessment.risk:.2f} without reasons")
    return reasons


NEGATIVE = {
    "not_interested",
    "objection_price",
    "objection_timing",
    "objection_competitor",
    "objection_need",
    "unsubscribe",
}


class PostSaleAgent:
    card: ClassVar[AgentCard] = AgentCard(
        name="post_sale",
        description="Onboarding sequence (days 0/3/7/14), check-ins (days 30/60/90) and churn-risk detection.",
        capabilities=["onboarding", "check_in", "churn_risk"],
        inputs=["lead.converted", "timer.fired", "reply.received"],
        outputs=["agent.escalated"],
        model_tier="fast",
        expected_latency_ms=20,
    )

    def handle(self, ctx: AgentContext, state: LeadState, event: Event) -> Decision:
        if event.type == EventType.LEAD_CONVERTED:
            return self._converted(ctx, state)
        if event.type == EventType.TIMER_FIRED:
            return self._scheduled(ctx, state, event)
        if event.type in (EventType.REPLY_RECEIVED, EventType.REPLY_CLASSIFIED):
            return self._reply(ctx, state, event)
        return Decision(result="ignored", summary=f"nothing to do for {event.type}")

    def _email(self, ctx: AgentContext, state: LeadState, key: str, template: tuple[str, str]) -> list[Any]:
        fill = {
            "name": state.lead.first_name,
            "company": ctx.campaign.company_name,
            "rep": ctx.campaign.rep_name,
        }
        action = outbound(
            state,
            ctx,
            channel=Channel.EMAIL,
            key=key,
            body=template[1].format(**fill),
            subject=template[0].format(**fill),
            agent=self.card.name,
        )
        return [action] if action.to else []

    def _converted(self, ctx: AgentContext, state: LeadState) -> Decision:
        now = ctx.clock.now()
        if state.qualification.get(CONVERTED_KEY):
            return Decision(result="already_onboarding", summary="onboarding already started")
        state.stage = Stage.WON
        state.qualification[CONVERTED_KEY] = now.isoformat()
        timers = [
            TimerSpec(
                name=f"post_sale:{kind}:{day}",
                fire_at=now + timedelta(days=day),
                agent=self.card.name,
                payload={"kind": kind, "day": day, "terminal": True, "human": True},  # onboarding goes on after a hand-over
            )
            for kind, days in (("onboarding", ONBOARDING), ("check_in", CHECK_INS))
            for day in days
            if day > 0
        ]
        return Decision(
            result="onboarding_started",
            state=state,
            actions=self._email(ctx, state, "post_sale:onboarding:0", ONBOARDING[0]),
            timers=timers,
            cancel_timers=["route:*", "nurture:*", "closing:*", "appointment:*"],
            summary=f"welcome sent; {len(timers)} onboarding and check-in timers set",
        )

    def _scheduled(self, ctx: AgentContext, state: LeadState, event: Event) -> Decision:
        kind, day = str(event.payload.get("kind")), int(event.payload.get("day") or 0)
        if state.stage is not Stage.WON or state.qualification.get(STOPPED_KEY):
            return Decision(result="skipped", summary="not an active customer")
        template = (ONBOARDING if kind == "onboarding" else CHECK_INS).get(day)
        if template is None:
            return Decision(result="skipped", summary=f"no {kind} step for day {day}")
        actions = self._email(ctx, state, f"post_sale:{kind}:{day}", template)
        escalation = None
        if kind == "check_in" and not self._engaged_since_conversion(state):
            escalation = self._churn_risk(ctx, state, f"no reply or engagement in {day} days as a customer")
        return Decision(
            result=f"{kind}_day_{day}",
            state=state,
            actions=actions,
            escalation=escalation,
            summary=f"{kind} day {day}" + (" + churn risk" if escalation else ""),
        )

    def _engaged_since_conversion(self, state: LeadState) -> bool:
        raw = state.qualification.get(CONVERTED_KEY)
        since = datetime.fromisoformat(raw) if isinstance(raw, str) else state.created_at
        automatic = {str(x.get("message_id")) for x in state.signals if x.get("type") == "auto_reply"}
        return any(
            m.direction is Direction.INBOUND and m.at >= since and m.id not in automatic for m in state.messages
        )

    def _churn_risk(self, ctx: AgentContext, state: LeadState, why: str) -> Escalation | None:
        now = ctx.clock.now()
        state.signals.append({"type": "churn_risk", "reason": why, "at": now.isoformat()})
        if any(e.reason == "churn_risk" and not e.resolved for e in state.escalations):
            return None  # the human already has it
        return Escalation(
            reason="churn_risk",
            priority="high",
            agent=self.card.name,
            summary=f"{state.lead.full_name} ({state.lead.company or '-'}): churn risk, {why}",
            at=now,
        )

    def handle_llm(self, ctx: AgentContext, state: LeadState, event: Event) -> Decision:
        """The rules' reading of a customer reply, plus the model's churn-risk score."""
        if ctx.llm is None or event.type not in (EventType.REPLY_RECEIVED, EventType.REPLY_CLASSIFIED):
            return self.handle(ctx, state, event)
        intent, text = self._read(ctx, state, event)
        if not text.strip():
            return self._judge(ctx, state, event, intent, text)
        result = ctx.llm.run(
            agent_name=self.card.name,
            tier=self.card.model_tier,
            instructions=prompt("post_sale"),
            prompt=f"A customer of {ctx.campaign.company_name}; the reply reads as {one_line(intent, limit=40)!r}"
            " to the rules.\n"
            + data_block("customer", {"name": state.lead.full_name, "company": state.lead.company or "-"})
            + "\n"
            + data_block("customer_reply", text, limit=3000),
            output_type=ChurnAssessment,
        )
        reasons = check_churn(result.output)
        return with_usage(
            self._judge(ctx, state, event, intent, text, model=(result.output.risk, reasons)), result
        )

    def _reply(self, ctx: AgentContext, state: LeadState, event: Event) -> Decision:
        intent, text = self._read(ctx, state, event)
        return self._judge(ctx, state, event, intent, text)

    def _read(self, ctx: AgentContext, state: LeadState, event: Event) -> tuple[str, str]:
        """The reply's intent and new text; a raw reply is analysed and recorded on the state."""
        from leadflow.reply.analyze import analyze_reply

        now = ctx.clock.now()
        p = event.payload
        if event.type == EventType.REPLY_CLASSIFIED:
            intent, text = str(p.get("intent") or "other"), str(p.get("text") or "")
        else:
            analysis = analyze_reply(
                raw=p.get("raw"),
                text=p.get("text"),
                id=p.get("message_id"),
                now=now,
                tz=state.lead.timezone or "UTC",
                channel=p.get("channel", "email"),
            )
            intent, text = str(analysis.intent), analysis.text or ""
            if analysis.auto_reply:
                # An out-of-office or ticket receipt is recorded but is not the customer engaging.
                state.signals.append({"type": "auto_reply", "message_id": str(p.get("message_id") or event.id)})
            state.messages.append(
                Message(
                    id=str(p.get("message_id") or event.id),
                    channel=Channel(p.get("channel", "email")),
                    direction=Direction.INBOUND,
                    sender=p.get("from"),
                    subject=p.get("subject"),
                    body=text[:4000],
                    at=now,
                )
            )
            state.replies += 1
            state.last_intent = intent
        return intent, text

    def _judge(
        self,
        ctx: AgentContext,
        state: LeadState,
        event: Event,
        intent: str,
        text: str,
        *,
        model: tuple[float, list[str]] | None = None,
    ) -> Decision:
        """Stop on unsubscribe; flag churn risk on the rules' cues or a high model score."""
        now = ctx.clock.now()
        p = event.payload
        cancel: list[str] = []
        if intent == "unsubscribe":
            state.qualification[STOPPED_KEY] = True
            cancel.append("post_sale:*")
        probe = event.model_copy(
            update={"type": EventType.REPLY_CLASSIFIED.value, "payload": {**p, "text": text}}
        )
        angry = evaluate_escalation(state, probe, _angry_rules(), now=now)
        escalation = None
        flagged_by_rules = intent in NEGATIVE or angry is not None
        why = angry.summary if angry else f"negative reply ({intent})" if flagged_by_rules else ""
        summary = f"customer reply: {intent}"
        flagged = flagged_by_rules
        if model is not None:
            risk, reasons = model
            state.signals.append(
                {
                    "type": "churn_risk_score",
                    "score": round(risk, 3),
                    "reasons": reasons,
                    "by": "model",
                    "at": now.isoformat(),
                }
            )
            summary += f"; model churn risk {risk:.2f}"
            if risk >= CHURN_THRESHOLD:
                flagged = True
                why = "; ".join(filter(None, [why, f"model churn risk {risk:.2f}: " + "; ".join(reasons)]))
        if flagged:
            escalation = self._churn_risk(ctx, state, why)
        return Decision(
            result="churn_risk" if flagged else f"reply_{intent}",
            state=state,
            cancel_timers=cancel,
            escalation=escalation,
            summary=summary,
        )


def _angry_rules() -> EscalationRules:
    rules = default_rules()
    return rules.model_copy(
        update={"rules": [r.model_copy(update={"stages": None}) for r in rules.rules if r.check == "angry"]}
    )
