"""The agent protocol: an agent card, the context ports, and the typed decision.

An agent never calls another agent. It receives ``(state, event)`` from the orchestrator and
returns a ``Decision``: events to publish, a new state, outbound actions, timers to set or
cancel, and perhaps an escalation. The orchestrator commits the decision atomically.

Every agent has an offline mode (rules, templates, classic ML). An agent that can also use a
model implements ``handle_llm``; the runner calls it when a model is configured and falls back
to ``handle`` (offline) when the model fails or its circuit is open.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, ClassVar, Protocol, runtime_checkable

from pydantic import BaseModel, ConfigDict, Field

from leadflow.domain.actions import OutboundAction, TimerSpec
from leadflow.domain.events import Event, Performative
from leadflow.domain.models import Campaign, Escalation, LeadState


class AgentCard(BaseModel):
    """What an agent does, in the style of an A2A agent card (served as JSON)."""

    model_config = ConfigDict(frozen=True)

    name: str
    description: str
    version: str = "1.0.0"
    capabilities: list[str] = Field(default_factory=list)
    inputs: list[str] = Field(default_factory=list, description="event types it handles")
    outputs: list[str] = Field(default_factory=list, description="event types it may emit")
    model_tier: str = "fast"  # fast | strong | none
    expected_latency_ms: int = 50
    concurrency: int = 8

    def to_a2a(self) -> dict[str, Any]:
        """Render as an A2A-style agent card document."""
        return {
            "name": self.name,
            "description": self.description,
            "version": self.version,
            "capabilities": {"streaming": False, "pushNotifications": False},
            "defaultInputModes": ["application/json"],
            "defaultOutputModes": ["application/json"],
            "skills": [{"id": c, "name": c, "tags": [c]} for c in self.capabilities],
            "x-leadflow": {
                "inputs": self.inputs,
                "outputs": self.outputs,
                "modelTier": self.model_tier,
                "expectedLatencyMs": self.expected_latency_ms,
                "concurrency": self.concurrency,
            },
        }


class EmitEvent(BaseModel):
    """An event an agent wants published; the orchestrator fills in ids and causation."""

    model_config = ConfigDict(frozen=True)

    type: str
    payload: dict[str, Any] = Field(default_factory=dict)
    performative: Performative = Performative.INFORM
    priority: int = 5
    confidence: float = 1.0


class Decision(BaseModel):
    """What an agent decided for one (state, event)."""

    result: str = "ok"
    state: LeadState | None = None
    events: list[EmitEvent] = Field(default_factory=list)
    actions: list[OutboundAction] = Field(default_factory=list)
    timers: list[TimerSpec] = Field(default_factory=list)
    cancel_timers: list[str] = Field(default_factory=list, description="timer names; '*' for all")
    escalation: Escalation | None = None
    suppress: list[str] = Field(default_factory=list, description="addresses never to contact again")
    summary: str = ""
    model: str | None = None
    tokens: int = 0
    cost_usd: float = 0.0
    fallback_used: bool = False


class Clock(Protocol):
    def now(self) -> datetime: ...


@dataclass
class AgentContext:
    """The ports an agent may use. Everything is passed in; nothing is imported globally."""

    clock: Clock
    campaign: Campaign
    workspace_id: str
    llm: Any | None = None  # leadflow.llm.ModelRouter when a provider is configured
    kb: Any | None = None  # leadflow.kb.KnowledgeBase
    calendar: Any | None = None  # leadflow.integrations.calendar.Calendar
    http: Any | None = None  # httpx.Client for research
    extras: dict[str, Any] = field(default_factory=dict)


@runtime_checkable
class Agent(Protocol):
    card: ClassVar[AgentCard]

    def handle(self, ctx: AgentContext, state: LeadState, event: Event) -> Decision:
        """Offline mode: rules, templates, classic ML. Must not need a network."""
        ...


class LLMAgent(Agent, Protocol):
    def handle_llm(self, ctx: AgentContext, state: LeadState, event: Event) -> Decision:
        """Model mode: may raise ``ModelFailure``/``CircuitOpen``; the runner then falls back."""
        ...


AgentFactory = Callable[[], Agent]
