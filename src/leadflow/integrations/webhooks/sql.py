"""``SqlSecretStore``: webhook secrets in the lead store's own database (table ``webhook_secrets``, migration 0008).

It shares the ``SqlStore``'s engine; on SQLite its writes take the same ``BEGIN IMMEDIATE``
the store's do (the engine's begin hook) and wait their turn.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, Engine, insert, select, update
from sqlalchemy.exc import IntegrityError

from leadflow.exceptions import Conflict
from leadflow.integrations.webhooks.base import SecretStore, WebhookSecret
from leadflow.state import schema as t


def _utc(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _secret(row: Any) -> WebhookSecret:
    created = _utc(row.created_at)
    assert created is not None  # NOT NULL
    return WebhookSecret(secret_id=row.secret_id, workspace_id=row.workspace_id, source=row.source,
                         secret=row.secret, format=row.format, created_at=created,
                         revoked_at=_utc(row.revoked_at))


class SqlSecretStore(SecretStore):
    """The ``webhook_secrets`` table on ``engine``."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def _read(self) -> Connection:
        return self.engine.connect().execution_options(leadflow_read=True)

    def add_secret(self, secret: WebhookSecret) -> None:
        try:
            with self.engine.begin() as conn:
                conn.execute(insert(t.webhook_secrets).values(
                    secret_id=secret.secret_id, workspace_id=secret.workspace_id, source=secret.source,
                    secret=secret.secret, format=secret.format, created_at=_utc(secret.created_at),
                    revoked_at=_utc(secret.revoked_at)))
        except IntegrityError:
            raise Conflict(f"webhook secret id {secret.secret_id} exists") from None

    def list_secrets(self, workspace_id: str, source: str | None = None, *,
                     include_revoked: bool = False) -> list[WebhookSecret]:
        c = t.webhook_secrets.c
        q = select(t.webhook_secrets).where(c.workspace_id == workspace_id)
        if source is not None:
            q = q.where(c.source == source)
        if not include_revoked:
            q = q.where(c.revoked_at.is_(None))
        with self._read() as conn:
            rows = conn.execute(q.order_by(c.created_at, c.secret_id)).all()
        return [_secret(r) for r in rows]

    def revoke_secret(self, workspace_id: str, secret_id: str, at: datetime) -> bool:
        c = t.webhook_secrets.c
        with self.engine.begin() as conn:
            res = conn.execute(update(t.webhook_secrets)
                               .where(c.secret_id == secret_id, c.workspace_id == workspace_id,
                                      c.revoked_at.is_(None))
                               .values(revoked_at=_utc(at)))
        return bool(res.rowcount)
