"""The answer to a rejected draft: the first touch written again (at most N times), or a human.

``draft.rejected`` is routed here (``orchestrator/routes.yaml``). A rejected first touch of the
response agent is written again by it (its offline writer), under a new key (``…:redraft<N>``), and is held for
review again like any message of the campaign. Past ``settings["max_redrafts"]`` rejections
(default 2), for any other agent's message, or under ``draft_only`` (where the person writes),
the lead is escalated: the escalation agent hands it to a human with the reason.
"""

from __future__ import annotations

from typing import Any, ClassVar

from leadflow.agents.base import AgentCard, AgentContext, Decision
from leadflow.agents.response import ResponseAgent
from leadflow.domain.events import Event
from leadflow.domain.models import Escalation, LeadState
from leadflow.drafts._events import DRAFT_REJECTED
from leadflow.drafts._policy import autonomy_of

DEFAULT_MAX_REDRAFTS = 2


def max_redrafts(settings: dict[str, Any]) -> int:
    try:
        return max(0, int(settings.get("max_redrafts", DEFAULT_MAX_REDRAFTS)))
    except (TypeError, ValueError):
        return DEFAULT_MAX_REDRAFTS


class RedraftAgent:
    card: ClassVar[AgentCard] = AgentCard(
        name="redraft",
        description="A person rejected a draft: the first touch is written again, or the lead goes to a human.",
        capabilities=["redraft"],
        inputs=[DRAFT_REJECTED],
        outputs=["message.scheduled", "agent.escalated"],
        model_tier="fast",
        expected_latency_ms=20,
    )

    def __init__(self, writer: ResponseAgent | None = None) -> None:
        self.writer = writer or ResponseAgent()

    def handle(self, ctx: AgentContext, state: LeadState, event: Event) -> Decision:
        # offline only for now: a model mode would need its own prompt case (tests/unit/agents)
        return self._answer(ctx, state, event)

    def _answer(self, ctx: AgentContext, state: LeadState, event: Event) -> Decision:
        p = event.payload
        attempt = int(p.get("attempt") or 1)
        reason = str(p.get("reason") or "no reason given")
        limit = max_redrafts(ctx.campaign.settings)
        first_touch = p.get("agent") == self.writer.card.name
        if autonomy_of(ctx.campaign) != "draft_only" and first_touch and attempt <= limit:
            written = self.writer.handle(ctx, state, event)
            if written.actions:
                actions = [
                    a.model_copy(
                        update={
                            "idempotency_key": f"{a.idempotency_key}:redraft{attempt}",
                            "payload": {**a.payload, "redraft_of": p.get("seq"), "rejected_because": reason},
                        }
                    )
                    for a in written.actions
                ]
                return written.model_copy(
                    update={
                        "result": "redrafted",
                        "actions": actions,
                        "summary": f"wrote the draft again ({attempt} of {limit}) after: {reason}",
                    }
                )
        why = "draft_only: the person writes" if autonomy_of(ctx.campaign) == "draft_only" else (
            f"rejected {attempt} time(s)" if first_touch else "not a first touch"
        )
        return Decision(
            result="escalated",
            escalation=Escalation(
                reason="draft_rejected",
                agent=self.card.name,
                summary=f"a draft to {state.lead.full_name} was rejected by {p.get('by') or 'a person'}: {reason} ({why})",
                at=ctx.clock.now(),
            ),
            summary=f"handed to a human: draft rejected ({why})",
        )
