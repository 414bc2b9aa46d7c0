"""Erasing a person (GDPR): which rows are theirs and how each kind of row is redacted.

The store backends call these rules from ``Store.person_records`` and ``Store.erase_person``, so
every backend redacts the same way. The rules are chosen so the log stays a log:

* A lead document is redacted **field by field**, and a list field **item by item** (the same
  function for a whole list and for the items a patch appends). So redacting the ``lead.created``
  state and every ``lead.updated`` patch and folding them gives exactly the redacted current
  state: ``leadflow replay --check`` still passes after an erasure.
* Ids, stages, counts, scores, times and the appointment stay, so funnels, caps and bookings still
  add up; names, addresses, numbers, company, free text (messages, replies, raw MIME, inquiry,
  attributes, qualification answers, research signals) go. Other strings are scrubbed of the
  person's values (e-mail, phone in any formatting, names, company).
* Suppression survives as ``hash:<sha256(salt + key)>`` rows, one per address and number of the person,
  with a random salt per workspace kept in the store's meta table (:func:`salt_meta_key`), so a
  lead arriving again with the same address is still refused while the address itself is gone.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

import phonenumbers

from leadflow.domain import identity
from leadflow.domain.events import Event, EventType
from leadflow.domain.models import Lead, LeadState, Stage
from leadflow.exceptions import InvalidInput
from leadflow.state.common import lead_updated_event
from leadflow.state.records import ActionRow, DeadLetter, Reject, TimerRow

if TYPE_CHECKING:
    from leadflow.state.base import Store

REDACTED = "[erased]"
"""What replaces a personal value that must stay a string (a message body, a first name)."""


TABLES = (
    "leads",
    "events",
    "traces",
    "actions",
    "timers",
    "dead_letters",
    "rejects",
    "suppressions",
    "bookings",
    "identities",
)
"""The tables ``person_records`` returns, in this order."""

ERASED = tuple(t for t in TABLES if t != "bookings")
"""The tables ``ErasureReport.counts`` counts rows of (redacted or deleted). Bookings hold only a
lead id, a calendar and a time: they stay, so the slot stays taken."""


# -- keys and the salt ---------------------------------------------------------------------------


def salt_meta_key(workspace_id: str) -> str:
    """The meta key holding a workspace's erasure salt."""
    return f"privacy.salt:{workspace_id}"


def workspace_salt(store: Store, workspace_id: str) -> str:
    """The workspace's erasure salt, created (random, 128 bits) on first use; of two processes
    creating it at once, both get the first one's (``Store.add_meta``), so no hash is lost."""
    key = salt_meta_key(workspace_id)
    return store.get_meta(key) or store.add_meta(key, secrets.token_hex(16))


def hashed_key(salt: str, key: str) -> str:
    """The suppression row kept for ``key`` (a ``suppression_key``) once its person is erased."""
    return identity.erased_key(salt, key)


def address_keys(address: str, *, region: str | None = None) -> set[str]:
    """The identity keys of one e-mail address or phone number (``email:<normalised>`` or
    ``phone:<E.164>``, as ``identity.identity_keys`` writes them); none for anything else. A
    number without a country code is read in ``region`` (ISO 3166 alpha-2; the default: US)."""
    value = address.strip()
    try:
        if "@" in value:
            return {f"email:{identity.normalise_email(value)}"}
        return {f"phone:{identity.normalise_phone(value, region=region)}"}
    except ValueError:
        return set()


def person_keys(identifier: str, *, region: str | None = None) -> set[str]:
    """The keys an export or erasure of ``identifier`` (an e-mail address or a phone) looks for.

    ``InvalidInput`` when it is neither."""
    keys = address_keys(identifier, region=region)
    if not keys:
        raise InvalidInput(f"{identifier!r} is neither an e-mail address nor a phone number")
    return keys


def lead_keys(lead: Lead) -> set[str]:
    """Every identity key of a lead (its e-mail, its phone, its source id)."""
    return set(identity.identity_keys(lead))


def lead_matches(lead: Lead, keys: Collection[str]) -> bool:
    return not lead_keys(lead).isdisjoint(keys)


def _contact_values(keys: Collection[str], leads: Iterable[Lead]) -> set[str]:
    """The person's normalised addresses and numbers (from their keys and their leads' keys)."""
    every = set(keys)
    for lead in leads:
        every |= lead_keys(lead)
    return {k.split(":", 1)[1] for k in every if k.startswith(("email:", "phone:"))}


