"""Escalation agent: decides when a lead needs a human and hands them the whole context.

The triggers live in ``escalation_rules.yaml`` (angry reply, a request for a person, legal or
compliance questions, budgets over $100k, enterprise accounts, too many reschedules, deals
stalled over 14 days, C-level involvement). :func:`evaluate_escalation` checks them for one
``(state, event)``; any agent may call it. The escalation agent runs it on replies and
milestones, and on ``agent.escalated`` (whoever escalated) it notifies the human with a context
summary and assigns the lead to them.

A reply is data: its text is matched against the rules and quoted in the summary, never obeyed.

Model mode (:meth:`EscalationAgent.handle_llm`) adds the fast model's reading of a reply (anger
or frustration the cue lists miss, a request for a person in other words, a legal question...).
It is merged with the rules, never instead of them: the YAML rules always run and an escalation
they raise is kept as it is (the model can add reasons to it and raise its priority, never remove
it or lower it). Each model reason must quote evidence found in the reply; unsupported reasons
are dropped, and when every reason the model gave is unsupported the call is a ``ModelFailure``
(the runner falls back to the rules alone). Hand-offs (``agent.escalated``) never call a model.
"""

from __future__ import annotations

import html
import json
import re
from datetime import datetime
from functools import cache, lru_cache
from pathlib import Path
from typing import Any, ClassVar, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from leadflow.agents._compose import sender
from leadflow.agents._extract import money
from leadflow.agents._llm import data_block, prompt, with_usage
from leadflow.agents.base import AgentCard, AgentContext, Decision
from leadflow.domain.actions import ActionKind, OutboundAction
from leadflow.domain.events import Event, EventType
from leadflow.domain.models import Campaign, Direction, Escalation, LeadState
from leadflow.exceptions import ConfigError, ModelFailure

DEFAULT_RULES = Path(__file__).with_name("escalation_rules.yaml")

Check = Literal[
    "angry",
    "human_request",
    "keywords",
    "budget_over",
    "enterprise",
    "reschedules",
    "stalled",
    "c_level",
    "hot_after_nurture",
]

_RESCHEDULE = re.compile(
    r"\b(reschedul\w*|move (?:it|the call|our call|the meeting)|push (?:it|the call|back)|another time|"
    r"different time|can we do (?:another|a different)|postpone|can't make it|cannot make it)\b",
    re.IGNORECASE,
)
_EXEC_IN_TEXT = re.compile(r"\b(?:our|my)\s+(?:ceo|cfo|coo|cto|cro|founder|president)\b", re.IGNORECASE)


class EscalationRule(BaseModel):
    """One trigger; see the YAML file's header for the checks and their parameters."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str
    check: Check
    agent: str = "escalation"
    on: list[str] = Field(min_length=1)
    stages: list[str] | None = None
    priority: Literal["low", "normal", "high", "urgent"] = "normal"
    cues: list[str] = Field(default_factory=list)
    shouts: float = 0.6
    amount: float = 100_000.0
    min_company_size: int = 1000
    title_patterns: list[str] = Field(default_factory=list)
    max: int = 3
    days: float = 14.0

    def applies(self, state: LeadState, event: Event) -> bool:
        if event.type not in self.on:
            return False
        return self.stages is None or state.stage.value in self.stages


class EscalationRules(BaseModel):
    """The rule set, in file order (the first rule that fires wins)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    rules: list[EscalationRule]

    @classmethod
    def from_yaml(cls, text: str, *, origin: str = "<escalation rules>") -> EscalationRules:
        try:
            doc = yaml.safe_load(text) or {}
            if isinstance(doc, dict):
                # YAML 1.1 reads a bare ``on:`` key as the boolean True
                doc["rules"] = [
                    {("on" if key is True else key): value for key, value in (rule or {}).items()}
                    for rule in doc.get("rules") or []
                ]
            rules = cls.model_validate(doc)
            for rule in rules.rules:
                for pattern in rule.title_patterns:
                    re.compile(pattern)
            return rules
        except (yaml.YAMLError, ValidationError, re.error) as exc:
            raise ConfigError(f"{origin}: bad escalation rules: {exc}") from exc

    @classmethod
    def load(cls, path: str | Path | None = None) -> EscalationRules:
        p = Path(path) if path else DEFAULT_RULES
        return cls.from_yaml(p.read_text(encoding="utf-8"), origin=str(p))

    def for_agent(self, agent: str) -> EscalationRules:
        """Only the rules that are ``agent``'s triggers."""
        return EscalationRules(rules=[r for r in self.rules if r.agent == agent])


