"""``MemorySecretStore``: webhook secrets in a dict, beside a ``MemoryStore`` (the reference backend)."""

from __future__ import annotations

import threading
from dataclasses import replace
from datetime import datetime

from leadflow.exceptions import Conflict
from leadflow.integrations.webhooks.base import SecretStore, WebhookSecret


class MemorySecretStore(SecretStore):
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._secrets: dict[str, WebhookSecret] = {}

    def add_secret(self, secret: WebhookSecret) -> None:
        with self._lock:
            if secret.secret_id in self._secrets:
                raise Conflict(f"webhook secret id {secret.secret_id} exists")
            self._secrets[secret.secret_id] = secret

    def list_secrets(self, workspace_id: str, source: str | None = None, *,
                     include_revoked: bool = False) -> list[WebhookSecret]:
        with self._lock:
            found = [s for s in self._secrets.values() if s.workspace_id == workspace_id
                     and (source is None or s.source == source) and (include_revoked or s.active)]
        return sorted(found, key=lambda s: (s.created_at, s.secret_id))

    def revoke_secret(self, workspace_id: str, secret_id: str, at: datetime) -> bool:
        with self._lock:
            secret = self._secrets.get(secret_id)
            if secret is None or secret.workspace_id != workspace_id or not secret.active:
                return False
            self._secrets[secret_id] = replace(secret, revoked_at=at)
            return True
