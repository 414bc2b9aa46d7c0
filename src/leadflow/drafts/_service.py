"""Reviewing held drafts: list, read in full, edit, approve or reject (the CLI and API call this).

A draft is an outbox row the dispatcher held (status ``held``, see ``_policy``). Each change is
one store commit together with its event in the lead's log (``draft.edited``, ``draft.approved``,
``draft.rejected``), so the trace and replay see who did what and why.

Approving queues the message again as an ordinary pending send (its key ``<key>:approved``,
marked approved so it is not held twice): the same outbox, the same suppression check at
dispatch and the same send window as any message; nothing here delivers anything. Rejecting
records the reason and routes ``draft.rejected``: the agent writes again or a human takes the
lead (``_redraft``).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, Final

from pydantic import BaseModel

from leadflow.domain.actions import OutboundAction
from leadflow.domain.events import new_event, new_event_id
from leadflow.domain.models import Direction
from leadflow.drafts._events import DRAFT_APPROVED, DRAFT_EDITED, DRAFT_REJECTED
from leadflow.drafts._policy import REVIEW_KEY
from leadflow.exceptions import Conflict, InvalidInput, NotFound
from leadflow.orchestrator.engine import derived_id
from leadflow.state.base import Store
from leadflow.state.records import ActionRow, Commit, DraftChange

STATUSES: Final = ("held", "approved", "rejected")
"""A draft's statuses: waiting for a person, approved (queued to send), rejected. A held draft
can also end ``cancelled``, with its lead's other pending messages (opted out, lost, erased)."""
MAX_SUBJECT: Final = 300
MAX_BODY: Final = 20_000


class DraftView(BaseModel):
    """One draft as a person reads it: the full text, who wrote it, why it was held."""

    id: int
    lead_id: str
    campaign: str
    status: str
    channel: str
    to: str | None
    sender: str | None
    subject: str | None
    body: str
    agent: str
    written_by: str
    held_because: str | None
    edited_by: str | None = None
    decided_by: str | None = None
    rejected_because: str | None = None
    delivery: str | None = None
    """The approved message's outbox status (``pending``, ``sent``, ``suppressed``, ...)."""
    created_at: datetime


def _review(row: ActionRow) -> dict[str, Any]:
    review = row.action.payload.get(REVIEW_KEY)
    return dict(review) if isinstance(review, dict) else {}


def _clean(text: str, *, field: str, limit: int) -> str:
    if "\x00" in text:
        raise InvalidInput(f"{field}: contains a NUL character")
    if len(text) > limit:
        raise InvalidInput(f"{field}: longer than {limit} characters")
    return text