@cache
def default_rules() -> EscalationRules:
    """The built-in rules, read once."""
    return EscalationRules.load()


def _text(event: Event) -> str:
    return str(event.payload.get("text") or "")


def _has_cue(text: str, cues: list[str]) -> str | None:
    folded = " ".join(text.lower().split())
    for cue in cues:
        lowered = cue.lower()
        # a whole-word match needs the cue in the text: the substring test rules most cues out cheaply
        if lowered in folded and re.search(rf"(?<!\w){re.escape(lowered)}(?!\w)", folded):
            return cue
    return None


def _company_size(state: LeadState) -> int | None:
    attrs = state.lead.attributes
    for key in ("company_size", "employees", "employee_count", "headcount"):
        value = attrs.get(key)
        try:
            if value is not None:
                return int(float(str(value).replace(",", "")))
        except ValueError:
            continue
    return None


@lru_cache(maxsize=64)
def _compiled(patterns: tuple[str, ...]) -> tuple[re.Pattern[str], ...]:
    """A rule's title patterns, compiled case-insensitively (once per rule set, not per lead)."""
    return tuple(re.compile(p, re.IGNORECASE) for p in patterns)


def _title_match(title: str | None, patterns: list[str]) -> bool:
    return bool(title) and any(p.search(title or "") for p in _compiled(tuple(patterns)))


def _budget(state: LeadState, event: Event) -> float | None:
    values: list[float] = []
    for source in (state.qualification, event.payload.get("answers") or {}):
        raw = source.get("budget") if isinstance(source, dict) else None
        try:
            if raw is not None:
                values.append(float(raw))
        except (TypeError, ValueError):
            pass
    found = money(_text(event))
    if found is not None:
        values.append(found)
    return max(values) if values else None


def _why(rule: EscalationRule, state: LeadState, event: Event) -> str | None:
    """The reason ``rule`` fires for (state, event), in words; ``None`` when it does not."""
    text = _text(event)
    if rule.check == "angry":
        cue = _has_cue(text, rule.cues)
        letters = [c for c in text if c.isalpha()]
        shouting = len(letters) >= 12 and sum(c.isupper() for c in letters) / len(letters) >= rule.shouts
        if cue or shouting or text.count("!") >= 4:
            return f"angry reply ({'says ' + repr(cue) if cue else 'shouting'})"
        return None
    if rule.check in ("human_request", "keywords"):
        cue = _has_cue(text, rule.cues)
        if cue is None:
            return None
        what = "asks for a person" if rule.check == "human_request" else "legal or compliance question"
        return f"{what} (says {cue!r})"
    if rule.check == "budget_over":
        budget = _budget(state, event)
        return (
            f"budget ${budget:,.0f} is over ${rule.amount:,.0f}" if budget and budget > rule.amount else None
        )
    if rule.check == "enterprise":
        size = _company_size(state)
        if size is not None and size >= rule.min_company_size:
            return f"enterprise account ({size:,} employees)"
        if _title_match(state.lead.title, rule.title_patterns):
            return f"enterprise buyer ({state.lead.title})"
        return None
    if rule.check == "reschedules":
        done = state.appointment.reschedules if state.appointment else 0
        if done > rule.max or (done >= rule.max and _RESCHEDULE.search(text)):
            return f"asked to reschedule more than {rule.max} times"
        return None
    if rule.check == "stalled":
        days = float(event.payload.get("stalled_days") or 0)
        return f"deal stalled for {days:.0f} days (over {rule.days:.0f})" if days > rule.days else None
    if rule.check == "c_level":
        if _title_match(state.lead.title, rule.title_patterns):
            return f"C-level executive involved ({state.lead.title})"
        mention = _EXEC_IN_TEXT.search(text)
        return f"C-level executive involved (reply mentions {mention.group(0)!r})" if mention else None
    if rule.check == "hot_after_nurture":
        hot = state.score is not None and state.score.value == "hot"
        return (
            f"hot again after {state.nurture_run} nurture drip(s)" if hot and state.nurture_run > 0 else None
        )
    raise ConfigError(f"unknown escalation check {rule.check!r}")  # pragma: no cover - Literal guards it


