"""``SqlStore``: the store on SQLAlchemy Core, for SQLite (the embedded default) and PostgreSQL.

SQLite runs in WAL mode with ``synchronous=FULL`` so a returned ``apply`` is on disk; writers
take ``BEGIN IMMEDIATE`` so they queue instead of failing, readers a deferred ``BEGIN`` (a WAL
snapshot). Each commit of a batch runs in its own SAVEPOINT: a conflict undoes that commit
alone and the batch is committed once (a lone commit needs no savepoint). Publish marks and
lazy metadata ride along with the next SQLite write. On PostgreSQL, each worker claims the
leads whose events and sends it hands out (``_lead_claims``).

How one commit is written lives in ``_sql_commit``; the send counts in ``_sql_sends``; the hot
statements, prebuilt, in ``_stmts``.
"""

from __future__ import annotations

import logging
import threading
from collections import deque
from collections.abc import Collection, Iterator, Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any

from sqlalchemy import (
    Connection,
    Engine,
    Executable,
    Text,
    cast,
    create_engine,
    delete,
    event,
    func,
    insert,
    select,
    update,
)
from sqlalchemy.exc import IntegrityError

from leadflow.domain.actions import OutboundAction
from leadflow.domain.events import Event
from leadflow.domain.identity import linked_event, match, suppression_keys
from leadflow.domain.limits import READ_BACK
from leadflow.domain.models import Campaign, LeadState
from leadflow.exceptions import Conflict, NotFound, Unreadable
from leadflow.state import _sql_privacy, _sql_rejects, poison
from leadflow.state import _stmts as stmts
from leadflow.state import schema as t
from leadflow.state._lead_claims import LeadClaims
from leadflow.state._sql_commit import (
    TOUCHED,
    LeadDocs,
    Refused,
    Written,
    apply_one,
    db_time,
    dump_json,
    event_row,
    lead_row,
    touch,
    utc,
)
from leadflow.state._sql_drafts import SqlActionReads
from leadflow.state._sql_sends import SqlSendCounts
from leadflow.state._sqlite_fast import FastConnection, FastStatements, KeptConnection, PooledReader
from leadflow.state._worker_lease import FileLease, sqlite_lease_path
from leadflow.state.base import Store
from leadflow.state.common import held_slot
from leadflow.state.privacy import ErasureReport
from leadflow.state.records import (
    ActionRow,
    Commit,
    DeadLetter,
    InboxItem,
    Reject,
    TimerRow,
    TraceRecord,
)
from leadflow.state.rejects import DEFAULT_LIMITS, RejectLimits
from leadflow.state.sends import SendChange

log = logging.getLogger(__name__)

