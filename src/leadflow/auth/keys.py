"""API keys: the key model, the roles and what each may do, and generating, hashing and checking keys.

A key reads ``lf_<key_id>_<secret>``. The key id is stored in the clear and looked up; the
secret is random (``secrets.token_urlsafe``) and only its argon2 hash is kept, so a stolen
database does not hand out working keys. A key belongs to one workspace: the workspace of
every request it makes is the key's, whatever the request says.

::

    admin    everything (and, on the command line, keys and the audit log)
    member   read and write leads, replies and outcomes
    viewer   read only
    ingest   only POST /v1/leads and POST /v1/replies (a webhook source)
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from leadflow.exceptions import InvalidInput


class Role(StrEnum):
    ADMIN = "admin"
    MEMBER = "member"
    VIEWER = "viewer"
    INGEST = "ingest"

    @classmethod
    def parse(cls, value: str) -> Role:
        try:
            return cls(value.strip().lower())
        except ValueError:
            names = ", ".join(r.value for r in cls)
            raise InvalidInput(f"unknown role {value!r}: use one of {names}") from None


LEADS_READ = "leads:read"
LEADS_WRITE = "leads:write"
REPLIES_WRITE = "replies:write"
OUTCOMES_WRITE = "outcomes:write"
AGENTS_READ = "agents:read"
SERVICE_READ = "service:read"
"""The service's own documents: /metrics, /docs, /redoc, /openapi.json (any key)."""
KEYS_MANAGE = "keys:manage"
AUDIT_READ = "audit:read"
CAMPAIGNS_READ = "campaigns:read"
CAMPAIGNS_WRITE = "campaigns:write"

PERMISSIONS: dict[Role, frozenset[str]] = {
    Role.ADMIN: frozenset({LEADS_READ, LEADS_WRITE, REPLIES_WRITE, OUTCOMES_WRITE, AGENTS_READ, SERVICE_READ,
                           KEYS_MANAGE, AUDIT_READ, CAMPAIGNS_READ, CAMPAIGNS_WRITE}),
    Role.MEMBER: frozenset({LEADS_READ, LEADS_WRITE, REPLIES_WRITE, OUTCOMES_WRITE, AGENTS_READ, SERVICE_READ,
                            CAMPAIGNS_READ, CAMPAIGNS_WRITE}),
    Role.VIEWER: frozenset({LEADS_READ, AGENTS_READ, SERVICE_READ, CAMPAIGNS_READ}),
    Role.INGEST: frozenset({LEADS_WRITE, REPLIES_WRITE, SERVICE_READ}),
}
"""What each role may do; a route names the one permission it needs."""


def allows(role: Role, permission: str) -> bool:
    return permission in PERMISSIONS[role]


@dataclass(frozen=True)
class ApiKey:
    """A stored key: everything but the secret (``secret_hash`` is its argon2 hash)."""

    key_id: str
    workspace_id: str
    role: Role
    name: str
    secret_hash: str = field(repr=False)
    created_at: datetime
    last_used_at: datetime | None = None
    revoked_at: datetime | None = None

    @property
    def revoked(self) -> bool:
        return self.revoked_at is not None


@dataclass(frozen=True)
class Principal:
    """Who is making a request: a key (its id, workspace and role), or the insecure local mode."""

    workspace: str
    role: Role
    key_id: str | None = None

    @property
    def actor(self) -> str:
        """How the audit log names this principal: ``key:<id>``, or ``insecure``."""
        return f"key:{self.key_id}" if self.key_id else "insecure"

    def can(self, permission: str) -> bool:
        return allows(self.role, permission)


PREFIX = "lf"
_KEY = re.compile(r"^lf_([0-9a-f]{16})_([A-Za-z0-9_-]{32,128})$")
_KEY_ID = re.compile(r"^[0-9a-f]{16}$")

# A secret is 256 random bits, not a password: argon2 here guards a stolen database, so a verify
# may be cheap (about 5 ms and 8 MiB); verified keys are cached briefly besides (see ``keyring``).
_HASHER = PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1)


def new_key_id() -> str:
    return secrets.token_hex(8)


def new_secret() -> str:
    return secrets.token_urlsafe(32)


def format_key(key_id: str, secret: str) -> str:
    return f"{PREFIX}_{key_id}_{secret}"


def parse_key(presented: str) -> tuple[str, str] | None:
    """``(key_id, secret)`` of a well-formed key, else ``None``."""
    match = _KEY.match(presented.strip())
    return (match.group(1), match.group(2)) if match else None


def valid_key_id(key_id: str) -> bool:
    return bool(_KEY_ID.match(key_id))


def hash_secret(secret: str) -> str:
    return _HASHER.hash(secret)


def verify_secret(secret_hash: str, secret: str) -> bool:
    """Whether ``secret`` matches the stored hash (constant-time inside argon2)."""
    try:
        return _HASHER.verify(secret_hash, secret)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False
