"""``SqlAuthStore``: keys and the audit log in the lead store's own database (SQLite or PostgreSQL).

It shares the ``SqlStore``'s engine, so keys live and move with the data they open; on SQLite
its writes take the same ``BEGIN IMMEDIATE`` the store's do (the engine's begin hook) and wait
their turn.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, Engine, insert, select, update
from sqlalchemy.exc import IntegrityError

from leadflow.auth.base import AuditEntry, AuthStore
from leadflow.auth.keys import ApiKey, Role
from leadflow.exceptions import Conflict
from leadflow.state import schema as t


def _utc(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _key(row: Any) -> ApiKey:
    created = _utc(row.created_at)
    assert created is not None  # NOT NULL
    return ApiKey(key_id=row.key_id, workspace_id=row.workspace_id, role=Role(row.role), name=row.name,
                  secret_hash=row.secret_hash, created_at=created, last_used_at=_utc(row.last_used_at),
                  revoked_at=_utc(row.revoked_at))


class SqlAuthStore(AuthStore):
    """The ``api_keys`` and ``audit_log`` tables (migration 0006) on ``engine``."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def _read(self) -> Connection:
        return self.engine.connect().execution_options(leadflow_read=True)

    def add_key(self, key: ApiKey) -> None:
        try:
            with self.engine.begin() as conn:
                conn.execute(insert(t.api_keys).values(
                    key_id=key.key_id, workspace_id=key.workspace_id, name=key.name, role=key.role.value,
                    secret_hash=key.secret_hash, created_at=_utc(key.created_at),
                    last_used_at=_utc(key.last_used_at), revoked_at=_utc(key.revoked_at)))
        except IntegrityError:
            raise Conflict(f"key id {key.key_id} exists") from None

    def get_key(self, key_id: str) -> ApiKey | None:
        with self._read() as conn:
            row = conn.execute(select(t.api_keys).where(t.api_keys.c.key_id == key_id)).first()
        return None if row is None else _key(row)

    def list_keys(self, workspace_id: str | None = None) -> list[ApiKey]:
        q = select(t.api_keys).order_by(t.api_keys.c.created_at, t.api_keys.c.key_id)
        if workspace_id is not None:
            q = q.where(t.api_keys.c.workspace_id == workspace_id)
        with self._read() as conn:
            return [_key(r) for r in conn.execute(q)]

    def revoke_key(self, key_id: str, at: datetime) -> ApiKey | None:
        c = t.api_keys.c
        with self.engine.begin() as conn:
            conn.execute(update(t.api_keys).where(c.key_id == key_id, c.revoked_at.is_(None))
                         .values(revoked_at=_utc(at)))
            row = conn.execute(select(t.api_keys).where(c.key_id == key_id)).first()
        return None if row is None else _key(row)

    def touch_key(self, key_id: str, at: datetime) -> None:
        with self.engine.begin() as conn:
            conn.execute(update(t.api_keys).where(t.api_keys.c.key_id == key_id).values(last_used_at=_utc(at)))

    def append_audit(self, entry: AuditEntry) -> int:
        with self.engine.begin() as conn:
            res = conn.execute(insert(t.audit_log).values(
                workspace_id=entry.workspace_id, at=_utc(entry.at), actor=entry.actor[:200], role=entry.role,
                action=entry.action[:64], target_kind=entry.target_kind and entry.target_kind[:32],
                target_id=entry.target_id and entry.target_id[:200], result=entry.result[:32],
                detail=entry.detail))
            key = res.inserted_primary_key
            assert key is not None  # an INSERT's result
            return int(key[0])

    def list_audit(self, workspace_id: str, *, limit: int = 100) -> list[AuditEntry]:
        c = t.audit_log.c
        q = select(t.audit_log).where(c.workspace_id == workspace_id).order_by(c.id.desc()).limit(max(limit, 0))
        with self._read() as conn:
            rows = list(conn.execute(q))
        out = []
        for r in rows:
            at = _utc(r.at)
            assert at is not None  # NOT NULL
            out.append(AuditEntry(id=int(r.id), workspace_id=r.workspace_id, at=at, actor=r.actor, role=r.role,
                                  action=r.action, target_kind=r.target_kind, target_id=r.target_id,
                                  result=r.result, detail=r.detail))
        return out