class Drafts:
    """The review service over one store; ``clock`` gives the time of each decision."""

    def __init__(self, *, store: Store, clock: Any) -> None:
        self.store = store
        self.clock = clock

    # -- reading -----------------------------------------------------------------------
    def list(self, workspace_id: str, *, campaign: str | None = None, status: str | None = None) -> list[DraftView]:
        """Drafts of the workspace, oldest first: held ones unless ``status`` (or ``all``) says otherwise."""
        if status not in (None, "all", *STATUSES):
            raise InvalidInput(f"status: {status!r} is not one of all, {', '.join(STATUSES)}")
        wanted = STATUSES if status == "all" else (status or "held",)
        out: list[DraftView] = []
        campaigns: dict[str, str] = {}
        for row in self.store.actions_in(workspace_id, wanted):
            if row.lead_id not in campaigns:
                try:
                    campaigns[row.lead_id] = self.store.get_lead(workspace_id, row.lead_id).campaign
                except NotFound:
                    continue  # erased meanwhile
            if campaign is None or campaigns[row.lead_id] == campaign:
                out.append(self._view(row, campaigns[row.lead_id]))
        return out

    def get(self, workspace_id: str, draft_id: int) -> DraftView:
        """One draft in full. ``NotFound`` unless it is a draft of this workspace."""
        row = self._row(workspace_id, draft_id)
        return self._view(row, self.store.get_lead(workspace_id, row.lead_id).campaign)

    # -- deciding ----------------------------------------------------------------------
    def edit(
        self, workspace_id: str, draft_id: int, *, by: str, subject: str | None = None, body: str | None = None
    ) -> DraftView:
        """Change a held draft's subject and/or body; it stays held, and ``by`` is its writer now."""
        if subject is None and body is None:
            raise InvalidInput("edit: give a new subject or body")
        row = self._held(workspace_id, draft_id)
        if body is not None and not _clean(body, field="body", limit=MAX_BODY).strip():
            raise InvalidInput("body: must not be empty")
        if subject is not None:
            _clean(subject, field="subject", limit=MAX_SUBJECT)
        review = {**_review(row), "edited_by": by}
        action = row.action.model_copy(
            update={
                "subject": row.action.subject if subject is None else subject,
                "body": row.action.body if body is None else body,
                "payload": {**row.action.payload, REVIEW_KEY: review},
            }
        )
        before = {"subject": row.action.subject, "body": row.action.body}
        event = self._event(row, DRAFT_EDITED, {"by": by, "before": before}, event_id=new_event_id())
        self._commit(row, DraftChange(row.seq, "held", action=action), event, routed=False)
        return self.get(workspace_id, draft_id)

    def approve(self, workspace_id: str, draft_id: int, *, by: str) -> DraftView:
        """Queue the held draft as a pending send (through the dispatcher like any message)."""
        row = self._held(workspace_id, draft_id)
        state = self.store.get_lead(workspace_id, row.lead_id)
        if row.action.payload.get("stop_on_reply") and any(
            m.direction is Direction.INBOUND and m.at >= row.created_at for m in state.messages
        ):  # written before the lead's reply: it would answer a question nobody asks any more
            raise Conflict(f"draft {draft_id}: the lead replied after it was written; read the reply, reject this one")
        now = self.clock.now()
        review = {**_review(row), "approved_by": by, "approved_at": now.isoformat(), "draft": row.seq}
        release = row.action.model_copy(
            update={
                "idempotency_key": f"{row.action.idempotency_key}:approved",
                "not_before": None,  # now, or the next moment the lead's send window and the caps allow
                "payload": {**row.action.payload, REVIEW_KEY: review},
            }
        )
        event = self._event(row, DRAFT_APPROVED, {"by": by, "key": release.idempotency_key})
        self._commit(
            row, DraftChange(row.seq, "approved", detail=f"approved by {by}"), event, routed=False, actions=[release]
        )
        return self.get(workspace_id, draft_id)

    def reject(self, workspace_id: str, draft_id: int, *, reason: str, by: str) -> DraftView:
        """Close the held draft unsent; ``draft.rejected`` tells the agents (written again, or a human)."""
        if not _clean(reason, field="reason", limit=2000).strip():
            raise InvalidInput("reason: say why the draft is rejected")
        row = self._held(workspace_id, draft_id)
        attempt = 1 + sum(1 for e in self.store.lead_events(workspace_id, row.lead_id) if e.type == DRAFT_REJECTED)
        extra = {
            "by": by,
            "reason": reason,
            "attempt": attempt,
            "kind": row.action.kind.value,
            "channel_to": row.action.to,
            "rejected_key": row.action.idempotency_key,
        }
        event = self._event(row, DRAFT_REJECTED, extra)
        self._commit(row, DraftChange(row.seq, "rejected", detail=f"rejected by {by}: {reason}"), event, routed=True)
        return self.get(workspace_id, draft_id)

    # -- helpers -----------------------------------------------------------------------
    def _row(self, workspace_id: str, draft_id: int) -> ActionRow:
        row = self.store.action_by_seq(workspace_id, draft_id)
        if row.status in STATUSES:
            return row
        if row.status == "cancelled" and _held_reason(self.store, row) is not None:
            return row  # held, then cancelled with the lead's other messages (opted out, lost, erased)
        raise NotFound(f"no draft {draft_id}")

    def _held(self, workspace_id: str, draft_id: int) -> ActionRow:
        row = self._row(workspace_id, draft_id)
        if row.status != "held":
            why = f" ({row.detail})" if row.status == "cancelled" and row.detail else ""
            raise Conflict(f"draft {draft_id} is already {row.status}{why}")
        return row

    def _event(self, row: ActionRow, type_: str, extra: dict[str, Any], *, event_id: str | None = None) -> Any:
        return new_event(
            type_,
            lead_id=row.lead_id,
            workspace_id=row.workspace_id,
            at=self.clock.now(),
            payload={"seq": row.seq, "key": row.action.idempotency_key, "agent": row.action.agent, **extra},
            source="drafts",
            event_id=event_id or derived_id("draft", row.workspace_id, row.seq, type_),
        )

    def _commit(
        self,
        row: ActionRow,
        change: DraftChange,
        event: Any,
        *,
        routed: bool,
        actions: Sequence[OutboundAction] = (),
    ) -> None:
        commit = Commit(
            row.workspace_id,
            row.lead_id,
            events=[event],
            actions=list(actions),
            draft=change,
            quiet=set() if routed else {event.id},
            at=self.clock.now(),
            require_lead=True,
        )
        (result,) = self.store.apply([commit])
        if isinstance(result, Conflict):
            raise Conflict(f"draft {row.seq} changed meanwhile: {result}") from result
        if result is not None:
            raise result

    def _view(self, row: ActionRow, campaign: str) -> DraftView:
        review = _review(row)
        p = row.action.payload
        delivery = None
        if row.status == "approved":
            key = f"{row.action.idempotency_key}:approved"
            sent = [r for r in self.store.actions_for(row.workspace_id, row.lead_id) if r.action.idempotency_key == key]
            delivery = sent[0].status if sent else None
        rejected = None
        if row.status == "rejected" and row.detail:
            rejected = row.detail.split(": ", 1)[-1]
        return DraftView(
            id=row.seq,
            lead_id=row.lead_id,
            campaign=campaign,
            status=row.status,
            channel=row.action.kind.value,
            to=row.action.to,
            sender=str(p["from"]) if p.get("from") else None,
            subject=row.action.subject,
            body=row.action.body,
            agent=row.action.agent,
            written_by=writer_of(self.store, row),
            held_because=str(review.get("held_because") or "") or _held_reason(self.store, row),
            edited_by=review.get("edited_by"),
            decided_by=review.get("approved_by") or (_by(row.detail) if row.status != "held" else None),
            rejected_because=rejected,
            delivery=delivery,
            created_at=row.created_at,
        )


def _by(detail: str | None) -> str | None:
    if not detail:
        return None
    for prefix in ("approved by ", "rejected by "):
        if detail.startswith(prefix):
            return detail[len(prefix) :].split(": ", 1)[0]
    return None


def _held_reason(store: Store, row: ActionRow) -> str | None:
    """The ``draft.held`` event's reason (the row's detail is the decision once decided)."""
    if row.status == "held" and row.detail:
        return row.detail
    for event in store.lead_events(row.workspace_id, row.lead_id):
        if event.type == "draft.held" and event.payload.get("seq") == row.seq:
            return str(event.payload.get("reason") or "") or None
    return None


def writer_of(store: Store, row: ActionRow) -> str:
    """Who wrote a message: the person who edited it, the model, or ``template``."""
    review = row.action.payload.get(REVIEW_KEY)
    if isinstance(review, dict) and review.get("edited_by"):
        return f"person:{review['edited_by']}"
    source = str(row.action.payload.get("draft") or "")
    if source.startswith("llm"):
        models = [
            t.model
            for t in store.traces_for(row.workspace_id, row.lead_id)
            if t.agent == row.action.agent and t.model and t.at <= row.created_at
        ]
        return f"model:{models[-1]}" if models else "model"
    return source or "template"
