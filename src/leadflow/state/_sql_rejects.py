"""``SqlStore``'s rejects: bounded on insert (``state.rejects``), in the caller's write transaction."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, delete, func, insert, select, update

from leadflow.state import schema as t
from leadflow.state._sql_commit import db_time, utc
from leadflow.state.records import Reject
from leadflow.state.rejects import RejectLimits, bound, counted_error

_c = t.rejects.c


def add_reject(conn: Connection, workspace_id: str, source: str, raw: str, error: str, at: datetime,
               limits: RejectLimits) -> int:
    """Keep one reject within ``limits``; the id of the row that holds it (a counting row past the burst)."""
    since = db_time(at - limits.window)
    mine = (_c.workspace_id == workspace_id, _c.source == source, _c.at >= since)
    recent = conn.execute(select(func.count()).select_from(t.rejects).where(*mine, _c.count.is_(None))).scalar()
    if int(recent or 0) >= limits.burst:
        row = conn.execute(select(_c.id, _c.count).where(*mine, _c.count.is_not(None))
                           .order_by(_c.id.desc()).limit(1)).first()
        if row is not None:
            count = int(row._mapping["count"]) + 1  # by name: ``Row.count`` is also tuple's method
            conn.execute(update(t.rejects).where(_c.id == row.id).values(
                count=count, at=db_time(at), error=counted_error(count, source, limits, error)))
            return int(row.id)
        body, size, digest, count_ = "", len(raw.encode()), "", 1
        error = counted_error(1, source, limits, error)
    else:
        kept = bound(raw, limits)
        body, size, digest, count_ = kept.text, kept.size, kept.sha256, None
    res = conn.execute(insert(t.rejects).values(workspace_id=workspace_id, source=source, raw=body, error=error,
                                                at=db_time(at), size=size, sha256=digest, count=count_))
    key = res.inserted_primary_key
    assert key is not None  # an INSERT's result
    _prune(conn, workspace_id, at, limits)
    return int(key[0])


def _prune(conn: Connection, workspace_id: str, at: datetime, limits: RejectLimits) -> None:
    """Drop the workspace's rejects past ``keep`` (the oldest) and older than ``max_age``."""
    edge = conn.execute(select(_c.id).where(_c.workspace_id == workspace_id).order_by(_c.id.desc())
                        .offset(limits.keep).limit(1)).scalar()
    if edge is not None:
        conn.execute(delete(t.rejects).where(_c.workspace_id == workspace_id, _c.id <= edge))
    conn.execute(delete(t.rejects).where(_c.workspace_id == workspace_id, _c.at < db_time(at - limits.max_age)))


def reject_of(row: Any) -> Reject:
    at = utc(row.at) or row.at
    return Reject(row.id, row.workspace_id, row.source, row.raw, row.error, at,
                  size=len(row.raw.encode()) if row.size is None else int(row.size),  # rows from before 0008
                  sha256=row.sha256 or "", count=_count(row))


def _count(row: Any) -> int | None:
    value = row._mapping["count"]  # by name: ``Row.count`` is also tuple's method
    return None if value is None else int(value)


def list_rejects(conn: Connection, workspace_id: str) -> list[Reject]:
    q = select(t.rejects).where(_c.workspace_id == workspace_id).order_by(_c.id)
    return [reject_of(r) for r in conn.execute(q)]
