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

import threading
from collections import deque
from collections.abc import Collection, Iterator, Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Engine, Executable, create_engine, event, func, insert, select, update
from sqlalchemy.exc import IntegrityError

from leadflow.domain.actions import OutboundAction
from leadflow.domain.events import Event
from leadflow.domain.models import Campaign, LeadState
from leadflow.exceptions import Conflict, NotFound
from leadflow.state import _sql_rejects
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
from leadflow.state._sql_sends import SqlSendCounts
from leadflow.state._sqlite_fast import FastConnection, FastStatements, KeptConnection, PooledReader
from leadflow.state._worker_lease import FileLease, sqlite_lease_path
from leadflow.state.base import Store
from leadflow.state.common import held_slot
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


class SqlStore(SqlSendCounts, Store):
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
        self, state: LeadState, created: Event, *, dedupe_key: str | None
    ) -> tuple[LeadState, bool]:
        with self._write() as conn:
            if dedupe_key is not None:
                doc = conn.execute(
                    select(t.leads.c.doc).where(
                        t.leads.c.workspace_id == state.workspace_id, t.leads.c.dedupe_key == dedupe_key
                    )
                ).scalar()
                if doc is not None:
                    return LeadState.model_validate(doc), False
            try:
                with conn.begin_nested():
                    conn.execute(insert(t.leads).values(dedupe_key=dedupe_key, **lead_row(state)))
                    conn.execute(insert(t.events).values(**event_row(created, queued=True)))
            except IntegrityError:
                # a concurrent writer (another process) created it first
                pass
            else:
                return state, True
        return self._existing(state.workspace_id, dedupe_key), False

    def _existing(self, workspace_id: str, dedupe_key: str | None) -> LeadState:
        with self._read() as conn:
            doc = conn.execute(
                select(t.leads.c.doc).where(
                    t.leads.c.workspace_id == workspace_id, t.leads.c.dedupe_key == dedupe_key
                )
            ).scalar()
        if doc is None:
            raise Conflict("lead id collision")
        return LeadState.model_validate(doc)

    def get_lead(self, workspace_id: str, lead_id: str) -> LeadState:
        with self._read() as conn:
            doc = conn.execute(stmts.LEAD_JSON, {"lead_id": lead_id, "ws": workspace_id}).scalar()
        if doc is None:
            raise NotFound(f"no lead {lead_id!r} in workspace {workspace_id!r}")
        return LeadState.model_validate_json(doc)

    def list_leads(
        self, workspace_id: str, *, stage: str | None = None, limit: int = 1000
    ) -> list[LeadState]:
        q = select(t.leads.c.doc).where(t.leads.c.workspace_id == workspace_id)
        if stage is not None:
            q = q.where(t.leads.c.stage == stage)
        q = q.order_by(t.leads.c.created_at, t.leads.c.lead_id).limit(limit)
        with self._read() as conn:
            return [LeadState.model_validate(d) for d in conn.execute(q).scalars()]

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
        q = (
            select(t.events.c.doc)
            .where(t.events.c.lead_id == lead_id, t.events.c.workspace_id == workspace_id)
            .order_by(t.events.c.seq)
        )
        with self._read() as conn:
            return [Event.model_validate(d) for d in conn.execute(q).scalars()]

    def all_events(self) -> Iterator[Event]:
        last = 0
        while True:
            with self._read() as conn:
                rows = conn.execute(
                    select(t.events.c.seq, t.events.c.doc)
                    .where(t.events.c.seq > last)
                    .order_by(t.events.c.seq)
                    .limit(2000)
                ).all()
            if not rows:
                return
            for seq, doc in rows:
                last = seq
                yield Event.model_validate(doc)

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
                    heads.append(InboxItem(seq, Event.model_validate_json(doc), attempts))
                    if len(out) + len(heads) >= limit:
                        break
                out += self._claim_heads(conn, heads, when)
                if len(out) >= limit:
                    return self._mark_alone(conn, out)
                # read on while a full page left the answer short: a deferred lead's backlog
                # (or, on PostgreSQL, the leads other workers hold) must not crowd the others out
                if not rows or (len(rows) < page and last == rows[-1][0]):
                    return self._mark_alone(conn, out)

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
        return [InboxItem(i.seq, i.event, pending[i.seq]) for i in mine if i.seq in pending]

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
        return [(seq, Event.model_validate_json(doc)) for seq, doc in rows[:limit]]

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
            row = conn.execute(
                select(t.events.c.doc, t.events.c.attempts).where(t.events.c.seq == seq)
            ).first()
            if row is None:
                raise NotFound(f"no inbox item {seq}")
            ev = Event.model_validate(row[0])
            conn.execute(update(t.events).where(t.events.c.seq == seq).values(dead=True))
            conn.execute(
                insert(t.dead_letters).values(
                    workspace_id=ev.workspace_id,
                    lead_id=ev.lead_id,
                    event_id=ev.id,
                    consumer=consumer,
                    error=error[:4000],
                    attempts=int(row[1]),
                    at=db_time(at),
                    status="dead",
                )
            )

    def list_dead(self, workspace_id: str | None = None) -> list[DeadLetter]:
        q = (
            select(t.dead_letters, t.events.c.doc)
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
                    Event.model_validate(r.doc),
                    r.consumer,
                    r.error,
                    r.attempts,
                    utc(r.at) or r.at,
                    r.status,
                )
                for r in conn.execute(q)
            ]

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

    def due_actions(self, now: datetime, *, limit: int = 100) -> list[ActionRow]:
        if self._claims is not None:
            self._claims.release_all()  # the dispatcher recorded the previous batch before asking again
        params = {"now": db_time(now), "after": 0, "limit": limit}
        with self._read() as conn:
            rows = [self._action_row(r) for r in conn.execute(stmts.DUE_ACTIONS, params)]
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
                rows = [self._action_row(r) for r in conn.execute(stmts.DUE_ACTIONS, params)]
            return out

    def actions_for(self, workspace_id: str, lead_id: str) -> list[ActionRow]:
        q = (
            select(t.actions)
            .where(t.actions.c.lead_id == lead_id, t.actions.c.workspace_id == workspace_id)
            .order_by(t.actions.c.seq)
        )
        with self._read() as conn:
            return [self._action_row(r) for r in conn.execute(q)]

    # -- timers ----------------------------------------------------------------------------
    @staticmethod
    def _timer_row(r: Any) -> TimerRow:
        from leadflow.domain.actions import TimerSpec

        return TimerRow(r.seq, r.workspace_id, r.lead_id, TimerSpec.model_validate(r.doc), r.status)

    def due_timers(self, now: datetime, *, limit: int = 100) -> list[TimerRow]:
        with self._read() as conn:
            return [
                self._timer_row(r)
                for r in conn.execute(stmts.DUE_TIMERS, {"now": db_time(now), "limit": limit})
            ]

    def timers_for(self, workspace_id: str, lead_id: str, *, active_only: bool = True) -> list[TimerRow]:
        q = select(t.timers).where(t.timers.c.lead_id == lead_id, t.timers.c.workspace_id == workspace_id)
        if active_only:
            q = q.where(t.timers.c.status == "active")
        with self._read() as conn:
            return [self._timer_row(r) for r in conn.execute(q.order_by(t.timers.c.seq))]

    def next_wakeup(self) -> datetime | None:
        with self._read() as conn:
            row = conn.execute(stmts.NEXT_WAKEUP).one()
        times = [utc(x) for x in row if x is not None]
        return min(x for x in times if x is not None) if times else None

    # -- the rest ----------------------------------------------------------------------------
    def is_suppressed(self, workspace_id: str, address: str) -> bool:
        with self._read() as conn:
            return (
                conn.execute(stmts.SUPPRESSED, {"ws": workspace_id, "address": address.lower()}).first()
                is not None
            )

    def claim_key(self, scope: str, key: str) -> bool:
        try:
            with self._write() as conn:
                conn.execute(insert(t.claimed_keys).values(scope=scope, key=key[:500]))
        except IntegrityError:
            return False
        return True

    def traces_for(self, workspace_id: str, lead_id: str) -> list[TraceRecord]:
        q = (
            select(t.traces.c.doc)
            .where(t.traces.c.lead_id == lead_id, t.traces.c.workspace_id == workspace_id)
            .order_by(t.traces.c.seq)
        )
        with self._read() as conn:
            return [TraceRecord.model_validate(d) for d in conn.execute(q).scalars()]

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
