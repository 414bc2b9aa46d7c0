"""Intake: how leads, replies and deal outcomes enter leadflow (webhook, CSV, CRM sync, mail pollers).

Creating a lead is idempotent on the person (normalised e-mail, phone, source id); a reply is idempotent on its message id;
a deal outcome (a seller or the CRM marking a deal won or lost) is idempotent on its outcome id.
An accepted item is committed, with its event queued for the orchestrator, before the caller
is told it was accepted, so nothing accepted is lost.
"""

from __future__ import annotations

import hashlib
import math
import uuid
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any, Literal

from leadflow.domain import limits
from leadflow.domain.events import Event, EventType, new_event
from leadflow.domain.identity import identity_keys, normalise_phone
from leadflow.domain.models import Campaign, Lead, LeadState, Stage
from leadflow.exceptions import Conflict, DuplicateMessage, InvalidInput
from leadflow.state.base import Store
from leadflow.state.records import Commit

#: Where a lead's reported outcome is kept (underscore keys in ``qualification`` are markers, not answers).
OUTCOME_KEY = "_outcome"
OUTCOMES = ("won", "lost")
_OUTCOME_EVENTS = {"won": EventType.LEAD_CONVERTED, "lost": EventType.LEAD_LOST}
_MAX_TRIES = 5


@dataclass(frozen=True)
class DealOutcome:
    """A deal's outcome as the seller (or the CRM) reported it."""

    outcome_id: str
    outcome: Literal["won", "lost"]
    amount: float | None
    reason: str | None
    source: str
    at: datetime

    def as_json(self) -> dict[str, Any]:
        return {**asdict(self), "at": self.at.isoformat()}

    @classmethod
    def from_json(cls, doc: dict[str, Any]) -> DealOutcome:
        return cls(
            outcome_id=str(doc["outcome_id"]),
            outcome=doc["outcome"],
            amount=doc.get("amount"),
            reason=doc.get("reason"),
            source=str(doc.get("source") or ""),
            at=datetime.fromisoformat(doc["at"]),
        )

    def same_report(self, other: DealOutcome) -> bool:
        return (self.outcome_id, self.outcome, self.amount, self.reason) == (
            other.outcome_id,
            other.outcome,
            other.amount,
            other.reason,
        )


def recorded_outcome(state: LeadState) -> DealOutcome | None:
    """The outcome reported for this lead, if any."""
    doc = state.qualification.get(OUTCOME_KEY)
    return DealOutcome.from_json(doc) if isinstance(doc, dict) else None


def _check_outcome(outcome: str, outcome_id: str, amount: float | None, reason: str | None) -> None:
    problems: list[dict[str, object]] = []
    if outcome not in OUTCOMES:
        problems.append(
            {
                "field": "outcome",
                "message": f"unknown outcome {outcome!r}; use 'won' or 'lost'",
                "type": "value_error",
            }
        )
    if not outcome_id.strip() or len(outcome_id) > 200:
        problems.append({"field": "outcome_id", "message": "give 1-200 characters", "type": "value_error"})
    if amount is not None and (not math.isfinite(amount) or amount < 0):
        problems.append({"field": "amount", "message": "must be a finite number >= 0", "type": "value_error"})
    if reason is not None and len(reason) > 1000:
        problems.append({"field": "reason", "message": "at most 1000 characters", "type": "value_error"})
    for name, value in (("outcome_id", outcome_id), ("reason", reason)):  # the CLI's arguments too
        problem = None if value is None else limits.text_problem(value)
        if problem is not None:
            problems.append({"field": name, "message": problem, "type": "value_error"})
    if problems:
        raise InvalidInput(
            "invalid outcome: " + "; ".join(f"{p['field']}: {p['message']}" for p in problems),
            details=problems,
        )


@dataclass(frozen=True)
class Arrival:
    """An item a source took in (a reply), to be committed with the worker's next batch.

    The worker calls ``done`` with the store's answer once that batch is committed: ``None``
    (recorded), ``DuplicateMessage`` (recorded before) or ``NotFound`` (no such lead). Only
    then may the source acknowledge the item (flag it, expunge it, answer the webhook); if the
    batch fails, ``done`` is not called and the source offers the item again, so an item is
    never acknowledged before it is durable.
    """

    commit: Commit
    done: Callable[[Exception | None], None]


def dedupe_key(lead: Lead) -> str | None:
    """The strongest key a lead is known by (``identity_keys`` gives them all)."""
    keys = identity_keys(lead)
    return keys[0] if keys else None


def _check_phone(lead: Lead) -> None:
    """A new lead's number must normalise (``Lead`` keeps an old stored one that does not)."""
    if not lead.phone:
        return
    try:
        normalise_phone(lead.phone)
    except ValueError as exc:
        message = f"{exc}; write it with its country code, e.g. +44 20 7183 8750"
        raise InvalidInput(
            f"invalid lead: phone: {message}", details=[{"field": "phone", "message": message, "type": "value_error"}]
        ) from exc


