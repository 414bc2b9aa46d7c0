"""Webhook authenticity: the verifier interface, the stored secrets' interface and the refusal.

A ``WebhookVerifier`` checks one documented signature format (the generic
``X-Leadflow-Signature`` in ``generic``; the integrations add e.g. SendGrid's or HubSpot's
beside it, one class each). It knows nothing of the store: it gets the request's headers,
its raw body, the source's secrets and the time, and says which signed timestamp it accepted
or raises ``WebhookRefused``. Replays are refused by ``guard.WebhookGuard``, which remembers
every accepted signature in the store for as long as it is inside the tolerance window.

Secrets live in a ``SecretStore`` beside the lead store (``memory`` for tests, ``sql`` on the
store's database); ``secret_store_for`` picks the one that matches a lead store.
"""

from __future__ import annotations

import abc
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import ClassVar

from leadflow.exceptions import AuthFailed


class WebhookRefused(AuthFailed):
    """A webhook request is unsigned, wrongly signed, stale or replayed (HTTP 401).

    ``reason`` is one word for the audit log and metrics: ``missing``, ``malformed``,
    ``mismatch``, ``stale``, ``replayed`` or ``no_secret`` (signatures are required and the
    source has none).
    """

    def __init__(self, message: str, *, reason: str) -> None:
        super().__init__(message)
        self.reason = reason


@dataclass(frozen=True)
class Verified:
    """What a verifier accepted: the signed timestamp (unix seconds) and the id of the secret."""

    timestamp: int
    secret_id: str


@dataclass(frozen=True)
class WebhookSecret:
    """One signing secret of a workspace's webhook source.

    The secret is kept in the clear (an HMAC needs it; unlike an API key it cannot be hashed);
    ``format`` names the verifier that checks requests signed with it (``leadflow`` by default).
    A source may hold several active secrets at once while a sender rotates from one to the next.
    """

    secret_id: str
    workspace_id: str
    source: str
    secret: str = field(repr=False)
    created_at: datetime
    format: str = "leadflow"
    revoked_at: datetime | None = None

    @property
    def active(self) -> bool:
        return self.revoked_at is None


class WebhookVerifier(abc.ABC):
    """One documented signature format."""

    format: ClassVar[str]
    """The name secrets refer to (``WebhookSecret.format``)."""

    header: ClassVar[str]
    """The header that carries the signature (its absence is ``reason="missing"``)."""

    @abc.abstractmethod
    def verify(self, headers: Mapping[str, str], body: bytes, secrets: Sequence[WebhookSecret], *,
               now: float, tolerance: float) -> Verified:
        """Accept a request signed with one of ``secrets`` at a time within ``tolerance`` seconds
        of ``now``, or raise ``WebhookRefused``. Compares in constant time. ``headers`` is
        case-insensitive (Starlette's ``Headers`` or any mapping with lower-case keys)."""


class SecretStore(abc.ABC):
    """Where the webhook secrets are kept. Every backend passes ``tests/contracts/webhook_secrets_contract.py``."""

    @abc.abstractmethod
    def add_secret(self, secret: WebhookSecret) -> None:
        """Keep a new secret; ``Conflict`` when its id is taken."""

    @abc.abstractmethod
    def list_secrets(self, workspace_id: str, source: str | None = None, *,
                     include_revoked: bool = False) -> list[WebhookSecret]:
        """The workspace's secrets (of one source, if given), oldest first."""

    @abc.abstractmethod
    def revoke_secret(self, workspace_id: str, secret_id: str, at: datetime) -> bool:
        """Revoke one of the workspace's secrets; False when it has no such active secret."""
