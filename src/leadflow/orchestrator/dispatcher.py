"""The outbox dispatcher: performs due outbound actions, checking suppression at dispatch time.

A follow-up scheduled for Tuesday is checked against the lead as it is on Tuesday: a lead that
opted out, bounced or became do-not-contact since then gets nothing, and the action is closed
as ``suppressed`` with a ``message.failed`` event. Deliveries are idempotent per key, so a
crash between delivering and recording cannot send twice.

Sending policy is checked there too (:mod:`leadflow.orchestrator.send_gate`): a send outside
the recipient's window, during their out-of-office, or over its mailbox's daily cap or its
domain's hourly cap is re-scheduled to the next allowed moment. That is not a failed attempt
(``max_attempts`` does not see it), and the action stays pending, so it is neither lost nor sent
twice.

A paused campaign (``leadflow campaigns pause``) is held the same way: each due message of it to
a prospect is postponed by :data:`PAUSED_RETRY` without counting an attempt (a hand-off to the
rep still goes: a person should hear of an angry reply), while the orchestrator goes on
handling events and timers (decisions are recorded, follow-ups queued at their planned times).
On resume the held sends go at the next pass, in order, through the same checks; later sends
keep their planned times.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, time, timedelta
from typing import Any

from leadflow.domain.actions import CONTACT_ACTIONS, ActionKind
from leadflow.domain.events import Event, EventType, new_event
from leadflow.domain.identity import DOMAIN_PREFIX
from leadflow.domain.models import Channel, Direction, LeadState, Message, Stage, zone
from leadflow.drafts._events import DRAFT_HELD
from leadflow.drafts._policy import FIRST_TOUCH_WAIT, autonomy_of, awaited_draft, hold_reason
from leadflow.exceptions import Conflict, DuplicateMessage, InvalidInput, NotFound, Refused, Unavailable
from leadflow.integrations.channels.base import DeliveryChannel
from leadflow.orchestrator._isolate import apply_isolating, bad_data
from leadflow.orchestrator.engine import derived_id
from leadflow.orchestrator.send_gate import SendGate
from leadflow.state.base import Store
from leadflow.state.records import ActionRow, Commit

log = logging.getLogger(__name__)
PAUSED_RETRY = timedelta(minutes=5)  # how often a paused campaign's due sends are looked at again

_CHANNEL_OF = {
    ActionKind.SEND_EMAIL: Channel.EMAIL,
    ActionKind.SEND_SMS: Channel.SMS,
    ActionKind.SEND_LINKEDIN: Channel.LINKEDIN,
}


def suppression_reason(store: Store, state: LeadState, row: ActionRow) -> str | None:
    """Why this contact must not go out now, or None."""
    if row.action.kind not in CONTACT_ACTIONS:
        return None
    if state.stage is Stage.DO_NOT_CONTACT:
        return "do_not_contact"
    if state.stage is Stage.LOST:
        return "lead_lost"  # a follow-up queued before the deal was lost or the lead declined
    # the recipient on every channel (an address or a number), in any spelling, or its domain;
    # an opt-out suppresses the lead's address and number both, a bounce only the one that bounced
    held = store.suppression_for(state.workspace_id, row.action.to) if row.action.to else None
    if held is not None:
        return "suppressed_domain" if held.startswith(DOMAIN_PREFIX) else "suppressed_address"
    if row.action.payload.get("stop_on_reply") and any(
        m.direction is Direction.INBOUND and m.at >= row.created_at for m in state.messages
    ):
        return "lead_replied"  # sequences stop on any reply
    consent = state.lead.consent
    if row.action.kind is ActionKind.SEND_SMS and not consent.sms:
        return "no_sms_consent"
    if row.action.kind is ActionKind.SEND_EMAIL and not consent.email:
        return "no_email_consent"
    return None


class Dispatcher:
    def __init__(
        self,
        *,
        store: Store,
        channels: dict[ActionKind, DeliveryChannel],
        clock: Any,
        max_attempts: int = 5,
        retry_base: timedelta = timedelta(seconds=30),
        routed: frozenset[str] | set[str] = frozenset(),
    ) -> None:
        self.routed = routed
        self.store = store
        self.channels = channels
        self.clock = clock
        self.max_attempts = max_attempts
        self.retry_base = retry_base
        self.gate = SendGate(store)

    def dispatch(self, *, limit: int = 200) -> int:
        """Perform the due actions; their outcomes are committed together, a lead's actions in order.

        Each pass takes at most one action per lead, delivers them, and records the deliveries in
        one transaction (deliveries are idempotent, so a crash before that commit redelivers
        nothing). A lead's next action waits for the next pass, so it sees the committed state.
        A commit refused on a version conflict is retried, up to five times per action.
        """
        now = self.clock.now()
        rows = self.store.due_actions(now, limit=limit)
        tries: dict[int, int] = {}
        pending = rows
        while pending:
            later: list[ActionRow] = []
            busy: set[tuple[str, str]] = set()
            batch: list[tuple[ActionRow, Commit]] = []
            for row in pending:
                lead = (row.workspace_id, row.lead_id)
                if lead in busy:
                    later.append(row)
                    continue
                busy.add(lead)
                try:
                    commit = self._one(row)
                except NotFound:
                    continue
                except Exception as exc:  # one odd action or lead stops neither the pass nor the others
                    commit = self._unexpected(row, exc)
                if commit is not None:
                    batch.append((row, commit))
            results = apply_isolating(self.store, [c for _, c in batch])
            self.gate.settle()  # the pass's sends are in the store now (or were refused)
            for (row, _), result in zip(batch, results, strict=True):
                if result is not None and bad_data(result):
                    # its outcome cannot be written: tried again later (delivery is idempotent), then failed
                    closing = self._unexpected(row, result)
                    if closing is not None:
                        apply_isolating(self.store, [closing])
                    continue
                if isinstance(result, Conflict) and not isinstance(result, DuplicateMessage):
                    tries[row.seq] = tries.get(row.seq, 1) + 1
                    if tries[row.seq] <= 5:
                        later.append(
                            row
                        )  # the lead changed meanwhile: deliver (idempotently) and record again
            pending = sorted(later, key=lambda r: r.seq)
        return len(rows)

    def _one(self, row: ActionRow) -> Commit | None:
        now = self.clock.now()
        state = self.store.get_lead(row.workspace_id, row.lead_id)
        reason = suppression_reason(self.store, state, row)
        if reason is not None:
            return self._closed(row, state, "suppressed", reason)
        if row.action.kind in CONTACT_ACTIONS and self._paused(row, state):  # held, no attempt counted
            self.store.postpone_action(
                row.seq, until=now + PAUSED_RETRY, error="deferred: campaign paused", count_attempt=False
            )
            return None
        stop, held = self._review(row, state, now)
        if stop:  # the campaign wants a person to read it first, or it waits for one (leadflow.drafts)
            return held
        gap = self._gap_wait(row, state, now)
        if gap is not None:  # too soon after the message before it: later, not a failed attempt
            until, why = gap
            self.store.postpone_action(row.seq, until=until, error=f"deferred: {why}", count_attempt=False)
            return None
        channel = self.channels.get(row.action.kind)
        if channel is None:
            return self._closed(row, state, "failed", f"no channel for {row.action.kind.value}")
        if not self.gate.claim(row):  # another worker is sending from this mailbox or to this domain
            return None
        wait = self.gate.hold(row, state, now)
        if wait is not None:  # outside the window or over a cap: not a failed attempt, just later
            self.store.postpone_action(
                row.seq, until=wait.at, error=f"deferred: {', '.join(wait.reasons)}", count_attempt=False
            )
            return None
        if self.gate.restamp(row, now):  # due earlier, going now: count it now
            self.store.postpone_action(
                row.seq, until=now, error="sent after its planned hour", count_attempt=False
            )
        try:
            receipt = channel.deliver(row.action, workspace_id=row.workspace_id, lead_id=row.lead_id)
        except Unavailable as exc:
            attempts = self.store.postpone_action(
                row.seq, until=now + self.retry_base * (2**row.attempts), error=str(exc)
            )
            if attempts >= self.max_attempts:
                return self._closed(row, state, "failed", f"gave up after {attempts} attempts: {exc}")
            return None
        except (Refused, InvalidInput) as exc:
            return self._closed(row, state, "failed", str(exc))
        version = state.version
        new = state  # freshly loaded for this action alone: no one else holds it, so no copy
        kind = _CHANNEL_OF.get(row.action.kind)
        if kind is not None:
            new.messages.append(
                Message(
                    id=row.action.idempotency_key,
                    channel=kind,
                    direction=Direction.OUTBOUND,
                    to=row.action.to,
                    subject=row.action.subject,
                    body=row.action.body,
                    at=now,
                    agent=row.action.agent,
                    thread_id=row.action.payload.get("thread_id"),
                )
            )
            new.touches += 1
            if new.stage is Stage.NEW:
                new.stage = Stage.CONTACTED
        new.updated_at = now
        sent = self._event(
            row,
            state,
            EventType.MESSAGE_SENT,
            {"provider_id": receipt.provider_id, "duplicate": receipt.duplicate},
        )
        return Commit(
            row.workspace_id,
            row.lead_id,
            expected_version=version,
            state=new,
            events=[sent],
            finish_action=(row.seq, "sent", receipt.provider_id),
            quiet=self._quiet(sent),
            at=now,
        )

    def _review(self, row: ActionRow, state: LeadState, now: datetime) -> tuple[bool, Commit | None]:
        """``(True, commit)`` to hold the message as a draft, as the campaign's autonomy mode says;
        ``(True, None)`` when it waits for its lead's first touch to be reviewed; else ``(False, None)``."""
        if row.action.kind not in CONTACT_ACTIONS:
            return False, None
        try:
            campaign = self.store.get_campaign(row.workspace_id, state.campaign)
        except NotFound:
            return False, None
        why = hold_reason(campaign, state, row)
        if why is None:
            return False, None
        if autonomy_of(campaign) == "review_first_touch":
            first = awaited_draft(self.store.actions_for(row.workspace_id, row.lead_id), row)
            if first is not None:  # a follow-up of a first touch still with a person: not a draft of its own
                self.store.postpone_action(row.seq, until=now + FIRST_TOUCH_WAIT, count_attempt=False,
                                           error=f"deferred: waits for draft {first} (the first touch) to be reviewed")  # fmt: skip
                return True, None
        held = self._event(row, state, DRAFT_HELD, {"seq": row.seq, "reason": why, "subject": row.action.subject})
        return True, Commit(
            row.workspace_id,
            row.lead_id,
            events=[held],
            finish_action=(row.seq, "held", why),
            quiet=self._quiet(held),
            at=self.clock.now(),
        )

    def _gap_wait(self, row: ActionRow, state: LeadState, now: datetime) -> tuple[datetime, str] | None:
        """When a follow-up (``gap_days`` in its payload) may go, if not now: never before an
        earlier message to the lead still waiting in the outbox (held, or pending), and never
        sooner than ``gap_days`` (the lead's local calendar days) after the last one sent."""
        gap = row.action.payload.get("gap_days")
        if row.action.kind not in CONTACT_ACTIONS or not isinstance(gap, int) or gap <= 0:
            return None
        for other in self.store.actions_for(row.workspace_id, row.lead_id):
            if other.seq < row.seq and other.action.kind in CONTACT_ACTIONS and other.status in ("pending", "held"):
                return now + FIRST_TOUCH_WAIT, f"waits for message {other.seq} to go out first"
        sent = [m.at for m in state.messages if m.direction is Direction.OUTBOUND and m.id != row.action.idempotency_key]
        if not sent:
            return None
        tz = zone(state.lead.timezone)
        last = max(sent).astimezone(tz)
        earliest = datetime.combine(last.date() + timedelta(days=gap), time(0), tzinfo=tz).astimezone(UTC)
        if earliest <= now:
            return None
        return earliest, f"{gap} days after the last message sent ({last.date().isoformat()})"

    def _paused(self, row: ActionRow, state: LeadState) -> bool:
        """Whether the lead's campaign is paused (``campaigns pause``): its sends wait."""
        try:
            return self.store.get_campaign(row.workspace_id, state.campaign).paused
        except NotFound:
            return False

    def _unexpected(self, row: ActionRow, exc: Exception) -> Commit | None:
        """An action whose handling raised (its lead's document unreadable, a bug): tried again
        later, and after ``max_attempts`` closed as failed with the reason."""
        error = f"{type(exc).__name__}: {exc}"[:2000]
        log.warning("action %s of lead %s failed: %s", row.seq, row.lead_id, error)
        now = self.clock.now()
        attempts = self.store.postpone_action(row.seq, until=now + self.retry_base * (2**row.attempts), error=error)
        if attempts < self.max_attempts:
            return None
        return Commit(row.workspace_id, row.lead_id, finish_action=(row.seq, "failed", f"gave up: {error}"), at=now)

    def _closed(self, row: ActionRow, state: LeadState, status: str, reason: str) -> Commit:
        failed = self._event(row, state, EventType.MESSAGE_FAILED, {"status": status, "reason": reason})
        return Commit(
            row.workspace_id,
            row.lead_id,
            events=[failed],
            finish_action=(row.seq, status, reason),
            quiet=self._quiet(failed),
            at=self.clock.now(),
        )

    def _quiet(self, event: Event) -> set[str]:
        return set() if event.type in self.routed else {event.id}

    def _event(self, row: ActionRow, state: LeadState, type_: str, extra: dict[str, Any]) -> Event:
        return new_event(
            type_,
            lead_id=row.lead_id,
            workspace_id=row.workspace_id,
            at=self.clock.now(),
            payload={
                "action": row.action.kind.value,
                "key": row.action.idempotency_key,
                "to": row.action.to,
                "agent": row.action.agent,
                **extra,
            },
            source="dispatcher",
            event_id=derived_id("action", row.action.idempotency_key, type_),
        )
