"""Who may do what: API keys per workspace with roles, and the audit log of what was done.

``KeyRing`` creates, lists, revokes and checks keys (``leadflow keys``, the API); ``audit()``
writes one entry of the audit log (``leadflow audit`` reads it). Both keep their rows beside
the lead store (``auth_store_for``): memory beside ``MemoryStore``, the store's database
beside ``SqlStore``.
"""

from __future__ import annotations

from leadflow.auth._backends import auth_store_for
from leadflow.auth.audit import audit, cli_actor
from leadflow.auth.base import AuditEntry, AuthStore
from leadflow.auth.keyring import KeyRing, Verdict, check_workspace, keyring_for
from leadflow.auth.keys import PERMISSIONS, ApiKey, Principal, Role, allows

__all__ = [
    "PERMISSIONS",
    "ApiKey",
    "AuditEntry",
    "AuthStore",
    "KeyRing",
    "Principal",
    "Role",
    "Verdict",
    "allows",
    "audit",
    "auth_store_for",
    "check_workspace",
    "cli_actor",
    "keyring_for",
]