def evaluate_escalation(
    state: LeadState, event: Event, rules: EscalationRules | None = None, *, now: datetime | None = None
) -> Escalation | None:
    """Return the escalation the first firing rule calls for, or ``None``.

    A rule that already escalated this lead (and is not resolved) does not fire again, so a
    long conversation with an executive produces one hand-off, not one per reply.

    Args:
        state: The lead as it is now.
        event: What just happened (a classified reply, a milestone, a timer).
        rules: The rule set; the built-in rules when ``None``.
        now: When; the event's time when ``None``.
    """
    rules = rules or default_rules()
    open_reasons = {e.reason for e in state.escalations if not e.resolved}
    for rule in rules.rules:
        if rule.name in open_reasons or not rule.applies(state, event):
            continue
        why = _why(rule, state, event)
        if why is not None:
            return Escalation(
                reason=rule.name,
                priority=rule.priority,
                agent=rule.agent,
                summary=f"{state.lead.full_name}: {why}",
                at=now or event.at,
            )
    return None


def context_summary(state: LeadState, why: str, *, last: int = 3) -> str:
    """What a human needs to pick the lead up: who, company, stage, score, last messages, answers, why."""
    lead = state.lead
    lines = [
        f"Why: {why}",
        f"Who: {lead.full_name} <{lead.email or lead.phone or 'no address'}>"
        + (f", {lead.title}" if lead.title else ""),
        f"Company: {lead.company or '-'}" + (f" ({lead.industry})" if lead.industry else ""),
        f"Stage: {state.stage.value}; score: {state.score.value if state.score else '-'} ({state.score_value:.0f})",
    ]
    answers = {k: v for k, v in state.qualification.items() if not k.startswith("_")}
    lines.append("Qualification: " + (", ".join(f"{k}={v}" for k, v in answers.items()) or "none yet"))
    if state.appointment:
        appt = state.appointment
        lines.append(
            f"Meeting: {appt.start.isoformat()} with {appt.with_rep} ({appt.status}, {appt.reschedules} reschedules)"
        )
    recent = state.messages[-last:]
    if recent:
        lines.append("Last messages (quoted as data):")
        for m in recent:
            arrow = "<-" if m.direction is Direction.INBOUND else "->"
            body = " ".join(m.body.split())[:200]
            lines.append(f'  {arrow} {m.at:%Y-%m-%d %H:%M} {m.channel.value}: "{body}"')
    return "\n".join(lines)


def human_address(ctx: AgentContext) -> str:
    """Where hand-offs go: the campaign's ``escalation_email`` setting, else its first sender."""
    configured = ctx.campaign.settings.get("escalation_email")
    return str(configured) if configured else sender(ctx.campaign)[1]


def notify_human(
    ctx: AgentContext,
    state: LeadState,
    *,
    key: str,
    subject: str,
    body: str,
    agent: str,
    payload: dict[str, Any] | None = None,
) -> OutboundAction:
    """A NOTIFY_HUMAN action to the campaign's human: the only kind of message these agents send."""
    return OutboundAction(
        kind=ActionKind.NOTIFY_HUMAN,
        idempotency_key=f"{state.lead_id}:{key}",
        to=human_address(ctx),
        subject=subject,
        body=body,
        agent=agent,
        payload={"lead_id": state.lead_id, **(payload or {})},
    )


