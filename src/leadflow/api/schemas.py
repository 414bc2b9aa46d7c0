"""What the HTTP API accepts and returns: ``*Create`` bodies in, ``*Public`` views out."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from leadflow.domain.events import Event
from leadflow.domain.models import Appointment, Channel, Lead, LeadState, Score, Stage
from leadflow.orchestrator.lead_view import MessageView, NextFollowUp
from leadflow.state.records import TraceRecord


class LeadCreate(Lead):
    """A lead as a webhook posts it: the lead's fields plus the campaign it joins."""

    campaign: str = Field(min_length=1, max_length=100)

    def to_lead(self) -> Lead:
        # only what the body stated: an unstated consent is decided by the campaign at intake
        return Lead.model_validate(self.model_dump(exclude={"campaign"}, exclude_unset=True))


class LeadPublic(BaseModel):
    """A lead as the API shows it. ``created`` is false when the source id was seen before.

    ``qualification`` holds the lead's answers to the campaign's questions (the agents' own
    bookkeeping, keys starting with ``_``, is left out); ``next_follow_up`` is the earliest
    active timer or queued send (only ``GET /v1/leads/{id}`` reads it); ``owner`` is the
    person the lead is assigned to.
    """

    lead_id: str
    workspace_id: str
    campaign: str
    stage: Stage
    score: Score | None = None
    tier: str | None = None
    created: bool = False
    created_at: datetime
    updated_at: datetime
    touches: int = 0
    replies: int = 0
    qualification: dict[str, Any] = Field(default_factory=dict)
    pending_question: str | None = None
    appointment: Appointment | None = None
    paused_until: datetime | None = None
    next_follow_up: NextFollowUp | None = None
    owner: str | None = None
    lead: Lead

    @classmethod
    def of(cls, state: LeadState, *, created: bool = False, next_follow_up: NextFollowUp | None = None) -> LeadPublic:
        answers = {k: v for k, v in state.qualification.items() if not k.startswith("_")}
        return cls(lead_id=state.lead_id, workspace_id=state.workspace_id, campaign=state.campaign,
                   stage=state.stage, score=state.score, tier=state.tier, created=created,
                   created_at=state.created_at, updated_at=state.updated_at, touches=state.touches,
                   replies=state.replies, qualification=answers, pending_question=state.pending_question,
                   appointment=state.appointment, paused_until=state.paused_until,
                   next_follow_up=next_follow_up, owner=state.assigned_to, lead=state.lead)


class LeadMessages(BaseModel):
    """Every message to and from a lead, oldest first (``orchestrator.lead_view``)."""

    lead_id: str
    messages: list[MessageView]


class LeadTrace(BaseModel):
    """A lead's story: its current view, every event and every agent step."""

    lead: LeadPublic
    events: list[Event]
    traces: list[TraceRecord]


class ReplyCreate(BaseModel):
    """An inbound reply to a lead; ``message_id`` makes it idempotent."""

    model_config = ConfigDict(str_strip_whitespace=True)

    lead_id: str = Field(min_length=1, max_length=200)
    message_id: str = Field(min_length=1, max_length=500)
    text: str | None = Field(default=None, max_length=200_000)
    raw: str | None = Field(default=None, max_length=900_000)
    channel: Channel = Channel.EMAIL
    sender: str | None = Field(default=None, max_length=320)
    subject: str | None = Field(default=None, max_length=1000)
    in_reply_to: str | None = Field(default=None, max_length=500)

    @model_validator(mode="after")
    def _has_content(self) -> ReplyCreate:
        if not self.text and not self.raw:
            raise ValueError("give the reply as 'text' or as the 'raw' RFC 822 message")
        return self


class ReplyAccepted(BaseModel):
    """A reply was recorded for the worker (``duplicate``: this message id was recorded before)."""

    lead_id: str
    message_id: str
    duplicate: bool


class OutcomeCreate(BaseModel):
    """A deal's outcome as a seller or the CRM reports it; ``outcome_id`` makes it idempotent."""

    model_config = ConfigDict(str_strip_whitespace=True, extra="forbid")

    outcome: Literal["won", "lost"]
    outcome_id: str | None = Field(default=None, min_length=1, max_length=200,
                                   description="idempotency key; default: one outcome per lead")
    amount: float | None = Field(default=None, ge=0, allow_inf_nan=False, description="deal value, for won deals")
    reason: str | None = Field(default=None, max_length=1000, description="why, in the seller's words")


class OutcomePublic(BaseModel):
    """The outcome on record for a lead (``duplicate``: it was recorded before this request)."""

    lead_id: str
    outcome_id: str
    outcome: Literal["won", "lost"]
    amount: float | None = None
    reason: str | None = None
    source: str
    recorded_at: datetime
    duplicate: bool


class Health(BaseModel):
    """Liveness only: served without a key, so it says nothing about any workspace."""

    status: str = "ok"


AgentCardDoc = dict[str, Any]