class SqlStore(SqlSendCounts, SqlActionReads, Store):
    """The store on any SQLAlchemy URL: ``sqlite:///path.db`` or ``postgresql+psycopg://...``.

    On PostgreSQL, where several worker processes may share the database, ``inbox`` and
    ``due_actions`` hand out only leads this store could claim (see ``_lead_claims``);
    ``lead_claims=False`` turns that off.
    """

    MAX_PENDING_MARKS = 5000
    MAX_CAMPAIGNS = 512  # parsed campaigns kept (with their JSON, to see a change)

    def __init__(
        self, url: str, *, migrate: bool = True, echo: bool = False, lead_claims: bool = True
    ) -> None:
        self.url = url
        self.is_sqlite = url.startswith("sqlite")
        kwargs: dict[str, Any] = {"echo": echo, "future": True, "json_serializer": dump_json}
        if self.is_sqlite:
            kwargs["connect_args"] = {"check_same_thread": False, "timeout": 30}
        else:
            kwargs["pool_pre_ping"] = True
        self.engine: Engine = create_engine(url, **kwargs)
        self._claims = LeadClaims(self.engine) if lead_claims and not self.is_sqlite else None
        lease = sqlite_lease_path(self.engine.url.database) if self.is_sqlite else None
        self._lease = FileLease(lease) if lease is not None else None
        self._write_lock = threading.Lock() if self.is_sqlite else None
        self._fast = (
            FastStatements(
                self.engine.dialect, [v for v in vars(stmts).values() if isinstance(v, Executable)]
            )
            if self.is_sqlite
            else None
        )
        self._kept = KeptConnection(self.engine, self._fast) if self._fast is not None else None
        # written with the next write transaction (see ``mark_published`` and ``set_meta``)
        self._pending_lock = threading.Lock()
        self._campaigns: dict[tuple[str, str], tuple[str, Campaign]] = {}
        self._docs = LeadDocs()  # the lead documents last written, for the next commit's patch
        self._series_stmts: dict[str, Any] = {}
        self._send_generations: dict[tuple[str, str, str], int] = {}
        self._send_log: dict[tuple[str, str, str], deque[tuple[int, list[SendChange] | None]]] = {}
        self._pending_meta: dict[str, str] = {}
        self._salts: dict[str, str] = {}  # erasure salts by workspace (``state.privacy``), once seen
        self._pending_published: set[int] = set()
        if self.is_sqlite:
            self._sqlite_setup(self.engine)
        if migrate:
            from leadflow.state.migrate import upgrade

            upgrade(self.engine)

    @staticmethod
    def _sqlite_setup(engine: Engine) -> None:
        @event.listens_for(engine, "connect")
        def _on_connect(dbapi_conn: Any, _record: Any) -> None:
            dbapi_conn.isolation_level = None  # let SQLAlchemy issue BEGIN, so SAVEPOINT works
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=FULL")
            cur.execute("PRAGMA busy_timeout=30000")
            cur.execute("PRAGMA foreign_keys=ON")
            # a batch's savepoints keep the pages they change in a statement journal: in memory,
            # not a temporary file (about a third of the run's write calls went there)
            cur.execute("PRAGMA temp_store=MEMORY")
            cur.execute("PRAGMA cache_size=-32768")  # 32 MiB of pages: the hot indexes stay cached
            cur.close()

        @event.listens_for(engine, "begin")
        def _on_begin(conn: Connection) -> None:
            # writers take the lock up front (no upgrade deadlocks); readers read a WAL snapshot
            read = conn.get_execution_options().get("leadflow_read", False)
            conn.connection.dbapi_connection.execute("BEGIN" if read else "BEGIN IMMEDIATE")  # type: ignore[union-attr]

    def close(self) -> None:
        if self._claims is not None:
            self._claims.close()
        if self._lease is not None:
            self._lease.release()
        self.flush()
        if self._kept is not None:
            self._kept.close()
        self.engine.dispose()

    # -- helpers -------------------------------------------------------------------
    def _write(self) -> _WriteTx:
        """A write transaction (serialised in-process for SQLite, which has one writer anyway)."""
        return _WriteTx(self)

    def _read(self) -> Any:
        """A read transaction. On SQLite, on the kept connection the writes use when it is free
        (``_sqlite_fast.KeptConnection``); otherwise, or when it is busy, a pooled connection."""
        loan = self._kept.borrow() if self._kept is not None else None
        if loan is not None:
            return loan
        if self._fast is not None:
            return PooledReader(self.engine, self._fast)
        return self.engine.connect().execution_options(leadflow_read=True)

    # -- campaigns -----------------------------------------------------------------
    def save_campaign(self, workspace_id: str, campaign: Campaign) -> None:
        doc = campaign.model_dump(mode="json")
        with self._write() as conn:
            res = conn.execute(
                update(t.campaigns)
                .where(t.campaigns.c.workspace_id == workspace_id, t.campaigns.c.name == campaign.name)
                .values(doc=doc)
            )
            if res.rowcount == 0:
                conn.execute(
                    insert(t.campaigns).values(workspace_id=workspace_id, name=campaign.name, doc=doc)
                )

    def get_campaign(self, workspace_id: str, name: str) -> Campaign:
        """The stored campaign, read every time; parsed again only when its document changed
        (the engine asks on every batch), so callers may share it: treat it as read-only."""
        with self._read() as conn:
            text = conn.execute(stmts.CAMPAIGN_JSON, {"ws": workspace_id, "name": name}).scalar()
        if text is None:
            raise NotFound(f"no campaign {name!r} in workspace {workspace_id!r}")
        key = (workspace_id, name)
        known = self._campaigns.get(key)
        if known is not None and known[0] == text:
            return known[1]
        campaign = Campaign.model_validate_json(text)
        if len(self._campaigns) >= self.MAX_CAMPAIGNS:
            self._campaigns.clear()
        self._campaigns[key] = (text, campaign)
        return campaign

    def list_campaigns(self, workspace_id: str) -> list[Campaign]:
        with self._read() as conn:
            rows = conn.execute(
                select(t.campaigns.c.doc)
                .where(t.campaigns.c.workspace_id == workspace_id)
                .order_by(t.campaigns.c.name)
            ).scalars()
            return [Campaign.model_validate(d) for d in rows]

    # -- leads ---------------------------------------------------------------------
    def create_lead(
        self,
        state: LeadState,
        created: Event,
        *,
        dedupe_key: str | None = None,
        identity_keys: Sequence[str] = (),
    ) -> tuple[LeadState, bool]:
        ws = state.workspace_id
        keys = list(dict.fromkeys([*identity_keys, *([dedupe_key] if dedupe_key else [])]))
        idt = t.identities
        for _ in range(5):
            with self._write() as conn:
                owners: dict[str, str] = {}
                if keys:
                    owners = {
                        k: lid
                        for k, lid in conn.execute(
                            select(idt.c.key, idt.c.lead_id).where(idt.c.workspace_id == ws, idt.c.key.in_(keys))
                        )
                    }
                found = match(keys, owners)
                if found is not None:
                    doc = conn.execute(stmts.LEAD_DOC, {"lead_id": found.lead_id, "ws": ws}).scalar()
                    if doc is None:  # keys left behind by a lead that is gone: they lead nowhere
                        conn.execute(delete(idt).where(idt.c.workspace_id == ws, idt.c.lead_id == found.lead_id))
                        continue
                    if found.new:
                        try:
                            with conn.begin_nested():
                                conn.execute(
                                    insert(idt), [{"workspace_id": ws, "key": k, "lead_id": found.lead_id} for k in found.new]
                                )
                                linked = linked_event(found, state.lead, workspace_id=ws, at=created.at)
                                conn.execute(insert(t.events).values(**event_row(linked, queued=False)))
                        except IntegrityError:
                            pass  # a concurrent writer linked them (or recorded this very link) first
                    return LeadState.model_validate(doc), False
                try:
                    with conn.begin_nested():
                        conn.execute(insert(t.leads).values(dedupe_key=None, **lead_row(state)))
                        if keys:
                            conn.execute(
                                insert(idt), [{"workspace_id": ws, "key": k, "lead_id": state.lead_id} for k in keys]
                            )
                        conn.execute(insert(t.events).values(**event_row(created, queued=True)))
                except IntegrityError:
                    continue  # a concurrent writer (another process) took one of the keys first: look again
                return state, True
        raise Conflict(f"lead {state.lead_id} could not be created (its id or keys keep colliding)")

    def get_lead(self, workspace_id: str, lead_id: str) -> LeadState:
        with self._read() as conn:
            doc = conn.execute(stmts.LEAD_JSON, {"lead_id": lead_id, "ws": workspace_id}).scalar()
        if doc is None:
            raise NotFound(f"no lead {lead_id!r} in workspace {workspace_id!r}")
        try:
            return LeadState.model_validate_json(doc, context=READ_BACK)
        except Exception as exc:  # a poison document: one clear error, for the worker to fail the event
            raise Unreadable(f"{poison.reason('lead document', exc)} (lead {lead_id})") from None

    def list_leads(
        self, workspace_id: str, *, stage: str | None = None, limit: int = 1000
    ) -> list[LeadState]:
        q = select(cast(t.leads.c.doc, Text), t.leads.c.lead_id).where(t.leads.c.workspace_id == workspace_id)
        if stage is not None:
            q = q.where(t.leads.c.stage == stage)
        q = q.order_by(t.leads.c.created_at, t.leads.c.lead_id).limit(limit)
        out: list[LeadState] = []
        with self._read() as conn:
            for doc, lead_id in conn.execute(q):
                try:
                    out.append(LeadState.model_validate_json(doc, context=READ_BACK))
                except Exception as exc:  # a poison document is left out of lists, not the whole list
                    log.warning("lead %s left out: %s", lead_id, poison.reason("lead document", exc))
        return out

    def count_leads(self, workspace_id: str | None = None) -> dict[str, int]:
        q = select(t.leads.c.stage, func.count()).group_by(t.leads.c.stage)
        if workspace_id is not None:
            q = q.where(t.leads.c.workspace_id == workspace_id)
        with self._read() as conn:
            return {str(stage): int(n) for stage, n in conn.execute(q)}

    # -- apply -----------------------------------------------------------------------
    def apply(self, commits: Sequence[Commit]) -> list[Exception | None]:
        results: list[Exception | None] = []
        if not commits:
            return results  # nothing to write: no transaction, no fsync
        written: dict[tuple[str, str], tuple[int, dict[str, Any]]] = {}  # by this transaction

        def old(c: Commit) -> dict[str, Any] | None:
            key = (c.workspace_id, c.lead_id)
            mine = written.get(key)
            if mine is not None:
                return mine[1] if mine[0] == c.expected_version else None
            return self._docs.get(key, c.expected_version)

        def keep(w: Written | None) -> None:
            if w is not None:
                written[w[0]] = (w[1], w[2])

        if len(commits) == 1:  # alone in its transaction: a refusal rolls that back, no savepoint needed
            try:
                with self._write() as conn:
                    keep(apply_one(conn, commits[0], old(commits[0])))
            except Refused as refused:
                return [refused.exc]
            results = [None]
        else:
            with self._write() as conn:
                # each commit in a savepoint: a refused one is rolled back alone
                nested = conn.savepoint if isinstance(conn, FastConnection) else conn.begin_nested
                for commit in commits:
                    try:
                        with nested():
                            w = apply_one(conn, commit, old(commit))
                    except Refused as refused:
                        results.append(refused.exc)
                    else:
                        keep(w)
                        results.append(None)
        self._docs.put([(key, version, doc) for key, (version, doc) in written.items()])  # committed
        return results

    # -- log -------------------------------------------------------------------------
    def lead_events(self, workspace_id: str, lead_id: str) -> list[Event]:
        e = t.events.c
        q = (
            select(cast(e.doc, Text), e.event_id, e.workspace_id, e.lead_id, e.type, e.at)
            .where(e.lead_id == lead_id, e.workspace_id == workspace_id)
            .order_by(e.seq)
        )
        with self._read() as conn:
            return [self._event_or_stand_in(*row) for row in conn.execute(q)]

    def all_events(self) -> Iterator[Event]:
        last = 0
        while True:
            with self._read() as conn:
                e = t.events.c
                rows = conn.execute(
                    select(e.seq, cast(e.doc, Text), e.event_id, e.workspace_id, e.lead_id, e.type, e.at)
                    .where(e.seq > last)
                    .order_by(e.seq)
                    .limit(2000)
                ).all()
            if not rows:
                return
            for seq, *row in rows:
                last = seq
                yield self._event_or_stand_in(*row)

    def replace_states(self, states: Sequence[LeadState]) -> None:
        self._docs.clear()
        with self._write() as conn:
            for s in states:
                row = lead_row(s)
                conn.execute(
                    update(t.leads)
                    .where(t.leads.c.lead_id == s.lead_id)
                    .values(**{k: v for k, v in row.items() if k != "lead_id"})
                )

    def bookings(self) -> dict[tuple[str, str, datetime], str]:
        b = t.bookings.c
        with self._read() as conn:
            rows = conn.execute(select(b.workspace_id, b.calendar, b.start, b.lead_id)).all()
        return {(str(ws), str(cal), utc(start) or start): str(lead) for ws, cal, start, lead in rows}

    def replace_bookings(self, states: Sequence[LeadState]) -> None:
        try:
            with self._write() as conn:
                for s in states:
                    conn.execute(stmts.RELEASE_BOOKINGS, {"ws": s.workspace_id, "lead_id": s.lead_id})
                rows = [
                    {
                        "workspace_id": s.workspace_id,
                        "calendar": slot[0],
                        "start": db_time(slot[1]),
                        "lead_id": s.lead_id,
                    }
                    for s in states
                    if (slot := held_slot(s)) is not None
                ]
                if rows:
                    conn.execute(stmts.INSERT_BOOKING, rows)
        except IntegrityError as exc:
            raise Conflict(f"two leads hold one calendar slot: {exc.orig}") from exc

    # -- inbox / relay -------------------------------------------------------------------
    def inbox(self, *, limit: int = 100, now: datetime | None = None) -> list[InboxItem]:
        if self._claims is not None:
            self._claims.release_all()  # the worker committed the previous batch before asking again
        page = limit * 4
        when = utc(now)
        seen: set[str] = set()
        out: list[InboxItem] = []
        last = 0
        with self._read() as conn:
            while True:
                rows = conn.execute(stmts.INBOX_PAGE, {"after": last, "page": page}).all()
                heads: list[InboxItem] = []
                for seq, lead_id, doc, attempts, available_at in rows:
                    last = seq
                    if lead_id in seen:
                        continue  # only a lead's oldest pending event: a lead is served in order
                    seen.add(lead_id)
                    if available_at is not None and when is not None and utc(available_at) > when:  # type: ignore[operator]
                        continue
                    try:
                        heads.append(InboxItem(seq, Event.model_validate_json(doc), attempts))
                    except Exception as exc:  # a poison row: a stand-in the orchestrator fails
                        heads.append(self._unreadable_item(conn, seq, attempts, exc))
                    if len(out) + len(heads) >= limit:
                        break
                out += self._claim_heads(conn, heads, when)
                if len(out) >= limit:
                    return self._mark_alone(conn, out)
                # read on while a full page left the answer short: a deferred lead's backlog
                # (or, on PostgreSQL, the leads other workers hold) must not crowd the others out
                if not rows or (len(rows) < page and last == rows[-1][0]):
                    return self._mark_alone(conn, out)

    def _unreadable_item(self, conn: Connection, seq: int, attempts: int, exc: Exception) -> InboxItem:
        why = poison.reason("event", exc)
        return InboxItem(seq, self._stand_in(conn, seq, why), attempts, error=why)

    @staticmethod
    def _stand_in(conn: Connection, seq: int, why: str) -> Event:
        """The stand-in of event ``seq`` (whose document cannot be read), from its columns."""
        e = t.events.c
        row = conn.execute(select(e.event_id, e.workspace_id, e.lead_id, e.type, e.at).where(e.seq == seq)).one()
        return poison.unreadable_event(event_id=row[0], workspace_id=row[1], lead_id=row[2], type_=row[3],
                                       at=utc(row[4]), why=why)

    def with_pending(self, lead_ids: Collection[str]) -> set[str]:
        if not lead_ids:
            return set()
        with self._read() as conn:
            return self._pending_besides(conn, [(lead_id, 0) for lead_id in lead_ids])  # no event has seq 0

    def _mark_alone(self, conn: Connection, items: list[InboxItem]) -> list[InboxItem]:
        """Flag the items whose lead has no other pending event."""
        if not items:
            return items
        crowded = self._pending_besides(conn, [(i.event.lead_id, i.seq) for i in items])
        return [replace(i, alone=i.event.lead_id not in crowded) for i in items]

    def _pending_besides(self, conn: Connection, pairs: list[tuple[str, int]]) -> set[str]:
        """The leads of ``(lead, seq)`` (one pair a lead) with a pending event other than ``seq``:
        on SQLite one quick lookup a lead, elsewhere one query for them all."""
        if self._fast is not None:
            more = stmts.LEAD_HAS_MORE_PENDING
            return {
                lead_id
                for lead_id, seq in pairs
                if conn.execute(more, {"lead_id": lead_id, "seq": seq}).first() is not None
            }
        params = {"lead_ids": [lead for lead, _ in pairs], "seqs": [seq for _, seq in pairs]}
        return set(conn.execute(stmts.LEADS_WITH_MORE_PENDING, params).scalars())

    def _claim_heads(
        self, conn: Connection, heads: list[InboxItem], when: datetime | None
    ) -> list[InboxItem]:
        """The heads whose lead this store claimed and that are still pending (all of them without claims)."""
        if self._claims is None or not heads:
            return heads
        held = self._claims.claim((i.event.workspace_id, i.event.lead_id) for i in heads)
        mine = [i for i in heads if (i.event.workspace_id, i.event.lead_id) in held]
        if not mine:
            return []
        # read again now the lead is ours: another worker may have handled or deferred it meanwhile
        q = select(t.events.c.seq, t.events.c.attempts).where(
            t.events.c.seq.in_([i.seq for i in mine]),
            t.events.c.handled.is_(False),
            t.events.c.dead.is_(False),
        )
        if when is not None:
            q = q.where(t.events.c.available_at.is_(None) | (t.events.c.available_at <= when))
        pending = {int(seq): int(attempts) for seq, attempts in conn.execute(q)}
        return [replace(i, attempts=pending[i.seq]) for i in mine if i.seq in pending]

    def try_worker_lease(self) -> bool:
        return self._lease is None or self._lease.try_acquire()

    def claim_leads(self, leads: Collection[tuple[str, str]]) -> set[tuple[str, str]] | None:
        if self._claims is None:
            return None
        return self._claims.claim(leads)

    def claim_send_keys(self, keys: Collection[tuple[str, str, str]]) -> bool | None:
        if self._claims is None:
            return None
        wanted = {(ws, f"send\0{kind}\0{key.lower()}") for ws, kind, key in keys}
        return wanted <= self._claims.claim(wanted)

    def unpublished(self, *, limit: int = 500) -> list[tuple[int, Event]]:
        with self._pending_lock:
            marked = set(self._pending_published)
        with self._read() as conn:
            rows = [
                (seq, doc)
                for seq, doc in conn.execute(stmts.UNPUBLISHED, {"limit": limit + len(marked)})
                if seq not in marked
            ]
        out: list[tuple[int, Event]] = []
        for seq, doc in rows[:limit]:
            try:
                out.append((seq, Event.model_validate_json(doc)))
            except Exception as exc:  # a poison row: its stand-in, which the relay does not publish
                with self._read() as conn:
                    out.append((seq, self._stand_in(conn, seq, poison.reason("event", exc))))
        return out

    def unpublished_seqs(self, *, limit: int = 500) -> list[int]:
        with self._pending_lock:
            marked = set(self._pending_published)
        with self._read() as conn:
            seqs = conn.execute(stmts.UNPUBLISHED_SEQS, {"limit": limit + len(marked)}).scalars()
        return [seq for seq in seqs if seq not in marked][:limit]

    def mark_published(self, seqs: Sequence[int]) -> None:
        """Noted now, written with the next transaction: a mark lost in a crash only means the
        event is published again, which the bus's at-least-once contract allows anyway. (SQLite
        only, where one writer at a time rides along; on PostgreSQL it is written at once.)"""
        if not seqs:
            return
        if not self.is_sqlite:  # several writers: no extra row locks in their transactions
            with self._write() as conn:
                conn.execute(stmts.MARK_PUBLISHED_SKIP_LOCKED, {"b_seqs": sorted(seqs)})
            return
        with self._pending_lock:
            self._pending_published.update(seqs)
            full = len(self._pending_published) >= self.MAX_PENDING_MARKS
        if full:
            self.flush()

    def _write_pending(self, conn: Connection) -> tuple[dict[str, str], list[int]]:
        with self._pending_lock:
            meta, self._pending_meta = self._pending_meta, {}
            marks, self._pending_published = sorted(self._pending_published), set()
        try:
            for key, value in meta.items():
                self._set_meta(conn, key, value)
            if marks and self._fast is not None:
                conn.execute(stmts.MARK_ONE_PUBLISHED, [{"b_seq": seq} for seq in marks])
            else:
                for i in range(0, len(marks), 500):
                    conn.execute(stmts.MARK_PUBLISHED, {"b_seqs": marks[i : i + 500]})
        except BaseException:
            self._restore_pending(meta, marks)
            raise
        return meta, marks

    def _restore_pending(self, meta: dict[str, str], marks: list[int]) -> None:
        """The transaction that carried them rolled back: keep them for the next one."""
        with self._pending_lock:
            self._pending_meta = {**meta, **self._pending_meta}
            self._pending_published.update(marks)

    def defer(self, seq: int, *, error: str, until: datetime) -> int:
        with self._write() as conn:
            conn.execute(
                update(t.events)
                .where(t.events.c.seq == seq)
                .values(attempts=t.events.c.attempts + 1, available_at=db_time(until))
            )
            attempts = conn.execute(select(t.events.c.attempts).where(t.events.c.seq == seq)).scalar()
        if attempts is None:
            raise NotFound(f"no inbox item {seq}")
        return int(attempts)

    def dead_letter(self, seq: int, *, consumer: str, error: str, at: datetime) -> None:
        with self._write() as conn:
            e = t.events.c
            row = conn.execute(  # the columns, not the document: a poison event is dead-lettered too
                select(e.workspace_id, e.lead_id, e.event_id, e.attempts).where(e.seq == seq)
            ).first()
            if row is None:
                raise NotFound(f"no inbox item {seq}")
            conn.execute(update(t.events).where(t.events.c.seq == seq).values(dead=True))
            conn.execute(
                insert(t.dead_letters).values(
                    workspace_id=row[0],
                    lead_id=row[1],
                    event_id=row[2],
                    consumer=consumer,
                    error=error[:4000],
                    attempts=int(row[3]),
                    at=db_time(at),
                    status="dead",
                )
            )

    def list_dead(self, workspace_id: str | None = None) -> list[DeadLetter]:
        e = t.events.c
        q = (
            select(t.dead_letters, cast(e.doc, Text).label("doc"), e.type, e.at.label("event_at"))
            .join(t.events, t.events.c.event_id == t.dead_letters.c.event_id)
            .where(t.dead_letters.c.status == "dead")
            .order_by(t.dead_letters.c.id)
        )
        if workspace_id is not None:
            q = q.where(t.dead_letters.c.workspace_id == workspace_id)
        with self._read() as conn:
            return [
                DeadLetter(
                    r.id,
                    r.workspace_id,
                    r.lead_id,
                    self._event_or_stand_in(r.doc, r.event_id, r.workspace_id, r.lead_id, r.type, r.event_at),
                    r.consumer,
                    r.error,
                    r.attempts,
                    utc(r.at) or r.at,
                    r.status,
                )
                for r in conn.execute(q)
            ]

    @staticmethod
    def _event_or_stand_in(doc: str, event_id: Any, ws: Any, lead_id: Any, type_: Any, at: Any) -> Event:
        """The event of a row read with its columns; its stand-in when the document cannot be read."""
        try:
            return Event.model_validate_json(doc)
        except Exception as exc:
            return poison.unreadable_event(event_id=event_id, workspace_id=ws, lead_id=lead_id, type_=type_,
                                           at=utc(at), why=poison.reason("event", exc))

    def retry_dead(self, dead_id: int) -> None:
        with self._write() as conn:
            event_id = conn.execute(
                select(t.dead_letters.c.event_id).where(
                    t.dead_letters.c.id == dead_id, t.dead_letters.c.status == "dead"
                )
            ).scalar()
            if event_id is None:
                raise NotFound(f"no dead letter {dead_id}")
            conn.execute(
                update(t.dead_letters).where(t.dead_letters.c.id == dead_id).values(status="retried")
            )
            conn.execute(
                update(t.events)
                .where(t.events.c.event_id == event_id)
                .values(dead=False, attempts=0, available_at=None)
            )

    # -- actions ---------------------------------------------------------------------------
    @staticmethod
    def _action_row(r: Any) -> ActionRow:

        return ActionRow(
            r.seq,
            r.workspace_id,
            r.lead_id,
            OutboundAction.model_validate(r.doc),
            r.status,
            r.attempts,
            utc(r.created_at) or r.created_at,
            r.detail,
        )

    def postpone_action(self, seq: int, *, until: datetime, error: str, count_attempt: bool = True) -> int:
        with self._write() as conn:
            values: dict[str, Any] = {
                "attempts": t.actions.c.attempts + (1 if count_attempt else 0),
                "not_before": db_time(until),
                "detail": error[:2000],
            }
            found = conn.execute(
                select(
                    t.actions.c.doc,
                    t.actions.c.workspace_id,
                    t.actions.c.mailbox,
                    t.actions.c.domain,
                    t.SEND_TIME,
                ).where(t.actions.c.seq == seq)
            ).first()
            doc = None if found is None else found[0]
            if doc is not None:  # readers see the document (``ActionRow.action``): move its not_before too
                values["doc"] = {**doc, "not_before": (utc(until) or until).isoformat()}
            moved = conn.execute(
                update(t.actions)
                .where(t.actions.c.seq == seq, t.actions.c.status == "pending")
                .values(**values)
            ).rowcount
            if found is not None and moved:  # a pending send's time moves: out of one range, into another
                ws, mailbox, domain, was = found[1:]
                touch(conn, ws, mailbox, domain, was, scheduled=-1)
                touch(conn, ws, mailbox, domain, until, scheduled=1)
            attempts = conn.execute(select(t.actions.c.attempts).where(t.actions.c.seq == seq)).scalar()
        return int(attempts or 0)

    def _action_rows(self, conn: Connection, statement: Any, params: dict[str, Any], bad: list[tuple[int, str]]
                     ) -> list[ActionRow]:
        """``statement``'s actions; if one cannot be read, again row by row, the unreadable ones
        left out and added to ``bad`` as ``(seq, reason)`` (the hot path parses as before)."""
        try:  # (a database error raises again below)
            return [self._action_row(r) for r in conn.execute(statement, params).all()]
        except Exception:
            pass
        sub = statement.subquery()
        seqs = sorted(conn.execute(select(sub.c.seq), params).scalars())
        a = t.actions.c
        one = select(a.seq, a.workspace_id, a.lead_id, a.status, a.attempts, a.created_at, a.detail,
                     cast(a.doc, Text).label("doc"))
        out: list[ActionRow] = []
        for seq in seqs:
            r = conn.execute(one.where(a.seq == seq)).one()
            try:
                action = OutboundAction.model_validate_json(r.doc)
            except Exception as exc:
                bad.append((seq, poison.reason("action", exc)))
                continue
            out.append(ActionRow(r.seq, r.workspace_id, r.lead_id, action, r.status, r.attempts,
                                 utc(r.created_at) or r.created_at, r.detail))
        return out

    def _fail_unreadable_actions(self, bad: list[tuple[int, str]]) -> None:
        """Close pending actions whose document cannot be read as ``failed``, with the reason."""
        log.warning("failing %d unreadable action(s): %s", len(bad), "; ".join(f"{s}: {w}" for s, w in bad))
        with self._write() as conn:
            for seq, why in bad:
                for ws, mailbox, domain, at in conn.execute(
                    stmts.FINISH_ACTION, {"b_seq": seq, "b_status": "failed", "b_detail": why[:2000]}
                ).all():
                    touch(conn, ws, mailbox, domain, at, scheduled=-1)

    def due_actions(self, now: datetime, *, limit: int = 100) -> list[ActionRow]:
        bad: list[tuple[int, str]] = []
        rows = self._due_actions(now, limit, bad)
        if bad:
            self._fail_unreadable_actions(bad)
        return rows

    def _due_actions(self, now: datetime, limit: int, bad: list[tuple[int, str]]) -> list[ActionRow]:
        if self._claims is not None:
            self._claims.release_all()  # the dispatcher recorded the previous batch before asking again
        params = {"now": db_time(now), "after": 0, "limit": limit}
        with self._read() as conn:
            rows = self._action_rows(conn, stmts.DUE_ACTIONS, params, bad)
            if self._claims is None:
                return rows
            out: list[ActionRow] = []
            asked = limit
            while rows:  # page on past the leads other workers hold
                held = self._claims.claim({(r.workspace_id, r.lead_id) for r in rows})
                mine = [r for r in rows if (r.workspace_id, r.lead_id) in held]
                if mine:  # read again now the leads are ours: another worker may have sent meanwhile
                    still = set(
                        conn.execute(
                            select(t.actions.c.seq).where(
                                t.actions.c.status == "pending",
                                t.actions.c.not_before.is_(None) | (t.actions.c.not_before <= db_time(now)),
                                t.actions.c.seq.in_([r.seq for r in mine]),
                            )
                        ).scalars()
                    )
                    out += [r for r in mine if r.seq in still]
                if len(out) >= limit or len(rows) < asked:
                    return out
                asked = limit - len(out)
                params = {**params, "after": rows[-1].seq, "limit": asked}
                rows = self._action_rows(conn, stmts.DUE_ACTIONS, params, bad)
            return out

    def actions_for(self, workspace_id: str, lead_id: str) -> list[ActionRow]:
        q = (
            select(t.actions)
            .where(t.actions.c.lead_id == lead_id, t.actions.c.workspace_id == workspace_id)
            .order_by(t.actions.c.seq)
        )
        bad: list[tuple[int, str]] = []
        with self._read() as conn:
            rows = self._action_rows(conn, q, {}, bad)
        if bad:
            log.warning("unreadable actions of lead %s left out: %s", lead_id, "; ".join(w for _, w in bad))
        return rows

    # -- timers ----------------------------------------------------------------------------
    @staticmethod
    def _timer_row(r: Any) -> TimerRow:
        from leadflow.domain.actions import TimerSpec

        return TimerRow(r.seq, r.workspace_id, r.lead_id, TimerSpec.model_validate(r.doc), r.status)

    def _timer_rows(self, conn: Connection, statement: Any, params: dict[str, Any], bad: list[tuple[int, str]]
                    ) -> list[TimerRow]:
        """``statement``'s timers; as ``_action_rows``, row by row only when one cannot be read."""
        from leadflow.domain.actions import TimerSpec

        try:  # (a database error raises again below)
            return [self._timer_row(r) for r in conn.execute(statement, params).all()]
        except Exception:
            pass
        sub = statement.subquery()
        ti = t.timers.c
        one = select(ti.seq, ti.workspace_id, ti.lead_id, ti.status, cast(ti.doc, Text).label("doc"))
        out: list[TimerRow] = []
        for seq in list(conn.execute(select(sub.c.seq), params).scalars()):
            r = conn.execute(one.where(ti.seq == seq)).one()
            try:
                out.append(TimerRow(r.seq, r.workspace_id, r.lead_id, TimerSpec.model_validate_json(r.doc), r.status))
            except Exception as exc:
                bad.append((seq, poison.reason("timer", exc)))
        return out

    def due_timers(self, now: datetime, *, limit: int = 100) -> list[TimerRow]:
        bad: list[tuple[int, str]] = []
        with self._read() as conn:
            rows = self._timer_rows(conn, stmts.DUE_TIMERS, {"now": db_time(now), "limit": limit}, bad)
        if bad:  # an unreadable timer cannot fire: marked failed (the reason in the log), not read again
            log.warning("failing %d unreadable timer(s): %s", len(bad), "; ".join(f"{s}: {w}" for s, w in bad))
            with self._write() as conn:
                conn.execute(stmts.SET_TIMER_STATUS, [{"b_seq": s, "b_status": "failed"} for s, _ in bad])
        return rows

    def timers_for(self, workspace_id: str, lead_id: str, *, active_only: bool = True) -> list[TimerRow]:
        q = select(t.timers).where(t.timers.c.lead_id == lead_id, t.timers.c.workspace_id == workspace_id)
        if active_only:
            q = q.where(t.timers.c.status == "active")
        bad: list[tuple[int, str]] = []
        with self._read() as conn:
            rows = self._timer_rows(conn, q.order_by(t.timers.c.seq), {}, bad)
        if bad:
            log.warning("unreadable timers of lead %s left out: %s", lead_id, "; ".join(w for _, w in bad))
        return rows

    def next_wakeup(self) -> datetime | None:
        with self._read() as conn:
            row = conn.execute(stmts.NEXT_WAKEUP).one()
        times = [utc(x) for x in row if x is not None]
        return min(x for x in times if x is not None) if times else None

    # -- the rest ----------------------------------------------------------------------------
    def suppression_for(self, workspace_id: str, *addresses: str) -> str | None:
        with self._read() as conn:
            salt = self._salts.get(workspace_id) or _sql_privacy.salt(conn, workspace_id)
            if salt is not None:  # a workspace's erasure salt never changes once made
                self._salts[workspace_id] = salt
            # a few keys, each on the prebuilt (fast-path) statement: no expanding IN to compile
            keys = list(dict.fromkeys(k for a in addresses if a for k in suppression_keys(a, salt=salt)))
            for key in keys:
                if conn.execute(stmts.SUPPRESSED, {"ws": workspace_id, "address": key}).first() is not None:
                    return key
        return None

    def person_records(self, workspace_id: str, keys: Collection[str]) -> dict[str, list[dict[str, Any]]]:
        return _sql_privacy.person_records(self, workspace_id, keys)

    def erase_person(
        self, workspace_id: str, keys: Collection[str], *, salt: str, at: datetime | None = None
    ) -> ErasureReport:
        return _sql_privacy.erase_person(self, workspace_id, keys, salt=salt, at=at)

    def claim_key(self, scope: str, key: str) -> bool:
        try:
            with self._write() as conn:
                conn.execute(insert(t.claimed_keys).values(scope=scope, key=key[:500]))
        except IntegrityError:
            return False
        return True

    def release_key(self, scope: str, key: str) -> None:
        c = t.claimed_keys.c
        with self._write() as conn:
            conn.execute(t.claimed_keys.delete().where(c.scope == scope, c.key == key[:500]))

    def forget_keys(self, scope_from: str, scope_to: str) -> int:
        c = t.claimed_keys.c  # a range of the primary key's first column
        with self._write() as conn:
            res = conn.execute(t.claimed_keys.delete().where(c.scope >= scope_from, c.scope < scope_to))
        return int(res.rowcount or 0)

    def traces_for(self, workspace_id: str, lead_id: str) -> list[TraceRecord]:
        tr = t.traces.c
        q = (
            select(cast(tr.doc, Text), tr.at)
            .where(tr.lead_id == lead_id, tr.workspace_id == workspace_id)
            .order_by(tr.seq)
        )
        out: list[TraceRecord] = []
        with self._read() as conn:
            for doc, at in conn.execute(q):
                try:
                    out.append(TraceRecord.model_validate_json(doc))
                except Exception as exc:  # shown as what it is, not a crash of the whole trace
                    out.append(TraceRecord(workspace_id=workspace_id, lead_id=lead_id, event_id=None,
                                           agent=poison.UNREADABLE, at=utc(at) or at,
                                           error=poison.reason("trace", exc)))
        return out

    def add_reject(
        self, workspace_id: str, source: str, raw: str, error: str, at: datetime, *, limits: RejectLimits | None = None
    ) -> int:
        with self._write() as conn:
            return _sql_rejects.add_reject(conn, workspace_id, source, raw, error, at, limits or DEFAULT_LIMITS)

    def list_rejects(self, workspace_id: str) -> list[Reject]:
        with self._read() as conn:
            return _sql_rejects.list_rejects(conn, workspace_id)

    def get_meta(self, key: str) -> str | None:
        with self._pending_lock:
            if key in self._pending_meta:
                return self._pending_meta[key]
        with self._read() as conn:
            value = conn.execute(select(t.meta.c.value).where(t.meta.c.key == key)).scalar()
        return None if value is None else str(value)

    def set_meta(self, key: str, value: str, *, lazy: bool = False) -> None:
        if lazy and self.is_sqlite:
            with self._pending_lock:
                self._pending_meta[key] = value
            return
        with self._write() as conn:
            self._set_meta(conn, key, value)

    def add_meta(self, key: str, value: str) -> str:
        try:
            with self._write() as conn:
                current = conn.execute(stmts.META_VALUE, {"key": key}).scalar()
                if current is None:
                    conn.execute(stmts.INSERT_META, [{"key": key, "value": value}])
        except IntegrityError:  # another process inserted it first (PostgreSQL): theirs holds
            current = self.get_meta(key)
            assert current is not None
        return value if current is None else str(current)

    @staticmethod
    def _set_meta(conn: Connection, key: str, value: str) -> None:
        res = conn.execute(stmts.SET_META, {"b_key": key, "value": value})
        if res.rowcount == 0:
            conn.execute(stmts.INSERT_META, [{"key": key, "value": value}])

    def flush(self) -> None:
        """Write what waits for the next transaction (lazy metadata, publish marks) now."""
        with self._pending_lock:
            idle = not self._pending_meta and not self._pending_published
        if not idle:
            with self._write():
                pass  # the write transaction writes what is pending


