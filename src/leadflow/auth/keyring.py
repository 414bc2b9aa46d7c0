"""``KeyRing``: create, list, revoke and check API keys, with a short cache of verified keys.

Checking a key costs an argon2 verify (a few ms) and a read; a key that verified is cached for
``ttl`` seconds under the SHA-256 of the presented key (never the key itself), so a busy webhook
source pays that once per ``ttl``. Revoking through a ``KeyRing`` clears its cache at once; a
key revoked from another process stops working here within ``ttl`` seconds.
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from weakref import WeakKeyDictionary

from leadflow.auth._backends import auth_store_for
from leadflow.auth.audit import audit
from leadflow.auth.base import AuthStore
from leadflow.auth.keys import (
    ApiKey,
    Role,
    format_key,
    hash_secret,
    new_key_id,
    new_secret,
    parse_key,
    valid_key_id,
    verify_secret,
)
from leadflow.exceptions import InvalidInput, NotFound
from leadflow.state.base import Store

_WORKSPACE_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-")


def check_workspace(workspace: str) -> str:
    """A workspace id as keys and headers use it: 1-64 letters, digits, '_', '-' or '.'."""
    if not 1 <= len(workspace) <= 64 or not set(workspace) <= _WORKSPACE_CHARS or workspace[0] in "_.-":
        raise InvalidInput(f"invalid workspace id {workspace!r}: use 1-64 letters, digits, '_', '-' or '.'")
    return workspace


@dataclass(frozen=True)
class Verdict:
    """What checking a presented key found.

    ``key`` is the valid key (``None`` when refused); ``claimed`` the stored key whose id the
    presented one names, valid or not (so a refusal can be logged in that key's workspace);
    ``reason`` ``ok``, ``malformed``, ``unknown``, ``revoked`` or ``wrong secret``.
    """

    key: ApiKey | None
    claimed: ApiKey | None
    reason: str


class KeyRing:
    """API keys over an ``AuthStore``; every create and revoke is written to the audit log."""

    MAX_CACHED = 4096

    def __init__(self, store: Store, *, ttl: float = 10.0, monotonic: Callable[[], float] = time.monotonic,
                 now: Callable[[], datetime] = lambda: datetime.now(UTC)) -> None:
        self.store = store
        self.auth: AuthStore = auth_store_for(store)
        self.ttl = ttl
        self._monotonic = monotonic
        self._now = now
        self._lock = threading.Lock()
        self._cache: dict[bytes, tuple[ApiKey, float]] = {}

    def create(self, workspace: str, role: Role | str, *, name: str = "", actor: str) -> tuple[ApiKey, str]:
        """A new key for ``workspace``: the stored record and the key itself (shown once, kept nowhere)."""
        role = role if isinstance(role, Role) else Role.parse(role)
        check_workspace(workspace)
        key_id, secret = new_key_id(), new_secret()
        record = ApiKey(key_id=key_id, workspace_id=workspace, role=role, name=name.strip()[:100],
                        secret_hash=hash_secret(secret), created_at=self._now())
        self.auth.add_key(record)
        audit(self.store, actor=actor, action="key.create", workspace=workspace, target=("key", key_id),
              detail=f"role {role.value}")
        return record, format_key(key_id, secret)

    def list(self, workspace: str | None = None) -> list[ApiKey]:
        return self.auth.list_keys(workspace)

    def revoke(self, key_id: str, *, actor: str) -> ApiKey:
        """Revoke a key (kept as revoked); ``NotFound`` for an unknown id."""
        found = self.auth.revoke_key(key_id, self._now()) if valid_key_id(key_id) else None
        if found is None:
            raise NotFound(f"no API key {key_id!r}")
        with self._lock:
            self._cache = {h: entry for h, entry in self._cache.items() if entry[0].key_id != key_id}
        audit(self.store, actor=actor, action="key.revoke", workspace=found.workspace_id, target=("key", key_id))
        return found

    def check(self, presented: str) -> Verdict:
        """Whether ``presented`` is a live key (see ``Verdict``)."""
        digest = hashlib.sha256(presented.encode("utf-8", "surrogatepass")).digest()
        now = self._monotonic()
        with self._lock:
            cached = self._cache.get(digest)
        if cached is not None and cached[1] > now:
            return Verdict(cached[0], cached[0], "ok")
        parsed = parse_key(presented)
        if parsed is None:
            return Verdict(None, None, "malformed")
        key_id, secret = parsed
        stored = self.auth.get_key(key_id)
        if stored is None:
            return Verdict(None, None, "unknown")
        if not verify_secret(stored.secret_hash, secret):
            return Verdict(None, stored, "wrong secret")
        if stored.revoked:
            return Verdict(None, stored, "revoked")
        self.auth.touch_key(key_id, self._now())
        with self._lock:
            if len(self._cache) >= self.MAX_CACHED:
                self._cache.clear()
            self._cache[digest] = (stored, now + self.ttl)
        return Verdict(stored, stored, "ok")


_LOCK = threading.Lock()
_RINGS: WeakKeyDictionary[Store, KeyRing] = WeakKeyDictionary()


def keyring_for(store: Store) -> KeyRing:
    """The process's one ``KeyRing`` over ``store`` (so a revoke clears the cache the API reads)."""
    with _LOCK:
        ring = _RINGS.get(store)
        if ring is None:
            ring = _RINGS[store] = KeyRing(store)
        return ring
