"""The ``AuthStore`` interface: where API keys and the audit log are kept.

Backends sit beside it, one module each: ``memory`` (the reference, for tests) and ``sql``
(SQLite and PostgreSQL, on the store's own database). One contract suite in
``tests/contracts/auth_contract.py`` runs against every backend. ``keyring.auth_store_for``
picks the backend that matches a lead store.
"""

from __future__ import annotations

import abc
from dataclasses import dataclass
from datetime import datetime

from leadflow.auth.keys import ApiKey


@dataclass(frozen=True)
class AuditEntry:
    """One line of the audit log: who did what to which object of a workspace, when, and how it went.

    ``actor`` is ``key:<key id>``, ``cli:<os user>`` or ``insecure``; ``role`` the key's role (if
    any); ``action`` a dotted verb (``lead.create``, ``key.revoke``, ``auth.refused``);
    ``target_kind``/``target_id`` the object (``lead``/``L-1``, ``key``/``<id>``); ``result``
    ``ok``, ``duplicate``, ``refused``, ``not_found``, ``invalid`` or ``error``.
    """

    workspace_id: str
    at: datetime
    actor: str
    action: str
    result: str
    role: str | None = None
    target_kind: str | None = None
    target_id: str | None = None
    detail: str | None = None
    id: int = 0


class AuthStore(abc.ABC):
    """API keys (hashed) and the append-only audit log."""

    # -- keys ----------------------------------------------------------------------
    @abc.abstractmethod
    def add_key(self, key: ApiKey) -> None:
        """Store a new key (its id is unique)."""

    @abc.abstractmethod
    def get_key(self, key_id: str) -> ApiKey | None:
        """The key with this id, revoked or not, or ``None``."""

    @abc.abstractmethod
    def list_keys(self, workspace_id: str | None = None) -> list[ApiKey]:
        """A workspace's keys (every workspace's for ``None``), oldest first."""

    @abc.abstractmethod
    def revoke_key(self, key_id: str, at: datetime) -> ApiKey | None:
        """Mark the key revoked (kept, for the log); the key as now stored, or ``None`` if unknown.

        Revoking a revoked key keeps its first revocation time."""

    @abc.abstractmethod
    def touch_key(self, key_id: str, at: datetime) -> None:
        """Record that the key was used at ``at``."""

    # -- audit log -----------------------------------------------------------------
    @abc.abstractmethod
    def append_audit(self, entry: AuditEntry) -> int:
        """Append an entry; its id (ids grow with time)."""

    @abc.abstractmethod
    def list_audit(self, workspace_id: str, *, limit: int = 100) -> list[AuditEntry]:
        """The workspace's latest ``limit`` entries, newest first."""