EMAIL_CONSENT_BASES = ("legitimate_interest", "explicit")


def with_consent_basis(lead: Lead, campaign: Campaign) -> Lead:
    """The lead with its e-mail consent decided: as stated by the source, else by the campaign.

    A source that states ``consent.email`` (true or false) is taken at its word. When it says
    nothing, the campaign's ``settings["email_consent"]`` decides, and the lead records why:
    ``legitimate_interest`` (the default: B2B outreach to a business address, the basis cold
    e-mail relies on; ``consent.source`` says so) or ``explicit`` (no e-mail until a source
    states consent). Nothing is assumed silently.
    """
    if "email" in lead.consent.model_fields_set:
        return lead
    basis = str(campaign.settings.get("email_consent") or "legitimate_interest")
    if basis not in EMAIL_CONSENT_BASES:
        raise InvalidInput(f"campaign {campaign.name!r}: settings.email_consent must be one of "
                           f"{', '.join(EMAIL_CONSENT_BASES)}, not {basis!r}")
    source = lead.consent.source or ("legitimate_interest" if basis == "legitimate_interest" else "not_stated")
    consent = lead.consent.model_copy(update={"email": basis == "legitimate_interest", "source": source})
    return lead.model_copy(update={"consent": consent})


class Intake:
    def __init__(self, *, store: Store, clock: Any) -> None:
        self.store = store
        self.clock = clock

    def create_lead(
        self,
        workspace_id: str,
        campaign: str,
        lead: Lead,
        *,
        lead_id: str | None = None,
        keys: Sequence[str] = (),
    ) -> tuple[LeadState, bool]:
        """Accept a lead. Returns (state, created).

        One person, one lead: a lead whose normalised e-mail, E.164 phone or source id (see
        ``identity.identity_keys``), or one of the extra ``keys`` (a CSV row's content hash), is
        already known in the workspace is that person: the existing lead is returned with
        ``False`` and the arrival's other keys are linked to it (a ``lead.linked`` event in its
        trace). When the e-mail leads to one lead and the phone to another, the e-mail wins.
        """
        _check_phone(lead)
        lead = with_consent_basis(lead, self.store.get_campaign(workspace_id, campaign))  # NotFound: no campaign
        now = self.clock.now()
        lid = lead_id or uuid.uuid4().hex
        state = LeadState(
            lead_id=lid,
            workspace_id=workspace_id,
            campaign=campaign,
            lead=lead,
            created_at=now,
            updated_at=now,
            version=1,
        )
        created = new_event(
            EventType.LEAD_CREATED,
            lead_id=lid,
            workspace_id=workspace_id,
            at=now,
            payload={"state": state.model_dump(mode="json"), "version": 1, "source": lead.source},
            source=f"intake:{lead.source}",
            event_id=hashlib.sha1(f"created:{lid}".encode()).hexdigest(),
        )
        return self.store.create_lead(state, created, identity_keys=[*identity_keys(lead), *keys])

    def move_lead(self, workspace_id: str, lead_id: str, campaign: str, *, reason: str = "moved") -> LeadState:
        """Move a lead to another campaign of the workspace, with a ``lead.moved`` event in its trace.

        The simplest correct thing: the lead's campaign changes and nothing else. Everything
        decided from then (a pending timer firing, a reply, the next follow-up) is decided under
        the new campaign (its pack, sequence, senders and windows), because every step reads the
        campaign the lead names; a message already queued goes as written, through the new
        campaign's send window and caps. The event is recorded, not routed: a move starts no step.
        Its stage, history, timers and suppressions stay as they are: a lead that opted out, or
        was won or lost, is not contacted again because it moved.

        Raises:
            NotFound: no such lead, or no such campaign, in this workspace.
        """
        self.store.get_campaign(workspace_id, campaign)
        for _ in range(_MAX_TRIES):
            state = self.store.get_lead(workspace_id, lead_id)
            if state.campaign == campaign:
                return state
            now = self.clock.now()
            new = state.model_copy(update={"campaign": campaign, "updated_at": now})
            event = new_event(
                EventType.LEAD_MOVED,
                lead_id=lead_id,
                workspace_id=workspace_id,
                at=now,
                payload={"from": state.campaign, "to": campaign, "reason": reason},
                source="intake:move",
            )
            commit = Commit(workspace_id, lead_id, expected_version=state.version, state=new, events=[event],
                            quiet={event.id}, at=now)
            result = self.store.apply([commit])[0]
            if result is None:
                return self.store.get_lead(workspace_id, lead_id)
            if not isinstance(result, Conflict):
                raise result
        raise Conflict(f"lead {lead_id} kept changing; try again")

    def reply_commit(
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
    ) -> Commit:
        """The commit that records a reply: its ``reply.received`` event, with an id derived from
        the message id (so a repeat is refused as ``DuplicateMessage``), refused with ``NotFound``
        for a lead this workspace does not have. Nothing is written here: ``receive_reply``
        applies it alone; a worker writes the ones its sources hand it with its next batch.
        ``InvalidInput`` for a reply past the input limits (``domain.limits.check_reply``)."""
        limits.check_reply(text=text, raw=raw, fields={"message_id": message_id, "channel": channel,
                                                       "from": sender, "subject": subject,
                                                       "in_reply_to": in_reply_to})
        now = self.clock.now()
        event: Event = new_event(
            EventType.REPLY_RECEIVED,
            lead_id=lead_id,
            workspace_id=workspace_id,
            at=now,
            payload={
                "message_id": message_id,
                "text": text,
                "raw": raw,
                "channel": channel,
                "from": sender,
                "subject": subject,
                "in_reply_to": in_reply_to,
            },
            source=f"inbound:{channel}",
            event_id=hashlib.sha1(f"reply:{workspace_id}:{message_id}".encode()).hexdigest(),
        )
        return Commit(workspace_id, lead_id, events=[event], at=now, require_lead=True)

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
        """Record a reply for the orchestrator, committed before this returns. False when this
        message id was seen before; ``NotFound`` for unknown leads or other workspaces."""
        commit = self.reply_commit(
            workspace_id,
            lead_id,
            message_id=message_id,
            text=text,
            raw=raw,
            channel=channel,
            sender=sender,
            subject=subject,
            in_reply_to=in_reply_to,
        )
        result = self.store.apply([commit])[0]
        if isinstance(result, DuplicateMessage):
            return False
        if result is not None:
            raise result
        return True

    def record_outcome(
        self,
        workspace_id: str,
        lead_id: str,
        *,
        outcome: str,
        outcome_id: str | None = None,
        amount: float | None = None,
        reason: str | None = None,
        source: str = "api",
    ) -> tuple[DealOutcome, bool]:
        """Record that a deal was won or lost; the orchestrator hands a win to post-sale.

        The lead moves to ``won`` or ``lost`` (a lost do-not-contact lead stays do-not-contact;
        suppressed addresses stay suppressed either way), its pending timers are cancelled, and ``lead.converted`` or ``lead.lost`` is committed in the
        same transaction. ``outcome_id`` (default ``"{outcome}:{lead_id}"``) makes it idempotent.

        Returns:
            The outcome on record and whether this call recorded it (False: already recorded).

        Raises:
            InvalidInput: an unknown outcome, an empty id, a negative amount, an over-long reason.
            NotFound: no such lead in this workspace.
            Conflict: the lead already has another outcome, or the id was used for another lead.
        """
        oid = outcome_id if outcome_id is not None else f"{outcome}:{lead_id}"
        _check_outcome(outcome, oid, amount, reason)
        event_id = hashlib.sha1(f"outcome:{workspace_id}:{oid}".encode()).hexdigest()
        for _ in range(_MAX_TRIES):
            state = self.store.get_lead(
                workspace_id, lead_id
            )  # NotFound for unknown leads or other workspaces
            now = self.clock.now()
            report = DealOutcome(
                outcome_id=oid,
                outcome=outcome,  # type: ignore[arg-type]  # checked above
                amount=amount,
                reason=reason,
                source=source,
                at=now,
            )
            known = recorded_outcome(state)
            if known is not None:
                if known.same_report(report):
                    return known, False
                raise Conflict(
                    f"lead {lead_id} is already marked {known.outcome} (outcome id {known.outcome_id!r})"
                )
            new = state.model_copy(
                update={
                    "qualification": {**state.qualification, OUTCOME_KEY: report.as_json()},
                    "updated_at": now,
                }
            )
            if outcome == "won" or state.stage is not Stage.DO_NOT_CONTACT:
                new.stage = Stage.WON if outcome == "won" else Stage.LOST
            event = new_event(
                _OUTCOME_EVENTS[outcome],
                lead_id=lead_id,
                workspace_id=workspace_id,
                at=now,
                payload={"reason": reason or f"reported_{outcome}", "outcome": report.as_json()},
                source=f"intake:{source}",
                event_id=event_id,
            )
            commit = Commit(
                workspace_id,
                lead_id,
                expected_version=state.version,
                state=new,
                events=[event],
                cancel_timers=["*"],
                at=now,
            )
            result = self.store.apply([commit])[0]
            if result is None:
                return report, True
            if isinstance(result, DuplicateMessage):
                raise Conflict(f"outcome id {oid!r} was already used for another lead")
            if not isinstance(result, Conflict):
                raise result
            # the worker moved the lead meanwhile: read it again and retry
        raise Conflict(f"lead {lead_id} kept changing; try again")
