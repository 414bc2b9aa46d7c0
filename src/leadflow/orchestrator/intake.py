"""Intake: how leads and replies enter leadflow (webhook, CSV, CRM sync, mail pollers).

Creating a lead is idempotent on the source's lead id; a reply is idempotent on its message id.
An accepted item is committed, with its event queued for the orchestrator, before the caller
is told it was accepted, so nothing accepted is lost.
"""

from __future__ import annotations

import hashlib
import uuid
from typing import Any

from leadflow.domain.events import Event, EventType, new_event
from leadflow.domain.models import Lead, LeadState
from leadflow.exceptions import DuplicateMessage, NotFound
from leadflow.state.base import Store
from leadflow.state.records import Commit


def dedupe_key(lead: Lead) -> str | None:
    if lead.source_lead_id:
        return f"{lead.source}:{lead.source_lead_id}"
    if lead.email:
        return f"email:{str(lead.email).lower()}"
    return None


class Intake:
    def __init__(self, *, store: Store, clock: Any) -> None:
        self.store = store
        self.clock = clock

    def create_lead(self, workspace_id: str, campaign: str, lead: Lead, *, lead_id: str | None = None) -> tuple[LeadState, bool]:
        """Accept a lead. Returns (state, created); a known source id returns the existing lead."""
        self.store.get_campaign(workspace_id, campaign)  # NotFound for an unknown campaign
        now = self.clock.now()
        lid = lead_id or uuid.uuid4().hex
        state = LeadState(lead_id=lid, workspace_id=workspace_id, campaign=campaign, lead=lead,
                          created_at=now, updated_at=now, version=1)
        created = new_event(
            EventType.LEAD_CREATED, lead_id=lid, workspace_id=workspace_id, at=now,
            payload={"state": state.model_dump(mode="json"), "version": 1, "source": lead.source},
            source=f"intake:{lead.source}", event_id=hashlib.sha1(f"created:{lid}".encode()).hexdigest(),
        )
        return self.store.create_lead(state, created, dedupe_key=dedupe_key(lead))

    def receive_reply(
        self,
        workspace_id: str,
        lead_id: str,
        *,
        message_id: str,
        text: str | None = None,
        raw: str | None = None,
        channel: str = "email",
        sender: str | None = None,
        subject: str | None = None,
        in_reply_to: str | None = None,
    ) -> bool:
        """Record a reply for the orchestrator. False when this message id was seen before."""
        self.store.get_lead(workspace_id, lead_id)  # NotFound for unknown leads or other workspaces
        now = self.clock.now()
        event: Event = new_event(
            EventType.REPLY_RECEIVED, lead_id=lead_id, workspace_id=workspace_id, at=now,
            payload={"message_id": message_id, "text": text, "raw": raw, "channel": channel, "from": sender,
                     "subject": subject, "in_reply_to": in_reply_to},
            source=f"inbound:{channel}",
            event_id=hashlib.sha1(f"reply:{workspace_id}:{message_id}".encode()).hexdigest(),
        )
        result = self.store.apply([Commit(workspace_id, lead_id, events=[event], at=now)])[0]
        if isinstance(result, DuplicateMessage):
            return False
        if isinstance(result, NotFound):
            raise result
        if result is not None:
            raise result
        return True
