"""The transcript channel: delivers to a local SQLite file instead of the outside world.

It is the embedded default and what the demo and crash tests use. It goes through exactly
the path real channels use. ``attempts`` counts every call, ``deliveries`` holds what was
actually delivered, once per idempotency key.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Collection
from datetime import UTC, datetime
from pathlib import Path

from leadflow.domain.actions import OutboundAction
from leadflow.integrations.channels.base import Receipt

_SCHEMA = """
CREATE TABLE IF NOT EXISTS deliveries (
  key TEXT PRIMARY KEY, workspace_id TEXT NOT NULL, lead_id TEXT NOT NULL, kind TEXT NOT NULL,
  recipient TEXT, subject TEXT, body TEXT NOT NULL, delivered_at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS attempts (n INTEGER PRIMARY KEY AUTOINCREMENT, key TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS attachments (key TEXT NOT NULL, n INTEGER NOT NULL, filename TEXT NOT NULL,
  content_type TEXT NOT NULL, content TEXT NOT NULL, PRIMARY KEY (key, n));
"""


class TranscriptChannel:
    name = "transcript"

    def __init__(self, path: str | Path = ":memory:") -> None:
        self.path = str(path)
        self._lock = threading.Lock()
        self._db = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=FULL")
        self._db.executescript(_SCHEMA)

    def deliver(self, action: OutboundAction, *, workspace_id: str, lead_id: str) -> Receipt:
        with self._lock:
            self._db.execute("INSERT INTO attempts(key) VALUES (?)", (action.idempotency_key,))
            cur = self._db.execute(
                "INSERT OR IGNORE INTO deliveries VALUES (?,?,?,?,?,?,?,?)",
                (
                    action.idempotency_key,
                    workspace_id,
                    lead_id,
                    action.kind.value,
                    action.to,
                    action.subject,
                    action.body,
                    datetime.now(UTC).isoformat(),
                ),
            )
            if cur.rowcount:  # a first delivery keeps its attachments (an ICS invite, ...)
                self._db.executemany(
                    "INSERT OR IGNORE INTO attachments VALUES (?,?,?,?,?)",
                    [
                        (action.idempotency_key, n, str(a.get("filename", "")), str(a.get("content_type", "")),
                         str(a.get("content", "")))
                        for n, a in enumerate(action.payload.get("attachments") or [])
                    ],
                )
            return Receipt(provider_id=action.idempotency_key, duplicate=cur.rowcount == 0)

    def deliveries(self) -> list[dict[str, str]]:
        with self._lock:
            cur = self._db.execute(
                "SELECT key, workspace_id, lead_id, kind, recipient, subject, body FROM deliveries ORDER BY rowid"
            )
            cols = [c[0] for c in cur.description]
            return [dict(zip(cols, row, strict=True)) for row in cur.fetchall()]

    def attachments(self, key: str) -> list[dict[str, str]]:
        """The attachments delivered with the message ``key``, in order."""
        with self._lock:
            cur = self._db.execute(
                "SELECT filename, content_type, content FROM attachments WHERE key = ? ORDER BY n", (key,)
            )
            return [{"filename": f, "content_type": t, "content": c} for f, t, c in cur.fetchall()]

    def deliveries_for(self, workspace_id: str, lead_ids: Collection[str]) -> list[dict[str, str]]:
        """What was delivered about these leads (a person's export), in order."""
        wanted = set(lead_ids)
        return [d for d in self.deliveries() if d["workspace_id"] == workspace_id and d["lead_id"] in wanted]

    def erase(self, workspace_id: str, lead_ids: Collection[str]) -> int:
        """Erase what was delivered about these leads (a person's erasure, ``state.privacy``): the
        recipient, subject and body are redacted and the attachments deleted; the rows stay, so a
        redelivery of the same key is still recognised. Returns the deliveries redacted."""
        from leadflow.state.privacy import REDACTED

        ids = sorted(set(lead_ids))
        if not ids:
            return 0
        marks = ",".join("?" * len(ids))
        with self._lock:
            self._db.execute("PRAGMA secure_delete=ON")  # freed pages are zeroed, not left readable
            self._db.execute("BEGIN IMMEDIATE")
            try:
                keys = [k for (k,) in self._db.execute(
                    f"SELECT key FROM deliveries WHERE workspace_id = ? AND lead_id IN ({marks})", (workspace_id, *ids)
                )]  # fmt: skip
                self._db.executemany("DELETE FROM attachments WHERE key = ?", [(k,) for k in keys])
                self._db.execute(
                    "UPDATE deliveries SET recipient = NULL, subject = CASE WHEN subject IS NULL THEN NULL ELSE ? END,"
                    f" body = ? WHERE workspace_id = ? AND lead_id IN ({marks})",
                    (REDACTED, REDACTED, workspace_id, *ids),
                )
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            if self.path != ":memory:":
                self._db.execute("PRAGMA wal_checkpoint(TRUNCATE)")  # and the old pages leave the WAL
            return len(keys)

    def attempt_count(self) -> int:
        with self._lock:
            return int(self._db.execute("SELECT count(*) FROM attempts").fetchone()[0])

    def close(self) -> None:
        self._db.close()
