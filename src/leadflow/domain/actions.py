"""Outbound actions and timers: effects an agent asks for, carried out later and durably.

An ``OutboundAction`` is recorded in the outbox in the same transaction as the state change
that decided it, and a dispatcher performs it afterwards. Its ``idempotency_key`` makes the
delivery happen at most once even when the dispatcher crashes and retries.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class ActionKind(StrEnum):
    SEND_EMAIL = "send_email"
    SEND_SMS = "send_sms"
    SEND_LINKEDIN = "send_linkedin"
    BOOK_MEETING = "book_meeting"
    UPDATE_CRM = "update_crm"
    NOTIFY_HUMAN = "notify_human"


#: Actions that contact the prospect: suppression is checked for these at dispatch time.
CONTACT_ACTIONS = frozenset({ActionKind.SEND_EMAIL, ActionKind.SEND_SMS, ActionKind.SEND_LINKEDIN})


class OutboundAction(BaseModel):
    model_config = ConfigDict(frozen=True)

    kind: ActionKind
    idempotency_key: str
    to: str | None = None
    subject: str | None = None
    body: str = ""
    not_before: datetime | None = None
    agent: str = "system"
    payload: dict[str, Any] = Field(default_factory=dict)


class TimerSpec(BaseModel):
    """A durable timer: at ``fire_at`` a ``timer.fired`` event reaches ``agent``."""

    model_config = ConfigDict(frozen=True)

    name: str
    fire_at: datetime
    agent: str | None = None
    route: str | None = None
    payload: dict[str, Any] = Field(default_factory=dict)
