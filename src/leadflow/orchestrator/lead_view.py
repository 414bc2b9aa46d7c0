"""A lead as seen from outside: its next follow-up and every message in and out, with status.

The API (``GET /v1/leads/{id}`` and ``/messages``) and any tool reading what the agents did
build on these two functions, so they can never disagree. Everything is read from the store:
the lead's state (inbound messages, sent ones), its outbox rows (what is pending, held,
suppressed or failed, and the full text of each) and its active timers.

Statuses of an outbound message are the outbox row's own: ``pending`` (queued, maybe for a
later send time), ``sent``, ``held`` (waiting for a person's review), ``suppressed`` (the
dispatcher refused it: an opt-out, a reply, no consent), ``failed``, ``cancelled``; an inbound
message is ``received``. A sent message the state holds without an outbox row (none today) is
shown as ``sent``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel

from leadflow.domain.actions import CONTACT_ACTIONS, ActionKind
from leadflow.domain.models import Channel, Direction, LeadState, Message
from leadflow.state.base import Store
from leadflow.state.records import ActionRow

_CHANNEL_OF = {
    ActionKind.SEND_EMAIL: Channel.EMAIL,
    ActionKind.SEND_SMS: Channel.SMS,
    ActionKind.SEND_LINKEDIN: Channel.LINKEDIN,
}
_WRITER_KEYS = ("written_by", "author", "draft")
"""Where an agent may say who wrote a message's text (template, model, person)."""


class NextFollowUp(BaseModel):
    """The next thing that will happen to a lead by itself: a timer firing or a queued send."""

    at: datetime
    kind: Literal["timer", "send"]
    name: str
    """The timer's name, or the queued message's subject (its channel when it has none)."""
    agent: str | None = None


class MessageView(BaseModel):
    """One message in or out, as a tool reading the lead needs it: status, ends, full text."""

    id: str
    direction: Direction
    channel: Channel
    status: str
    at: datetime
    """When it was sent or received; for one not sent, when it is (or was) due to go."""
    sender: str | None = None
    recipient: str | None = None
    subject: str | None = None
    text: str
    agent: str | None = None
    """The agent that asked for it (outbound)."""
    written_by: str | None = None
    """Who wrote the text, when the message says so (``template``, ``llm``..., ``person:<who>``
    for a draft a person edited)."""
    thread_id: str | None = None
    in_reply_to: str | None = None
    detail: str | None = None
    """Why it was not sent (a suppression reason, a failure, a review hold), or its provider id."""


def next_follow_up(store: Store, state: LeadState) -> NextFollowUp | None:
    """The earliest active timer or pending send of the lead, or None when nothing is due."""
    found: list[NextFollowUp] = [
        NextFollowUp(at=t.spec.fire_at, kind="timer", name=t.spec.name, agent=t.spec.agent)
        for t in store.timers_for(state.workspace_id, state.lead_id, active_only=True)
    ]
    for row in store.actions_for(state.workspace_id, state.lead_id):
        if row.status == "pending" and row.action.kind in CONTACT_ACTIONS:
            channel = _CHANNEL_OF[row.action.kind].value
            found.append(NextFollowUp(at=row.action.not_before or row.created_at, kind="send",
                                      name=row.action.subject or channel, agent=row.action.agent))
    return min(found, key=lambda f: f.at, default=None)


def lead_messages(store: Store, state: LeadState) -> list[MessageView]:
    """Every message to and from the lead, oldest first: the outbox's rows with their status,
    and the inbound messages the state recorded."""
    sent_at = {m.id: m for m in state.messages if m.direction is Direction.OUTBOUND}
    out: list[MessageView] = []
    seen: set[str] = set()
    for row in store.actions_for(state.workspace_id, state.lead_id):
        if row.action.kind not in CONTACT_ACTIONS:
            continue
        view = _outbound(row, sent_at.get(row.action.idempotency_key))
        seen.add(view.id)
        out.append(view)
    for m in state.messages:
        if m.direction is Direction.INBOUND:
            out.append(MessageView(id=m.id, direction=m.direction, channel=m.channel, status="received", at=m.at,
                                   sender=m.sender, recipient=m.to, subject=m.subject, text=m.body,
                                   thread_id=m.thread_id, in_reply_to=m.in_reply_to))
        elif m.id not in seen:
            out.append(MessageView(id=m.id, direction=m.direction, channel=m.channel, status="sent", at=m.at,
                                   sender=m.sender, recipient=m.to, subject=m.subject, text=m.body, agent=m.agent,
                                   thread_id=m.thread_id, in_reply_to=m.in_reply_to))
    out.sort(key=lambda v: v.at)  # stable: a lead's own order holds within one instant
    return out


def _outbound(row: ActionRow, sent: Message | None) -> MessageView:
    action = row.action
    payload = action.payload
    at = sent.at if sent is not None else action.not_before or row.created_at
    review = payload.get("review")  # a held draft's review record (``leadflow.drafts``)
    edited_by = review.get("edited_by") if isinstance(review, dict) else None
    writer = f"person:{edited_by}" if edited_by else next(
        (str(payload[k]) for k in _WRITER_KEYS if payload.get(k)), None)
    return MessageView(
        id=action.idempotency_key,
        direction=Direction.OUTBOUND,
        channel=_CHANNEL_OF[action.kind],
        status=row.status,
        at=at,
        sender=str(payload["from"]) if payload.get("from") else None,
        recipient=action.to,
        subject=action.subject,
        text=action.body,
        agent=action.agent,
        written_by=writer,
        thread_id=str(payload["thread_id"]) if payload.get("thread_id") else None,
        in_reply_to=str(payload["in_reply_to"]) if payload.get("in_reply_to") else None,
        detail=row.detail,
    )
