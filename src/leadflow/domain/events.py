"""The event envelope every agent, the orchestrator and the bus exchange.

An event is immutable once recorded. ``causation_id`` names the event that caused it and
``correlation_id`` the journey it belongs to (the lead.created event's id), so a lead's
whole story can be rebuilt from the log.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class EventType(StrEnum):
    LEAD_CREATED = "lead.created"
    LEAD_LINKED = "lead.linked"  # the same person arrived again: a new key now leads to this lead
    LEAD_UPDATED = "lead.updated"
    LEAD_MOVED = "lead.moved"  # to another campaign (``leadflow import --move``)
    LEAD_ENGAGED = "lead.engaged"
    LEAD_QUALIFIED = "lead.qualified"
    LEAD_APPOINTMENT_BOOKED = "lead.appointment_booked"
    LEAD_STALLED = "lead.stalled"
    LEAD_CONVERTED = "lead.converted"
    LEAD_LOST = "lead.lost"
    LEAD_OPTED_OUT = "lead.opted_out"
    REPLY_RECEIVED = "reply.received"
    REPLY_CLASSIFIED = "reply.classified"
    MESSAGE_SCHEDULED = "message.scheduled"
    MESSAGE_SENT = "message.sent"
    MESSAGE_FAILED = "message.failed"
    MESSAGE_BOUNCED = "message.bounced"
    TIMER_FIRED = "timer.fired"
    AGENT_STARTED = "agent.started"
    AGENT_COMPLETED = "agent.completed"
    AGENT_FAILED = "agent.failed"
    AGENT_ESCALATED = "agent.escalated"
    SYSTEM_ERROR = "system.error"


class Performative(StrEnum):
    """FIPA-style speech acts, as the design documents use them."""

    REQUEST = "REQUEST"
    INFORM = "INFORM"
    QUERY = "QUERY"
    PROPOSE = "PROPOSE"
    CONFIRM = "CONFIRM"
    REFUSE = "REFUSE"
    FAILURE = "FAILURE"


class Event(BaseModel):
    model_config = ConfigDict(frozen=True)

    id: str
    type: str
    lead_id: str
    workspace_id: str
    at: datetime
    causation_id: str | None = None
    correlation_id: str | None = None
    performative: Performative = Performative.INFORM
    priority: int = Field(default=5, ge=0, le=9)
    confidence: float = Field(default=1.0, ge=0.0, le=1.0)
    source: str = "system"
    payload: dict[str, Any] = Field(default_factory=dict)


def new_event_id() -> str:
    return uuid.uuid4().hex


def new_event(
    type: str,
    *,
    lead_id: str,
    workspace_id: str,
    at: datetime,
    cause: Event | None = None,
    payload: dict[str, Any] | None = None,
    source: str = "system",
    performative: Performative = Performative.INFORM,
    priority: int = 5,
    confidence: float = 1.0,
    event_id: str | None = None,
) -> Event:
    """Build an event, inheriting correlation from ``cause`` when given."""
    eid = event_id or new_event_id()
    return Event(
        id=eid,
        type=str(type),
        lead_id=lead_id,
        workspace_id=workspace_id,
        at=at,
        causation_id=cause.id if cause else None,
        correlation_id=(cause.correlation_id or cause.id) if cause else eid,
        performative=performative,
        priority=priority,
        confidence=confidence,
        source=source,
        payload=payload or {},
    )
