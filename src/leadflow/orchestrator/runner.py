"""Runs one agent step safely: LLM mode → offline mode → human escalation.

Each agent has a circuit breaker. When a model is configured and the agent has an LLM mode,
the runner tries it first; a ``ModelFailure``/``CircuitOpen``/any error falls back to the
offline mode, and if that fails too the step becomes an escalation to a human, so a lead is
never left unhandled. Every step yields a ``TraceRecord``.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from leadflow.agents.base import Agent, AgentContext, Decision
from leadflow.domain.events import Event
from leadflow.domain.limits import READ_BACK
from leadflow.domain.models import Escalation, LeadState
from leadflow.exceptions import CircuitOpen
from leadflow.resilience import BreakerRegistry
from leadflow.state.records import TraceRecord


@dataclass
class StepResult:
    decision: Decision
    trace: TraceRecord
    failed: bool = False  # both modes failed: the decision is an escalation


def _summary(state: LeadState, event: Event) -> str:
    keys = ", ".join(sorted(event.payload)[:6])
    return f"{event.type} stage={state.stage.value} score={state.score.value if state.score else '-'} payload[{keys}]"


Mode = Callable[[AgentContext, LeadState, Event], Decision]


def _private_copy(state: LeadState) -> LeadState:
    """A copy the agent may change in place (a dump and validate: ~10x faster than deepcopy); the
    input limits are not checked again (``limits.READ_BACK``): the state was accepted already."""
    return type(state).model_validate(state.model_dump(), context=READ_BACK)


class AgentRunner:
    def __init__(self, *, breakers: BreakerRegistry, use_llm: bool) -> None:
        self.breakers = breakers
        self.use_llm = use_llm

    def _attempt(
        self,
        breaker_name: str,
        label: str,
        mode: Mode,
        ctx: AgentContext,
        state: LeadState,
        event: Event,
        errors: list[str],
    ) -> Decision | None:
        """One mode behind its circuit breaker; None (and a note in ``errors``) when it fails."""
        breaker = self.breakers.get(breaker_name)
        try:
            if not breaker.allow():
                raise CircuitOpen(f"circuit {breaker_name} is open")
            decision = mode(ctx, _private_copy(state), event)
        except Exception as exc:
            if not isinstance(exc, CircuitOpen):
                breaker.record_failure()
            errors.append(f"{label}: {type(exc).__name__}: {exc}")
            return None
        breaker.record_success()
        return decision

    def run(self, agent: Agent, ctx: AgentContext, state: LeadState, event: Event) -> StepResult:
        name = agent.card.name
        started = time.perf_counter()
        errors: list[str] = []
        decision: Decision | None = None
        fallback = False
        if self.use_llm and hasattr(agent, "handle_llm"):
            decision = self._attempt(f"agent:{name}:llm", "llm", agent.handle_llm, ctx, state, event, errors)
            fallback = decision is None
        if decision is None:
            decision = self._attempt(f"agent:{name}", "offline", agent.handle, ctx, state, event, errors)
        failed = decision is None
        if decision is None:
            decision = Decision(
                result="escalated",
                escalation=Escalation(
                    reason=f"{name} failed",
                    priority="high",
                    agent=name,
                    summary=f"{name} could not handle {event.type}: {'; '.join(errors)[:500]}",
                    at=ctx.clock.now(),
                ),
                summary="both modes failed; handed to a human",
            )
        if fallback:
            decision = decision.model_copy(update={"fallback_used": True})
        latency = (time.perf_counter() - started) * 1000
        trace = TraceRecord(
            workspace_id=state.workspace_id,
            lead_id=state.lead_id,
            event_id=event.id,
            event_type=event.type,
            agent=name,
            at=ctx.clock.now(),
            input_summary=_summary(state, event),
            decision=decision.summary or decision.result,
            outputs=[e.type for e in decision.events]
            + [f"{a.kind.value}:{a.idempotency_key}" for a in decision.actions]
            + [f"timer:{t.name}@{t.fire_at.isoformat()}" for t in decision.timers],
            latency_ms=round(latency, 3),
            model=decision.model,
            tokens=decision.tokens,
            cost_usd=decision.cost_usd,
            fallback_used=decision.fallback_used,
            error="; ".join(errors) or None,
        )
        return StepResult(decision, trace, failed)