# -- what is erased ------------------------------------------------------------------------------


@dataclass
class ErasureReport:
    """What ``Store.erase_person`` changed: the leads, and the rows per table."""

    workspace_id: str
    lead_ids: list[str] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(ERASED, 0))

    def as_json(self) -> dict[str, Any]:
        return {"workspace": self.workspace_id, "leads": list(self.lead_ids), "counts": dict(self.counts)}


_SEPARATORS = r"[\s\-.()/]*"
_LEAD_KEEP = frozenset({"industry", "source", "timezone", "consent"})
_FREE_TEXT = frozenset(
    {
        "text", "raw", "body", "html", "subject", "content", "summary", "from", "to", "sender",
        "recipients", "referral", "question", "answer", "snippet", "quote", "excerpt", "inquiry",
        "attributes", "note", "notes", "comment", "name", "first_name", "last_name", "full_name",
        "email", "phone", "title", "company", "address", "state", "lead", "source_lead_id", "matched",
        "linked", "elsewhere", "signal_used", "signal", "signals", "page", "pages", "url", "snippets",
    }
)  # fmt: skip
"""Keys of event, action and timer payloads whose values are replaced whole, whatever they hold."""
_CODES = frozenset(
    {
        "action", "agent", "channel", "intent", "kind", "type", "result", "route", "emit", "timer",
        "tier", "score", "stage", "status", "draft", "approach", "performative", "priority", "key",
        "provider_id", "event_id", "lead_id", "workspace_id", "correlation_id", "causation_id",
    }
)  # fmt: skip
"""Payload keys holding codes and ids, kept as they are: a name that happens to be a code word
(a Ms. Email, a Mr. Lost) must not turn ``channel: email`` into ``channel: [erased]``."""