ReasonKind = Literal[
    "angry_customer",
    "asks_for_human",
    "legal_or_compliance",
    "high_budget",
    "c_level_involved",
    "negative_sentiment",
]
#: priority of an escalation the model alone raised (the model never picks its own priority)
MODEL_PRIORITY: dict[str, str] = {
    "angry_customer": "urgent",
    "asks_for_human": "high",
    "legal_or_compliance": "high",
    "high_budget": "high",
    "c_level_involved": "high",
    "negative_sentiment": "normal",
}
_RANK = {"low": 0, "normal": 1, "high": 2, "urgent": 3}


class ModelReason(BaseModel):
    """One reason the model sees for a human to step in, with a quote from the reply."""

    model_config = ConfigDict(extra="forbid")

    kind: ReasonKind
    evidence: str = Field(min_length=1, max_length=300, description="a short exact quote from the reply")


class EscalationReview(BaseModel):
    """The model's reading of one reply: the reasons a human is needed (empty when none)."""

    model_config = ConfigDict(extra="forbid")

    reasons: list[ModelReason] = Field(default_factory=list, max_length=6)


def _flat(text: str) -> str:
    return " ".join(html.unescape(text).lower().split()).strip(" \"'“”‘’.")


def supported_reasons(review: EscalationReview, text: str, state: LeadState) -> list[ModelReason]:
    """The model's reasons whose evidence is quoted from ``text`` and that are not already open.

    Raises:
        ModelFailure: The model gave reasons and none of them quotes the reply.
    """
    reply = _flat(text)
    quoted = [r for r in review.reasons if _flat(r.evidence) and _flat(r.evidence) in reply]
    if review.reasons and not quoted:
        raise ModelFailure("escalation: no model reason quotes the reply")
    open_reasons = {e.reason for e in state.escalations if not e.resolved}
    return [r for r in quoted if r.kind not in open_reasons]


def merge_escalation(
    rules: Escalation | None, reasons: list[ModelReason], state: LeadState, *, now: datetime
) -> Escalation | None:
    """The rules' escalation with the model's reasons added, or one from the model's reasons alone."""
    if not reasons:
        return rules
    notes = "; ".join(
        f"{r.kind.replace('_', ' ')} (says {' '.join(r.evidence.split())[:120]!r})" for r in reasons
    )
    top = max(reasons, key=lambda r: _RANK[MODEL_PRIORITY[r.kind]])
    if rules is None:
        return Escalation(
            reason=top.kind,
            priority=MODEL_PRIORITY[top.kind],
            agent="escalation",
            summary=f"{state.lead.full_name}: model reading: {notes}",
            at=now,
        )
    priority = max(rules.priority, MODEL_PRIORITY[top.kind], key=lambda p: _RANK.get(p, 1))
    return rules.model_copy(
        update={"priority": priority, "summary": f"{rules.summary}; model also notes: {notes}"}
    )


