"""Leads, campaigns, messages and events: pydantic models with no I/O."""

from leadflow.domain.events import Event, EventType, Performative, new_event
from leadflow.domain.models import (
    Appointment,
    Campaign,
    Channel,
    Consent,
    Direction,
    Escalation,
    Lead,
    LeadState,
    Message,
    Score,
    SenderIdentity,
    Stage,
)

__all__ = [
    "Appointment",
    "Campaign",
    "Channel",
    "Consent",
    "Direction",
    "Escalation",
    "Event",
    "EventType",
    "Lead",
    "LeadState",
    "Message",
    "Performative",
    "Score",
    "SenderIdentity",
    "Stage",
    "new_event",
]
