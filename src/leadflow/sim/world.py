"""The simulated outside world: a delivery channel whose recipients are simulated prospects.

It records deliveries like the transcript channel (once per idempotency key) and, in the same
SQLite transaction, the prospect's reply with its arrival time. As an inbound source it hands
arrived replies to intake, which de-duplicates them by message id, so a crash anywhere leaves
neither a delivery nor a reply behind twice or lost.
"""

from __future__ import annotations

import sqlite3
import threading
from datetime import datetime, timedelta
from pathlib import Path

from leadflow.domain.actions import CONTACT_ACTIONS, OutboundAction
from leadflow.exceptions import NotFound
from leadflow.integrations.channels.base import Receipt
from leadflow.orchestrator.intake import Intake
from leadflow.sim.prospects import SimProspect
from leadflow.sim.replies import respond

_SCHEMA = """
CREATE TABLE IF NOT EXISTS deliveries (
  key TEXT PRIMARY KEY, workspace_id TEXT NOT NULL, lead_id TEXT NOT NULL, kind TEXT NOT NULL,
  recipient TEXT, subject TEXT, body TEXT NOT NULL, sent_at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS attempts (n INTEGER PRIMARY KEY AUTOINCREMENT, key TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS inbound (
  key TEXT PRIMARY KEY, workspace_id TEXT NOT NULL, lead_id TEXT NOT NULL, channel TEXT NOT NULL,
  text TEXT, raw TEXT, kind TEXT NOT NULL, arrive_at TEXT NOT NULL, ingested INTEGER NOT NULL DEFAULT 0);
"""


class SimWorld:
    """Delivery channel + inbound source for simulated prospects."""

    name = "sim"

    def __init__(self, *, prospects: list[SimProspect], seed: int, clock: object, path: str | Path = ":memory:") -> None:
        self.seed = seed
        self.clock = clock
        self.by_lead = {p.id: p for p in prospects}
        self.intake: Intake | None = None
        self._lock = threading.Lock()
        self._db = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=FULL")
        self._db.executescript(_SCHEMA)

    # -- delivery channel --------------------------------------------------------------
    def deliver(self, action: OutboundAction, *, workspace_id: str, lead_id: str) -> Receipt:
        now: datetime = self.clock.now()  # type: ignore[attr-defined]
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                self._db.execute("INSERT INTO attempts(key) VALUES (?)", (action.idempotency_key,))
                cur = self._db.execute(
                    "INSERT OR IGNORE INTO deliveries VALUES (?,?,?,?,?,?,?,?)",
                    (action.idempotency_key, workspace_id, lead_id, action.kind.value, action.to, action.subject,
                     action.body, now.isoformat()),
                )
                duplicate = cur.rowcount == 0
                # only messages to the prospect get answers; notes to the human rep do not
                prospect = self.by_lead.get(lead_id) if action.kind in CONTACT_ACTIONS else None
                if not duplicate and prospect is not None:
                    n = int(self._db.execute("SELECT count(*) FROM deliveries WHERE lead_id=? AND kind != 'notify_human'", (lead_id,)).fetchone()[0])
                    channel = "sms" if action.kind.value == "send_sms" else "email"
                    reply = respond(prospect, seed=self.seed, n=n, channel=channel, subject=action.subject,
                                    body=action.body, sent_at=now, message_id=action.idempotency_key)
                    if reply is not None:
                        self._db.execute(
                            "INSERT OR IGNORE INTO inbound(key, workspace_id, lead_id, channel, text, raw, kind, arrive_at)"
                            " VALUES (?,?,?,?,?,?,?,?)",
                            (action.idempotency_key, workspace_id, lead_id, channel, reply.text, reply.raw, reply.kind,
                             (now + max(reply.delay, timedelta(seconds=1))).isoformat()),
                        )
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
        return Receipt(provider_id=action.idempotency_key, duplicate=duplicate)

    # -- inbound source ------------------------------------------------------------------
    def poll(self, now: datetime) -> int:
        if self.intake is None:
            return 0
        with self._lock:
            rows = self._db.execute(
                "SELECT key, workspace_id, lead_id, channel, text, raw FROM inbound WHERE ingested=0 AND arrive_at<=?"
                " ORDER BY arrive_at, key",
                (now.isoformat(),),
            ).fetchall()
        for key, ws, lead_id, channel, text, raw in rows:
            try:
                self.intake.receive_reply(ws, lead_id, message_id=f"<reply-{key}@sim.example>", text=None if raw else text,
                                          raw=raw, channel=channel, in_reply_to=key)
            except NotFound:
                pass
            with self._lock:
                self._db.execute("UPDATE inbound SET ingested=1 WHERE key=?", (key,))
        return len(rows)

    def next_arrival(self) -> datetime | None:
        with self._lock:
            row = self._db.execute("SELECT min(arrive_at) FROM inbound WHERE ingested=0").fetchone()
        return datetime.fromisoformat(row[0]) if row and row[0] else None

    # -- for tests and reports -----------------------------------------------------------------
    def deliveries(self) -> list[tuple[str, str, str]]:
        with self._lock:
            return [(k, lead, kind) for k, lead, kind in self._db.execute("SELECT key, lead_id, kind FROM deliveries ORDER BY key")]

    def attempt_count(self) -> int:
        with self._lock:
            return int(self._db.execute("SELECT count(*) FROM attempts").fetchone()[0])

    def close(self) -> None:
        self._db.close()
