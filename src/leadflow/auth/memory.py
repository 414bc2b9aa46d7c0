"""The in-memory ``AuthStore``: the reference backend, beside a ``MemoryStore``."""

from __future__ import annotations

import threading
from dataclasses import replace
from datetime import datetime

from leadflow.auth.base import AuditEntry, AuthStore
from leadflow.auth.keys import ApiKey
from leadflow.exceptions import Conflict


class MemoryAuthStore(AuthStore):
    """Keys and audit entries in a dict and a list behind one lock."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._keys: dict[str, ApiKey] = {}
        self._audit: list[AuditEntry] = []

    def add_key(self, key: ApiKey) -> None:
        with self._lock:
            if key.key_id in self._keys:
                raise Conflict(f"key id {key.key_id} exists")
            self._keys[key.key_id] = key

    def get_key(self, key_id: str) -> ApiKey | None:
        with self._lock:
            return self._keys.get(key_id)

    def list_keys(self, workspace_id: str | None = None) -> list[ApiKey]:
        with self._lock:
            keys = [k for k in self._keys.values() if workspace_id is None or k.workspace_id == workspace_id]
        return sorted(keys, key=lambda k: (k.created_at, k.key_id))

    def revoke_key(self, key_id: str, at: datetime) -> ApiKey | None:
        with self._lock:
            key = self._keys.get(key_id)
            if key is None:
                return None
            if key.revoked_at is None:
                key = self._keys[key_id] = replace(key, revoked_at=at)
            return key

    def touch_key(self, key_id: str, at: datetime) -> None:
        with self._lock:
            key = self._keys.get(key_id)
            if key is not None:
                self._keys[key_id] = replace(key, last_used_at=at)

    def append_audit(self, entry: AuditEntry) -> int:
        with self._lock:
            entry = replace(entry, id=len(self._audit) + 1)
            self._audit.append(entry)
            return entry.id

    def list_audit(self, workspace_id: str, *, limit: int = 100) -> list[AuditEntry]:
        with self._lock:
            mine = [e for e in self._audit if e.workspace_id == workspace_id]
        return mine[::-1][:max(limit, 0)]
