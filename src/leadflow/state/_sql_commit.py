"""How one commit is written in SQL: the rows it adds and changes, checked as it goes.

``apply_one`` runs inside the store's write transaction (``SqlStore.apply``): the handled mark,
the finished action or fired timer, the lead's new state (only if it is still at the version
the step read), the ``lead.updated`` patch and the step's events, bookings, cancelled sends,
queued actions, timers, traces and suppressions. Anything that cannot be done raises
``Refused`` and the caller rolls the commit back.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from datetime import UTC, datetime
from typing import Any

import pydantic_core
from pydantic import BaseModel
from sqlalchemy import Connection, insert, select, update
from sqlalchemy.exc import IntegrityError

from leadflow.domain.actions import OutboundAction
from leadflow.domain.events import Event
from leadflow.domain.identity import suppression_key
from leadflow.domain.models import LeadState
from leadflow.exceptions import Conflict, DuplicateMessage, NotFound
from leadflow.state import _stmts as stmts
from leadflow.state import schema as t
from leadflow.state.common import lead_updated_from_docs, timer_matches
from leadflow.state.records import Commit
from leadflow.state.sends import SendChange, send_keys


def dump_json(value: Any) -> str:
    """The JSON columns' serializer (``create_engine(json_serializer=...)``): pydantic's encoder,
    for a model (no ``model_dump`` first) and for plain documents alike (a lead's ~8 KB document
    in ~15 us, where ``json.dumps`` takes ~65). Compact, UTF-8: the same JSON values."""
    if isinstance(value, BaseModel):
        return value.model_dump_json()
    return pydantic_core.to_json(value).decode()


def utc(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def db_time(value: datetime | None) -> datetime | None:
    """SQLite keeps naive UTC text; PostgreSQL keeps timestamptz. Both sort correctly."""
    return utc(value)


TOUCHED = "leadflow_send_keys"
"""``Connection.info`` key: the send-count changes this transaction makes, per (workspace,
"mailbox"|"domain", key); once it commits, their generations move on and the changes are kept
for :meth:`~leadflow.state.base.Store.send_changes` (``None`` for a key: count it again)."""

Touched = dict[tuple[str, str, str], list[SendChange] | None]


def touch(
    conn: Connection,
    workspace_id: str,
    mailbox: str | None,
    domain: str | None,
    at: datetime | None = None,
    *,
    sent: int = 0,
    scheduled: int = 0,
) -> None:
    """Note a change to the counts of a send from ``mailbox`` to ``domain`` timed ``at``."""
    touched: Touched = conn.info.setdefault(TOUCHED, {})
    when = utc(at)
    for kind, key in (("mailbox", mailbox), ("domain", domain)):
        if not key:
            continue
        changes = touched.setdefault((workspace_id, kind, key), [])
        if when is None:
            touched[(workspace_id, kind, key)] = None
        elif changes is not None:
            changes.append(SendChange(when, sent, scheduled))


class Refused(Exception):
    """A commit the store turns down; ``exc`` is what ``apply`` reports for it."""

    def __init__(self, exc: Exception) -> None:
        super().__init__(str(exc))
        self.exc = exc


def lead_row(state: LeadState, *, doc: dict[str, Any] | None = None) -> dict[str, Any]:
    return {
        "lead_id": state.lead_id,
        "workspace_id": state.workspace_id,
        "campaign": state.campaign,
        "stage": state.stage.value,
        "score": state.score.value if state.score else None,
        "version": state.version,
        "created_at": db_time(state.created_at),
        "updated_at": db_time(state.updated_at),
        "doc": doc if doc is not None else state.model_dump(mode="json"),
    }


def event_row(e: Event, *, queued: bool) -> dict[str, Any]:
    return {
        "event_id": e.id,
        "workspace_id": e.workspace_id,
        "lead_id": e.lead_id,
        "type": e.type,
        "at": db_time(e.at),
        "doc": e,  # dump_json writes it
        "queued": queued,
        "handled": not queued,
        "dead": False,
        "published": False,
        "attempts": 0,
    }


Written = tuple[tuple[str, str], int, dict[str, Any]]
"""``((workspace, lead), version, document)``: a lead document a commit wrote."""


class LeadDocs:
    """The lead documents this process wrote last, by lead and version, so the next commit of
    a lead can compute its ``lead.updated`` patch without reading and parsing the stored one.

    A version's document never changes once committed (the version check lets one commit
    write it), so an entry is right for as long as it is kept; only entries of committed
    writes are put here. ``leadflow replay`` rewrites documents in place: it clears this.
    """

    def __init__(self, size: int = 1024) -> None:
        self.size = size
        self._docs: OrderedDict[tuple[str, str], tuple[int, dict[str, Any]]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: tuple[str, str], version: int | None) -> dict[str, Any] | None:
        with self._lock:
            known = self._docs.get(key)
        return known[1] if known is not None and known[0] == version else None

    def put(self, written: list[Written]) -> None:
        with self._lock:
            for key, version, doc in written:
                self._docs[key] = (version, doc)
                self._docs.move_to_end(key)
            while len(self._docs) > self.size:
                self._docs.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._docs.clear()


def apply_one(conn: Connection, c: Commit, old: dict[str, Any] | None = None) -> Written | None:
    """Write one commit inside ``conn``'s transaction; ``Refused`` (and nothing of it kept) when it cannot be.

    ``old``: the lead's document at ``c.expected_version`` if the caller knows it (see
    :class:`LeadDocs`); otherwise it is read. Returns the lead document written, if any.
    """
    now = db_time(c.at or datetime.now(UTC))
    written: Written | None = None
    event_rows: list[dict[str, Any]] = []
    if c.require_lead and c.state is None:
        if conn.execute(stmts.LEAD_EXISTS, {"lead_id": c.lead_id, "ws": c.workspace_id}).first() is None:
            raise Refused(NotFound(f"no lead {c.lead_id}"))
    if c.handled is not None:
        res = conn.execute(stmts.MARK_HANDLED, {"b_event_id": c.handled})
        if res.rowcount != 1:
            raise Refused(DuplicateMessage(f"event {c.handled} already handled"))
    if c.finish_action is not None:
        seq, status, detail = c.finish_action
        finished = conn.execute(
            stmts.FINISH_ACTION, {"b_seq": seq, "b_status": status, "b_detail": detail}
        ).all()
        if len(finished) != 1:
            raise Refused(DuplicateMessage(f"action {seq} is not pending"))
        ws, mailbox, domain, at = finished[0]
        sent = 1 if status == "sent" else 0  # from pending: to sent, or out of the counts
        touch(conn, ws, mailbox, domain, at, sent=sent, scheduled=-1)
    if c.draft is not None:  # a held row uses no send capacity, before or after: no counts move
        d = c.draft
        values: dict[str, Any] = {"status": d.status}
        if d.action is not None:
            values["doc"] = d.action.model_dump(mode="json")
        if d.detail is not None:
            values["detail"] = d.detail[:2000]
        res = conn.execute(
            update(t.actions)
            .where(t.actions.c.seq == d.seq, t.actions.c.workspace_id == c.workspace_id, t.actions.c.status == "held")
            .values(**values)
        )
        if res.rowcount != 1:
            raise Refused(DuplicateMessage(f"draft {d.seq} is not held"))
    if c.fire_timer is not None:
        res = conn.execute(stmts.FIRE_TIMER, {"b_seq": c.fire_timer})
        if res.rowcount != 1:
            raise Refused(DuplicateMessage(f"timer {c.fire_timer} is not active"))
    if c.state is not None:
        old_doc = old
        if old_doc is None:
            old_doc = conn.execute(stmts.LEAD_DOC, {"lead_id": c.lead_id, "ws": c.workspace_id}).scalar()
            if old_doc is None:
                raise Refused(NotFound(f"no lead {c.lead_id}"))
        old_version = int(old_doc["version"])  # the stored document, not parsed: only its version counts
        if old_version != c.expected_version:
            raise Refused(Conflict(f"lead {c.lead_id} is at version {old_version}, not {c.expected_version}"))
        new = c.state.model_copy(update={"version": old_version + 1})
        new_doc = new.model_dump(mode="json")
        row = lead_row(new, doc=new_doc)
        del row["lead_id"], row["workspace_id"], row["created_at"]
        if old_doc.get("stage") == row["stage"]:
            del row["stage"]
            statement = stmts.UPDATE_LEAD_SAME_STAGE
        else:
            statement = stmts.UPDATE_LEAD
        res = conn.execute(statement, {**row, "b_lead_id": c.lead_id, "b_version": old_version})
        if res.rowcount != 1:  # another writer got there first (or ``old`` was not the stored one)
            raise Refused(Conflict(f"lead {c.lead_id} changed concurrently"))
        written = ((c.workspace_id, c.lead_id), old_version + 1, new_doc)
        updated = lead_updated_from_docs(old_doc, new, new_doc, cause=c.handled)
        event_rows.append(event_row(updated, queued=False))  # first: the log order is the seq order
    event_rows += [event_row(e, queued=e.id not in c.quiet) for e in c.events]
    if event_rows:
        try:  # the unique event id refuses a repeat (the commit is then rolled back)
            conn.execute(stmts.INSERT_EVENT, event_rows)
        except IntegrityError as exc:
            ids = ", ".join(e.id for e in c.events)
            raise Refused(DuplicateMessage(f"an event of [{ids}] is already recorded")) from exc
    if c.booking is not None:
        calendar, start = c.booking
        conn.execute(stmts.RELEASE_BOOKINGS, {"ws": c.workspace_id, "lead_id": c.lead_id})
        if start is not None:
            try:
                row = {"workspace_id": c.workspace_id, "calendar": calendar, "start": db_time(start)}
                conn.execute(stmts.INSERT_BOOKING, [{**row, "lead_id": c.lead_id}])
            except IntegrityError as exc:
                raise Refused(
                    Conflict(f"{calendar} at {start.isoformat()} is booked by another lead")
                ) from exc
    if c.drop_pending_contact is not None:  # before this commit's own actions are queued
        params = {"b_lead_id": c.lead_id, "b_ws": c.workspace_id, "b_detail": c.drop_pending_contact}
        for ws, mailbox, domain, at in conn.execute(stmts.DROP_PENDING_CONTACT, params).all():
            touch(conn, ws, mailbox, domain, at, scheduled=-1)
        conn.execute(stmts.DROP_HELD_CONTACT, params)  # no one is to approve a message to them any more
    fresh = c.actions
    if fresh:
        # enqueueing is idempotent: an action whose key is already recorded is already done
        known = {
            a.idempotency_key
            for a in fresh
            if conn.execute(stmts.KNOWN_KEY, {"key": a.idempotency_key}).first() is not None
        }
        unique: list[OutboundAction] = []
        for a in fresh:
            if a.idempotency_key not in known:  # a key repeated within this commit counts once too
                known.add(a.idempotency_key)
                unique.append(a)
        fresh = unique
    if fresh:
        rows = [action_insert(c, a, now) for a in fresh]
        conn.execute(stmts.INSERT_ACTION, rows)
        for row in rows:
            touch(conn, c.workspace_id, row["mailbox"], row["domain"], row["not_before"] or now, scheduled=1)
    if c.cancel_timers or c.timers:
        active = conn.execute(stmts.ACTIVE_TIMERS, {"lead_id": c.lead_id}).all()
        cancel = [seq for seq, name in active if any(timer_matches(name, p) for p in c.cancel_timers)]
        replace = [seq for seq, name in active if seq not in cancel and any(name == s.name for s in c.timers)]
        if cancel:
            conn.execute(stmts.SET_TIMER_STATUS, [{"b_seq": s, "b_status": "cancelled"} for s in cancel])
        if replace:
            conn.execute(stmts.SET_TIMER_STATUS, [{"b_seq": s, "b_status": "replaced"} for s in replace])
    if c.timers:
        conn.execute(
            stmts.INSERT_TIMER,
            [
                {
                    "workspace_id": c.workspace_id,
                    "lead_id": c.lead_id,
                    "name": s.name,
                    "fire_at": db_time(s.fire_at),
                    "status": "active",
                    "doc": s,
                }
                for s in c.timers
            ],
        )
    if c.traces:
        conn.execute(
            stmts.INSERT_TRACE,
            [
                {
                    "workspace_id": r.workspace_id,
                    "lead_id": r.lead_id,
                    "at": db_time(r.at),
                    "doc": r,
                }
                for r in c.traces
            ],
        )
    for address, reason in c.suppress:
        key = suppression_key(address)  # stored normalised: every spelling of it is suppressed
        exists = conn.execute(
            select(t.suppressions.c.address).where(
                t.suppressions.c.workspace_id == c.workspace_id,
                t.suppressions.c.address == key,
            )
        ).first()
        if exists is None:
            conn.execute(
                insert(t.suppressions).values(workspace_id=c.workspace_id, address=key, reason=reason)
            )
    return written


def action_insert(c: Commit, a: OutboundAction, now: datetime | None) -> dict[str, Any]:
    mailbox, domain = send_keys(a)
    return {
        "idempotency_key": a.idempotency_key,
        "workspace_id": c.workspace_id,
        "lead_id": c.lead_id,
        "kind": a.kind.value,
        "not_before": db_time(a.not_before),
        "status": "pending",
        "attempts": 0,
        "created_at": now,
        "doc": a,
        "mailbox": mailbox,
        "domain": domain,
    }