class Redactor:
    """The redaction rules for one person: built from their keys and the leads found for them."""

    def __init__(self, keys: Collection[str], leads: Iterable[Lead] = ()) -> None:
        emails: set[str] = set()
        phones: set[str] = set()
        words: set[str] = set()
        ids: set[str] = set()
        for key in keys:
            kind, _, value = key.partition(":")
            if kind == "email":
                emails.add(value)
            elif kind == "phone":
                phones.add(value)
            elif kind == "src":  # src:<source>:<source lead id>: the id names the person at the source
                ids.add(value.partition(":")[2])
        for lead in leads:
            if lead.email:
                emails.add(str(lead.email))
            if lead.phone:
                phones.add(lead.phone)
            words |= {lead.first_name, lead.last_name, lead.full_name, lead.company or "", lead.title or ""}
            words.add(lead.company_domain or "")
            ids.add(lead.source_lead_id or "")
        words |= {i for i in ids if len(i) >= 4}  # a short id ("42") would scrub numbers everywhere
        self.emails = {e.lower() for e in emails if e}
        self.digits = _phone_digits(phones)
        patterns = [re.escape(e) for e in sorted(self.emails, key=len, reverse=True)]
        # a phone in any formatting: its digits with any separators between them
        patterns += [r"\+?" + _SEPARATORS.join(d) for d in sorted(self.digits, key=len, reverse=True)]
        names = sorted(
            (w.strip() for w in words if len(w.strip()) >= 2 and w.strip() != REDACTED), key=len, reverse=True
        )
        patterns += [r"(?<!\w)" + re.escape(w) + r"(?!\w)" for w in names]
        self._pattern = re.compile("|".join(patterns), re.IGNORECASE) if patterns else None

    # -- strings -----------------------------------------------------------------------------
    def text(self, value: str) -> str:
        """``value`` with the person's values (address, phone, names, company) replaced."""
        if self._pattern is None or not value:
            return value
        return self._pattern.sub(REDACTED, value)

    def mentions(self, raw: str) -> bool:
        """Whether ``raw`` (a rejected body) carries the person's e-mail address or phone number."""
        low = raw.lower()
        if any(e in low for e in self.emails):
            return True
        digits = re.sub(r"\D", "", raw)
        return any(d in digits for d in self.digits)

    def generic(self, value: Any, key: str | None = None) -> Any:
        """A payload of unknown shape: free-text keys replaced whole, other strings scrubbed."""
        if key is not None and key.lower() in _FREE_TEXT and value not in (None, "", [], {}):
            return REDACTED
        if isinstance(value, str):
            return value if key is not None and key.lower() in _CODES else self.text(value)
        if isinstance(value, list):
            return [self.generic(v, key) for v in value]
        if isinstance(value, dict):
            return {self.text(str(k)): self.generic(v, str(k)) for k, v in value.items()}
        return value

    # -- lead documents ----------------------------------------------------------------------
    def state(self, doc: dict[str, Any]) -> dict[str, Any]:
        """A lead document (``LeadState`` as JSON), redacted field by field."""
        return {k: self.field(k, v) for k, v in doc.items()}

    def patch(self, patch: dict[str, Any]) -> dict[str, Any]:
        """A ``lead.updated`` patch: the same field rules on what it sets and appends."""
        return {
            "set": {k: self.field(k, v) for k, v in (patch.get("set") or {}).items()},
            "append": {k: self.field(k, v) for k, v in (patch.get("append") or {}).items()},
            **{k: v for k, v in patch.items() if k not in ("set", "append")},
        }

    def field(self, key: str, value: Any) -> Any:
        """One top-level field of a lead document; a list item by item (appends redact alike)."""
        if value is None:
            return None
        item = _ITEMS.get(key)
        if item is not None and isinstance(value, list):
            return [item(self, v) for v in value]
        if key == "lead" and isinstance(value, dict):
            return self._lead(value)
        if key in ("qualification",):
            return {}
        if key in ("pending_question",):
            return None
        return value

    def _lead(self, doc: dict[str, Any]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for k, v in doc.items():
            if k in _LEAD_KEEP:
                out[k] = v
            elif k == "first_name":
                out[k] = REDACTED
            elif k == "last_name":
                out[k] = ""
            elif isinstance(v, dict):
                out[k] = {}
            elif isinstance(v, list):
                out[k] = []
            else:
                out[k] = None
        return out

    def _message(self, m: Any) -> Any:
        if not isinstance(m, dict):
            return REDACTED
        out = dict(m)
        out["body"] = REDACTED
        for k in ("to", "sender"):
            if k in out:
                out[k] = None
        if out.get("subject") is not None:
            out["subject"] = REDACTED
        for k in ("thread_id", "in_reply_to"):
            if isinstance(out.get(k), str):
                out[k] = self.text(out[k])
        return out

    def _step(self, s: Any) -> Any:
        if not isinstance(s, dict):
            return self.generic(s)
        return {**s, "result": self.text(str(s.get("result", "")))}

    def _escalation(self, e: Any) -> Any:
        if not isinstance(e, dict):
            return self.generic(e)
        return {**e, "summary": REDACTED, "reason": self.text(str(e.get("reason", "")))}

    def _signal(self, s: Any) -> Any:
        return {}

    # -- the other rows ----------------------------------------------------------------------
    def event(self, doc: dict[str, Any]) -> dict[str, Any]:
        """An event document (``Event`` as JSON)."""
        payload = doc.get("payload") or {}
        kind = doc.get("type")
        if kind == EventType.LEAD_CREATED and isinstance(payload.get("state"), dict):
            new = {**payload, "state": self.state(payload["state"])}
        elif kind == EventType.LEAD_UPDATED and isinstance(payload.get("patch"), dict):
            new = {**payload, "patch": self.patch(payload["patch"])}
        else:
            new = self.generic(payload)
        return {**doc, "payload": new}

    def action(self, doc: dict[str, Any]) -> dict[str, Any]:
        """An outbound action document (``OutboundAction`` as JSON)."""
        out = dict(doc)
        to = out.get("to")
        # an e-mail keeps its recipient's domain: the send caps per domain count it (as SQL's
        # ``domain`` column does); the sending mailbox (payload "from") is ours, and stays
        out["to"] = f"{REDACTED}@{to.rsplit('@', 1)[1]}" if isinstance(to, str) and "@" in to else None
        out["body"] = REDACTED if out.get("body") else out.get("body", "")
        if out.get("subject") is not None:
            out["subject"] = REDACTED
        payload = dict(out.get("payload") or {})
        sender = payload.pop("from", None)
        out["payload"] = self.generic(payload) | ({} if sender is None else {"from": sender})
        return out

    def timer(self, doc: dict[str, Any]) -> dict[str, Any]:
        """A timer document (``TimerSpec`` as JSON)."""
        return {
            **doc,
            "name": self.text(str(doc.get("name", ""))),
            "payload": self.generic(doc.get("payload") or {}),
        }

    def trace(self, doc: dict[str, Any]) -> dict[str, Any]:
        """A trace document (``TraceRecord`` as JSON): what the agent saw goes, what it decided is scrubbed."""
        out = dict(doc)
        if out.get("input_summary"):
            out["input_summary"] = REDACTED
        out["decision"] = self.text(str(out.get("decision", "")))
        # outputs are what the step emitted: event types and action keys, codes to keep
        if isinstance(out.get("error"), str):
            out["error"] = self.text(out["error"])
        return out


_ITEMS: dict[str, Callable[[Redactor, Any], Any]] = {
    "messages": Redactor._message,
    "agent_history": Redactor._step,
    "escalations": Redactor._escalation,
    "signals": Redactor._signal,
}


def _phone_digits(phones: Iterable[str]) -> set[str]:
    """The digit strings a phone appears as: international (E.164 without ``+``) and national."""
    out: set[str] = set()
    for phone in phones:
        raw = re.sub(r"\D", "", phone)
        if len(raw) >= 7:
            out.add(raw)
        try:
            parsed = phonenumbers.parse(phone, None if phone.strip().startswith("+") else "US")
        except phonenumbers.NumberParseException:
            continue
        national = str(parsed.national_number)
        out.add(f"{parsed.country_code}{national}")
        if len(national) >= 7:
            out.add(national)
    return out


def erased_state(redacted: LeadState, *, at: datetime) -> tuple[LeadState, Event]:
    """The lead after its erasure (do not contact, one version on) and the ``lead.updated`` event
    that records the step in the log, so a replay of the redacted log ends in this state."""
    final = redacted.model_copy(
        update={"stage": Stage.DO_NOT_CONTACT, "version": redacted.version + 1, "updated_at": at}
    )
    return final, lead_updated_event(redacted, final, cause=None)


# -- rows as JSON, for an export -----------------------------------------------------------------


def action_json(r: ActionRow) -> dict[str, Any]:
    return {
        "seq": r.seq,
        "lead_id": r.lead_id,
        "status": r.status,
        "attempts": r.attempts,
        "created_at": r.created_at.isoformat(),
        "detail": r.detail,
        "action": r.action.model_dump(mode="json"),
    }


def timer_json(r: TimerRow) -> dict[str, Any]:
    return {"seq": r.seq, "lead_id": r.lead_id, "status": r.status, "timer": r.spec.model_dump(mode="json")}


def dead_json(d: DeadLetter) -> dict[str, Any]:
    return {
        "id": d.id,
        "lead_id": d.lead_id,
        "event_id": d.event.id,
        "consumer": d.consumer,
        "error": d.error,
        "attempts": d.attempts,
        "at": d.at.isoformat(),
        "status": d.status,
    }


def reject_json(r: Reject) -> dict[str, Any]:
    return {"id": r.id, "source": r.source, "raw": r.raw, "error": r.error, "at": r.at.isoformat()}


def suppression_json(address: str, reason: str) -> dict[str, Any]:
    return {"address": address, "reason": reason}


def booking_json(calendar: str, start: datetime, lead_id: str) -> dict[str, Any]:
    return {"calendar": calendar, "start": start.isoformat(), "lead_id": lead_id}


def personal_addresses(keys: Collection[str], leads: Iterable[Lead]) -> set[str]:
    """The suppression rows that name this person: the stored (normalised) form of each of their
    addresses and numbers, and their leads' raw lower-cased spellings (rows written before
    normalisation). Domain-wide rows are not the person's and stay."""
    leads = list(leads)
    out = {identity.suppression_key(v) for v in _contact_values(keys, leads)}
    for lead in leads:
        out |= {str(v).lower() for v in (lead.email, lead.phone) if v}
    return out


def erasure_suppressions(salt: str, keys: Collection[str], leads: Iterable[Lead]) -> set[str]:
    """The hashed suppression rows an erasure leaves: one per address and number of the person,
    the very rows ``identity.suppression_keys(value, salt=...)`` looks for."""
    return {hashed_key(salt, identity.suppression_key(v)) for v in _contact_values(keys, leads)}
