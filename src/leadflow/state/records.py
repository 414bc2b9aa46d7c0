"""Records the store keeps beside lead state: commits, outbox rows, timers, traces, DLQ entries."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field

from leadflow.domain.actions import OutboundAction, TimerSpec
from leadflow.domain.events import Event
from leadflow.domain.models import LeadState


class TraceRecord(BaseModel):
    """One agent step: what it saw, what it decided, what it cost."""

    workspace_id: str
    lead_id: str
    event_id: str | None
    event_type: str | None = None
    agent: str
    at: datetime
    input_summary: str = ""
    decision: str = ""
    outputs: list[str] = Field(default_factory=list)
    latency_ms: float = 0.0
    model: str | None = None
    tokens: int = 0
    cost_usd: float = 0.0
    fallback_used: bool = False
    error: str | None = None


@dataclass
class Commit:
    """Everything one step changes, applied atomically or not at all.

    ``expected_version`` is the version of ``state`` the step read; the store refuses the
    commit with ``Conflict`` if the lead moved on meanwhile. ``handled`` names the inbox
    event this step consumed, so a redelivered event is recognised as already done.
    """

    workspace_id: str
    lead_id: str
    expected_version: int | None = None
    state: LeadState | None = None
    events: list[Event] = field(default_factory=list)
    actions: list[OutboundAction] = field(default_factory=list)
    timers: list[TimerSpec] = field(default_factory=list)
    cancel_timers: list[str] = field(default_factory=list)
    traces: list[TraceRecord] = field(default_factory=list)
    handled: str | None = None
    finish_action: tuple[int, str, str | None] | None = None  # (action seq, status, detail)
    fire_timer: int | None = None
    booking: tuple[str, datetime | None] | None = None
    """``(calendar, start)``: the slot the lead now holds (its earlier one is released); start
    ``None`` releases it. A slot another lead holds refuses the commit with ``Conflict``."""
    drop_pending_contact: str | None = None
    """A reason: the lead's pending messages to the prospect (queued before this commit) are
    cancelled with it, so they free the send caps at once instead of waiting to be suppressed;
    so are its drafts held for review (no one is to approve them any more)."""
    suppress: list[tuple[str, str]] = field(default_factory=list)  # (address, reason)
    quiet: set[str] = field(default_factory=set)  # ids of events recorded but not queued for routing
    at: datetime | None = None
    require_lead: bool = False
    """Refuse with ``NotFound`` unless the lead exists in this workspace. A commit with a
    ``state`` is checked anyway; this is for events from outside (a reply names any lead id)."""
    draft: DraftChange | None = None
    """A held draft edited, approved or rejected (``leadflow.drafts``), with this commit's events."""


@dataclass(frozen=True)
class DraftChange:
    """A change to a held draft: the outbox row ``seq`` (status ``held``, see ``leadflow.drafts``).

    ``status`` ``held`` keeps it held with ``action`` as its new text (an edit); ``approved`` or
    ``rejected`` closes it with ``detail``. The store refuses it (``DuplicateMessage``) unless the
    row is still held, so two people deciding at once cannot both win.
    """

    seq: int
    status: str
    action: OutboundAction | None = None
    detail: str | None = None


@dataclass(frozen=True)
class InboxItem:
    """An event waiting for the orchestrator."""

    seq: int
    event: Event
    attempts: int
    alone: bool = False
    """No other event of this lead is pending: what handling it queues may be handled at once."""
    error: str | None = None
    """Why the stored event cannot be read (``event`` is then a stand-in, see ``state.poison``):
    the orchestrator fails it (retries, then the dead-letter queue) without routing it."""


@dataclass(frozen=True)
class ActionRow:
    seq: int
    workspace_id: str
    lead_id: str
    action: OutboundAction
    status: str
    attempts: int
    created_at: datetime
    detail: str | None = None


@dataclass(frozen=True)
class TimerRow:
    seq: int
    workspace_id: str
    lead_id: str
    spec: TimerSpec
    status: str


@dataclass(frozen=True)
class DeadLetter:
    id: int
    workspace_id: str
    lead_id: str
    event: Event
    consumer: str
    error: str
    attempts: int
    at: datetime
    status: str


@dataclass(frozen=True)
class Reject:
    """Bad input kept so it can be looked at: its first bytes, what was wrong, and how much there was.

    ``raw`` is the body verbatim up to the store's cap (``state.rejects.RejectLimits``); ``size``
    and ``sha256`` describe the whole body, so a cut one can still be matched to what was sent.
    A row with ``count`` stands for that many rejects from one source past the burst limit,
    whose bodies were not kept (``raw`` is then empty).
    """

    id: int
    workspace_id: str
    source: str
    raw: str
    error: str
    at: datetime
    size: int = 0
    sha256: str = ""
    count: int | None = None

    @property
    def truncated(self) -> bool:
        """Whether ``raw`` is only the first part of the body."""
        return len(self.raw.encode()) < self.size


JSON = dict[str, Any]