class EscalationAgent:
    card: ClassVar[AgentCard] = AgentCard(
        name="escalation",
        description="Checks the escalation rules and hands the lead to a human with a context summary.",
        capabilities=["escalate", "human_handoff"],
        inputs=["reply.classified", "lead.qualified", "lead.appointment_booked", "agent.escalated"],
        outputs=["agent.escalated"],
        model_tier="fast",
        expected_latency_ms=5,
    )

    def __init__(self, rules: EscalationRules | None = None) -> None:
        self.rules = rules or default_rules()
        self._merged: dict[tuple[str, bool], EscalationRules] = {}  # per campaign's rules, parsed once

    def rules_for(self, campaign: Campaign) -> EscalationRules:
        """This agent's rules with the campaign file's (``settings["escalation_rules"]``): a rule
        with a default's name replaces it, others are added; ``escalation_replace_defaults``
        keeps only the campaign's."""
        own = campaign.settings.get("escalation_rules")
        if own is None:
            return self.rules
        key = (json.dumps(own, sort_keys=True), bool(campaign.settings.get("escalation_replace_defaults")))
        merged = self._merged.get(key)
        if merged is None:
            extra = [EscalationRule.model_validate(r) for r in own]
            names = {r.name for r in extra}
            kept = [] if key[1] else [r for r in self.rules.rules if r.name not in names]
            merged = EscalationRules(rules=[*kept, *extra])
            if len(self._merged) > 64:
                self._merged.clear()
            self._merged[key] = merged
        return merged

    def handle(self, ctx: AgentContext, state: LeadState, event: Event) -> Decision:
        now = ctx.clock.now()
        if event.type == EventType.AGENT_ESCALATED:
            return self._hand_off(ctx, state, event)
        if state.assigned_to == "human":
            return self._forward(ctx, state, event)
        escalation = evaluate_escalation(state, event, self.rules_for(ctx.campaign), now=now)
        if escalation is None:
            return Decision(result="no_escalation", summary="no escalation rule fired")
        # the orchestrator records it and publishes agent.escalated, which brings us back to hand off
        return Decision(
            result="escalated", escalation=escalation, summary=f"{escalation.reason}: {escalation.summary}"
        )

    def handle_llm(self, ctx: AgentContext, state: LeadState, event: Event) -> Decision:
        """The rules' escalation, plus the reasons the model finds in a reply (each quoted)."""
        text = _text(event)
        if (
            ctx.llm is None
            or event.type != EventType.REPLY_CLASSIFIED
            or not text.strip()
            or state.assigned_to == "human"
        ):
            return self.handle(ctx, state, event)
        now = ctx.clock.now()
        rules = evaluate_escalation(state, event, self.rules_for(ctx.campaign), now=now)  # always
        result = ctx.llm.run(
            agent_name=self.card.name,
            tier=self.card.model_tier,
            instructions=prompt("escalation"),
            prompt=f"Stage: {state.stage.value}\n"
            + data_block(
                "lead",
                {"name": state.lead.full_name, "title": state.lead.title or "-", "company": state.lead.company or "-"},
            )
            + "\n"
            + data_block("reply", text, limit=3000),
            output_type=EscalationReview,
        )
        escalation = merge_escalation(rules, supported_reasons(result.output, text, state), state, now=now)
        if escalation is None:
            decision = Decision(
                result="no_escalation", summary="no escalation rule fired; the model saw no reason"
            )
        else:
            decision = Decision(
                result="escalated",
                escalation=escalation,
                summary=f"{escalation.reason}: {escalation.summary}",
            )
        return with_usage(decision, result)

    def _forward(self, ctx: AgentContext, state: LeadState, event: Event) -> Decision:
        """The lead is a person's now: pass each new reply on to them instead of escalating again."""
        if event.type != EventType.REPLY_CLASSIFIED:
            return Decision(result="no_escalation", summary="a human owns this lead")
        intent = str(event.payload.get("intent") or "other")
        action = notify_human(
            ctx,
            state,
            key=f"forward:{event.id}",
            agent=self.card.name,
            subject=f"New reply from {state.lead.full_name} ({intent})",
            body=f"{_text(event)[:2000]}\n\n---\n{context_summary(state, f'new reply, read as {intent}')}",
            payload={"reason": "reply_to_owner", "intent": intent},
        )
        return Decision(
            result="forwarded", actions=[action], summary=f"forwarded a {intent} reply to the owner"
        )

    def _hand_off(self, ctx: AgentContext, state: LeadState, event: Event) -> Decision:
        p = event.payload
        reason = str(p.get("reason") or "escalated")
        why = f"{p.get('summary') or reason} (raised by {p.get('agent') or 'an agent'}, priority {p.get('priority', 'normal')})"
        state.assigned_to = "human"
        action = notify_human(
            ctx,
            state,
            key=f"escalation:{event.id}",
            agent=self.card.name,
            subject=f"[{str(p.get('priority', 'normal')).upper()}] {state.lead.full_name} needs you: {reason}",
            body=context_summary(state, why),
            payload={"reason": reason, "priority": p.get("priority", "normal")},
        )
        return Decision(
            result="handed_off", state=state, actions=[action], summary=f"notified the human: {reason}"
        )
