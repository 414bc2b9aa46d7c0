"""Counting outbound sends per sending mailbox and per recipient domain, for caps and rotation.

The store keeps, beside each outbox row, the mailbox it goes from (``payload["from"]``) and the
recipient's domain (an email address's part after ``@``), both lower-cased. ``Store.send_counts``
counts rows by those keys over a time range; a row's *send time* is its ``not_before`` or, when it
was due at once, its ``created_at``. Only rows that went out (``sent``) or may still go out
(``pending``) count: a suppressed or failed send used no capacity.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from leadflow.domain.actions import ActionKind, OutboundAction
from leadflow.exceptions import InvalidInput

#: Outbox statuses that use capacity, and the field of :class:`SendCounts` each counts toward.
COUNTED_STATUSES = ("pending", "sent")


@dataclass(frozen=True)
class SendCounts:
    """Sends in one range for one mailbox or domain.

    Attributes:
        sent: Rows already sent.
        scheduled: Rows still pending (due or planned for later).
        first: The earliest send time among them, ``None`` when there are none.
    """

    sent: int = 0
    scheduled: int = 0
    first: datetime | None = None

    @property
    def total(self) -> int:
        return self.sent + self.scheduled


@dataclass(frozen=True)
class SendChange:
    """One committed change to a mailbox's or domain's counts: at send time ``at``, ``sent`` and
    ``scheduled`` moved by these amounts (a new pending send is ``(0, +1)``, one that went out
    ``(+1, -1)``, a cancelled or suppressed one ``(0, -1)``; a postponed one is two changes)."""

    at: datetime
    sent: int = 0
    scheduled: int = 0


def send_keys(action: OutboundAction) -> tuple[str | None, str | None]:
    """(mailbox, recipient domain) of an outbound email, lower-cased; ``(None, None)`` otherwise."""
    if action.kind is not ActionKind.SEND_EMAIL:
        return None, None
    mailbox = str(action.payload.get("from") or "").strip().lower()
    to = action.to or ""
    domain = to.rsplit("@", 1)[-1].strip().lower() if "@" in to else ""
    return mailbox or None, domain or None


def check_keys(
    mailbox: str | None, domain: str | None, since: datetime | None, until: datetime | None
) -> None:
    """Refuse a count that names neither key, or a range given in naive times."""
    if not mailbox and not domain:
        raise InvalidInput("send_counts needs a mailbox or a domain")
    for name, value in (("since", since), ("until", until)):
        if value is not None and value.tzinfo is None:
            raise InvalidInput(f"send_counts: {name} must be timezone-aware, got {value.isoformat()}")


def patch_first(first: datetime | None, changes: list[SendChange]) -> tuple[bool, datetime | None]:
    """The earliest send time after ``changes``: ``(True, first)``, or ``(False, None)`` when that
    can't be known without reading again (the earliest send was removed)."""
    for change in changes:
        net = change.sent + change.scheduled
        if net > 0:
            first = change.at if first is None else min(first, change.at)
        elif net < 0 and (first is None or change.at <= first):
            return False, None
    return True, first