class _WriteTx:
    """``with``: one write transaction of ``store``, with the writes it held back (published
    marks, metadata) and, once it commits, the send-count changes it made."""

    def __init__(self, store: SqlStore) -> None:
        self.store = store

    def __enter__(self) -> Connection:
        store = self.store
        if store._write_lock is not None:
            store._write_lock.acquire()
        try:
            # SQLite: on the kept connection (wrapped for the fast path); else a pooled one
            self.cm = store._kept.write() if store._kept is not None else store.engine.begin()
            conn: Connection = self.cm.__enter__()
            self.conn = conn
            conn.info[TOUCHED] = {}
            try:
                self.pending = store._write_pending(conn)
            except BaseException as exc:
                self.cm.__exit__(type(exc), exc, exc.__traceback__)
                raise
            return conn
        except BaseException:
            if store._write_lock is not None:
                store._write_lock.release()
            raise

    def __exit__(self, *exc: Any) -> None:
        store = self.store
        touched = self.conn.info.pop(TOUCHED, {})
        try:
            self.cm.__exit__(*exc)
        except BaseException:
            store._restore_pending(*self.pending)
            raise
        else:
            if exc[0] is not None:
                store._restore_pending(*self.pending)
            else:
                store._bump_send_keys(touched)
        finally:
            if store._write_lock is not None:
                store._write_lock.release()
