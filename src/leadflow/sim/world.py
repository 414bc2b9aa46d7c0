"""The simulated outside world: a delivery channel whose recipients are simulated prospects and a seller.

It records deliveries like the transcript channel (once per idempotency key) and, in the same
SQLite transaction, the prospect's reply with its arrival time. The human seller is simulated
too: the meeting invite (ICS) sent to a prospect puts the meeting in the seller's calendar,
and some days after it ends they report the deal won or lost
(:func:`~leadflow.sim.deals.deal_outcome`); a moved meeting moves the report, a cancelled one
removes it (a meeting booked by SMS carries no invite: the closing agent's after-meeting note
to the seller stands in for it). A won prospect is a customer from then on, and answers post-sale mail like one
(:func:`~leadflow.sim.deals.customer_reply`). As an inbound source the world hands arrived
replies and due deal reports to intake, which de-duplicates them by message id and outcome
id, so a crash anywhere leaves no delivery, reply or outcome behind twice or lost.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path

import icalendar

from leadflow.domain.actions import CONTACT_ACTIONS, ActionKind, OutboundAction
from leadflow.exceptions import Conflict, DuplicateMessage, NotFound
from leadflow.integrations.channels.base import Receipt
from leadflow.orchestrator.intake import Arrival, Intake
from leadflow.sim.deals import customer_reply, deal_outcome
from leadflow.sim.prospects import SimProspect
from leadflow.sim.replies import SimReply, respond

log = logging.getLogger(__name__)

SELLER_SOURCE = "sim:seller"
#: The closing agent's "your call is over" note to the seller ends with this key.
AFTER_MEETING = ":closing:after_meeting"


def meeting_of(action: OutboundAction) -> tuple[str, datetime] | None:
    """(``REQUEST`` or ``CANCEL``, the meeting's end in UTC) from an invite attached to ``action``, else None."""
    for attachment in action.payload.get("attachments") or []:
        if not isinstance(attachment, dict) or "text/calendar" not in str(attachment.get("content_type", "")):
            continue
        try:
            cal = icalendar.Calendar.from_ical(str(attachment.get("content", "")))
            method = str(cal.get("method", "REQUEST")).upper()
            event = next(iter(cal.walk("VEVENT")))
            end = event.decoded("dtend")
        except (ValueError, KeyError, StopIteration):
            continue  # not an invite we can read: the seller's calendar has nothing new
        if isinstance(end, datetime):
            return method, end if end.tzinfo is not None else end.replace(tzinfo=UTC)
    return None


_SCHEMA = """
CREATE TABLE IF NOT EXISTS deliveries (
  key TEXT PRIMARY KEY, workspace_id TEXT NOT NULL, lead_id TEXT NOT NULL, kind TEXT NOT NULL,
  recipient TEXT, subject TEXT, body TEXT NOT NULL, sent_at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS attempts (n INTEGER PRIMARY KEY AUTOINCREMENT, key TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS inbound (
  key TEXT PRIMARY KEY, workspace_id TEXT NOT NULL, lead_id TEXT NOT NULL, channel TEXT NOT NULL,
  text TEXT, raw TEXT, kind TEXT NOT NULL, arrive_at TEXT NOT NULL, ingested INTEGER NOT NULL DEFAULT 0);
CREATE TABLE IF NOT EXISTS outcomes (
  lead_id TEXT PRIMARY KEY, workspace_id TEXT NOT NULL, outcome TEXT NOT NULL, amount REAL, reason TEXT,
  report_at TEXT NOT NULL, ingested INTEGER NOT NULL DEFAULT 0);
CREATE INDEX IF NOT EXISTS ix_deliveries_lead ON deliveries(lead_id, sent_at);
CREATE INDEX IF NOT EXISTS ix_inbound_due ON inbound(ingested, arrive_at);
CREATE INDEX IF NOT EXISTS ix_outcomes_due ON outcomes(ingested, report_at);
"""


class SimWorld:
    """Delivery channel + inbound source for simulated prospects."""

    name = "sim"

    def __init__(
        self, *, prospects: list[SimProspect], seed: int, clock: object, path: str | Path = ":memory:"
    ) -> None:
        self.seed = seed
        self.clock = clock
        self.by_lead = {p.id: p for p in prospects}
        self.intake: Intake | None = None
        self._lock = threading.Lock()
        self._db = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        # the outside world only has to survive the worker being killed, which WAL with NORMAL
        # does (a commit is in the OS before it returns); power loss is not simulated
        self._db.execute("PRAGMA synchronous=NORMAL")
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
                    (
                        action.idempotency_key,
                        workspace_id,
                        lead_id,
                        action.kind.value,
                        action.to,
                        action.subject,
                        action.body,
                        now.isoformat(),
                    ),
                )
                duplicate = cur.rowcount == 0
                # only messages to the prospect get answers; notes to the human rep do not
                prospect = self.by_lead.get(lead_id)
                if not duplicate and prospect is not None and action.kind in CONTACT_ACTIONS:
                    self._on_contact(prospect, action, workspace_id, lead_id, now)
                elif (
                    not duplicate and prospect is not None and action.idempotency_key.endswith(AFTER_MEETING)
                ):
                    # a meeting booked by SMS sent no invite: the "your call is over" note tells the seller
                    self._note_meeting(prospect, workspace_id, lead_id, now, replace=False)
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
        return Receipt(provider_id=action.idempotency_key, duplicate=duplicate)

    def _on_contact(
        self, prospect: SimProspect, action: OutboundAction, workspace_id: str, lead_id: str, now: datetime
    ) -> None:
        """Write the reply, and let the seller note a meeting invite; call inside the transaction."""
        reply = self._answer(prospect, action, lead_id, now)
        if reply is not None:
            channel = "sms" if action.kind is ActionKind.SEND_SMS else "email"
            arrive = now + max(reply.delay, timedelta(seconds=1))
            self._db.execute(
                "INSERT OR IGNORE INTO inbound(key, workspace_id, lead_id, channel, text, raw, kind, arrive_at)"
                " VALUES (?,?,?,?,?,?,?,?)",
                (action.idempotency_key, workspace_id, lead_id, channel, reply.text, reply.raw, reply.kind,
                 arrive.isoformat()),
            )  # fmt: skip
        invite = meeting_of(action)
        if invite is None:
            return
        method, end = invite
        if method == "CANCEL":  # no meeting, nothing to report (unless already reported)
            self._db.execute("DELETE FROM outcomes WHERE lead_id=? AND ingested=0", (lead_id,))
            return
        self._note_meeting(prospect, workspace_id, lead_id, end, replace=True)

    def _note_meeting(
        self, prospect: SimProspect, workspace_id: str, lead_id: str, end: datetime, *, replace: bool
    ) -> None:
        """The seller decides the deal (always the same way) and will report it some days after ``end``.

        With ``replace`` (a moved meeting) a report not yet made moves too; otherwise a known one stays.
        """
        deal = deal_outcome(prospect, seed=self.seed)
        on_conflict = (
            "DO UPDATE SET report_at=excluded.report_at WHERE ingested=0" if replace else "DO NOTHING"
        )
        self._db.execute(
            "INSERT INTO outcomes(lead_id, workspace_id, outcome, amount, reason, report_at) VALUES (?,?,?,?,?,?)"
            f" ON CONFLICT(lead_id) {on_conflict}",
            (lead_id, workspace_id, deal.outcome, deal.amount, deal.reason, (end + deal.delay).isoformat()),
        )

    def _answer(
        self, prospect: SimProspect, action: OutboundAction, lead_id: str, now: datetime
    ) -> SimReply | None:
        """The prospect's (or, once the deal is won, the customer's) reply; call inside the transaction."""
        channel = "sms" if action.kind is ActionKind.SEND_SMS else "email"
        won = self._db.execute(
            "SELECT report_at FROM outcomes WHERE lead_id=? AND outcome='won' AND report_at<=?",
            (lead_id, now.isoformat()),
        ).fetchone()
        if won is not None:
            n = int(
                self._db.execute(
                    "SELECT count(*) FROM deliveries WHERE lead_id=? AND kind != 'notify_human' AND sent_at>=?",
                    (lead_id, won[0]),
                ).fetchone()[0]
            )
            return customer_reply(
                prospect,
                seed=self.seed,
                n=n,
                subject=action.subject,
                body=action.body,
                sent_at=now,
                won_at=datetime.fromisoformat(won[0]),
            )
        n = int(
            self._db.execute(
                "SELECT count(*) FROM deliveries WHERE lead_id=? AND kind != 'notify_human'", (lead_id,)
            ).fetchone()[0]
        )
        return respond(
            prospect,
            seed=self.seed,
            n=n,
            channel=channel,
            subject=action.subject,
            body=action.body,
            sent_at=now,
            message_id=action.idempotency_key,
        )

    # -- inbound source ------------------------------------------------------------------
    def poll(self, now: datetime) -> int:
        if self.intake is None:
            return 0
        return self._poll_replies(now) + self._poll_outcomes(now)

    def _poll_outcomes(self, now: datetime) -> int:
        """Hand the seller's due reports to intake (idempotent on the outcome id, so a crash is harmless)."""
        assert self.intake is not None
        with self._lock:
            rows = self._db.execute(
                "SELECT lead_id, workspace_id, outcome, amount, reason FROM outcomes WHERE ingested=0 AND report_at<=?"
                " ORDER BY report_at, lead_id",
                (now.isoformat(),),
            ).fetchall()
        for lead_id, ws, outcome, amount, reason in rows:
            try:
                self.intake.record_outcome(
                    ws,
                    lead_id,
                    outcome=outcome,
                    outcome_id=f"sim-deal:{lead_id}",
                    amount=amount,
                    reason=reason,
                    source=SELLER_SOURCE,
                )
            except (NotFound, Conflict) as exc:  # gone, or someone reported another outcome first
                log.warning("simulated seller's report for %s not recorded: %s", lead_id, exc)
            with self._lock:
                self._db.execute("UPDATE outcomes SET ingested=1 WHERE lead_id=?", (lead_id,))
        return len(rows)

    def _poll_replies(self, now: datetime) -> int:
        """Hand the due replies to intake one by one, each committed alone."""
        arrivals = self._due_replies(now)
        for arrival in arrivals:
            assert self.intake is not None
            result = self.intake.store.apply([arrival.commit])[0]
            arrival.done(result)
        return len(arrivals)

    def take(self, now: datetime) -> list[Arrival]:
        """The worker's way in: the seller's due reports are recorded here (each reads its lead
        first), and the due replies are handed over to be committed with the worker's next batch."""
        if self.intake is None:
            return []
        self._poll_outcomes(now)
        return self._due_replies(now)

    def _due_replies(self, now: datetime) -> list[Arrival]:
        """The replies due by ``now`` and not yet ingested; each is flagged ingested once its
        commit is done (recorded, recorded before, or its lead is gone), so a crash before that
        hands it over again, and intake's message id makes the repeat harmless."""
        assert self.intake is not None
        with self._lock:
            rows = self._db.execute(
                "SELECT key, workspace_id, lead_id, channel, text, raw FROM inbound WHERE ingested=0 AND arrive_at<=?"
                " ORDER BY arrive_at, key",
                (now.isoformat(),),
            ).fetchall()
        return [
            Arrival(
                self.intake.reply_commit(
                    ws,
                    lead_id,
                    message_id=f"<reply-{key}@sim.example>",
                    text=None if raw else text,
                    raw=raw,
                    channel=channel,
                    in_reply_to=key,
                ),
                partial(self._ingested, key),
            )
            for key, ws, lead_id, channel, text, raw in rows
        ]

    def _ingested(self, key: str, result: Exception | None) -> None:
        if result is not None and not isinstance(result, DuplicateMessage | NotFound):
            log.warning("simulated reply %s not recorded, offered again: %s", key, result)
            return
        with self._lock:
            self._db.execute("UPDATE inbound SET ingested=1 WHERE key=?", (key,))

    def next_arrival(self) -> datetime | None:
        with self._lock:
            row = self._db.execute(
                "SELECT min(t) FROM (SELECT min(arrive_at) AS t FROM inbound WHERE ingested=0"
                " UNION ALL SELECT min(report_at) FROM outcomes WHERE ingested=0)"
            ).fetchone()
        return datetime.fromisoformat(row[0]) if row and row[0] else None

    # -- for tests and reports -----------------------------------------------------------------
    def deliveries(self) -> list[tuple[str, str, str]]:
        with self._lock:
            return [
                (k, lead, kind)
                for k, lead, kind in self._db.execute(
                    "SELECT key, lead_id, kind FROM deliveries ORDER BY key"
                )
            ]

    def replies(self) -> list[tuple[str, str, str, str]]:
        """(answered key, lead id, hidden kind, arrival time) of every reply the world wrote."""
        with self._lock:
            return [
                (k, lead, kind, at)
                for k, lead, kind, at in self._db.execute(
                    "SELECT key, lead_id, kind, arrive_at FROM inbound ORDER BY key"
                )
            ]

    def outcomes(self) -> list[tuple[str, str, float | None, datetime]]:
        """(lead id, won or lost, amount, report time) of every deal the seller decided, reported or not yet."""
        with self._lock:
            rows = self._db.execute(
                "SELECT lead_id, outcome, amount, report_at FROM outcomes ORDER BY lead_id"
            )
            return [(lead, outcome, amount, datetime.fromisoformat(at)) for lead, outcome, amount, at in rows]

    def attempt_count(self) -> int:
        with self._lock:
            return int(self._db.execute("SELECT count(*) FROM attempts").fetchone()[0])

    def close(self) -> None:
        self._db.close()
