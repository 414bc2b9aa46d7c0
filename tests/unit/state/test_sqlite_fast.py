"""The SQLite fast path runs the store's hot statements exactly as SQLAlchemy would.

``FastConnection`` runs known prebuilt statements on the DB-API connection; here every one of
them is run both ways on one populated database and the answers compared, and errors are shown
to arrive as SQLAlchemy's.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import Executable
from sqlalchemy.exc import IntegrityError

from leadflow.sim.run import open_simulation
from leadflow.state import _stmts as stmts
from leadflow.state._sqlite_fast import FastConnection
from leadflow.state.sql import SqlStore

NOW = datetime(2026, 3, 20, 15, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Any:
    """A campaign run halfway: pending actions, active timers, handled and unhandled events."""
    out = tmp_path_factory.mktemp("fast")
    run = open_simulation(db_url=f"sqlite:///{out / 'fast.db'}", transcript_path=out / "t.db", leads=30)
    run.runtime.worker.run_until_idle()
    for _ in range(40):
        run.runtime.worker.run_until_idle(simulate=True, max_rounds=5)
    store = run.runtime.store
    assert isinstance(store, SqlStore) and store._fast is not None
    yield store
    run.close()


def _reads(store: SqlStore) -> list[tuple[str, Any, dict[str, Any]]]:
    lead = store.list_leads("demo", limit=1)[0]
    window = {"since": NOW - timedelta(days=30), "until": NOW + timedelta(days=30)}
    mailbox = next(
        r.action.payload["from"]
        for s in store.list_leads("demo")
        for r in store.actions_for("demo", s.lead_id)
        if r.action.payload.get("from")
    )
    return [
        ("LEAD_DOC", stmts.LEAD_DOC, {"lead_id": lead.lead_id, "ws": "demo"}),
        ("LEAD_JSON", stmts.LEAD_JSON, {"lead_id": lead.lead_id, "ws": "demo"}),
        ("LEAD_HAS_MORE_PENDING", stmts.LEAD_HAS_MORE_PENDING, {"lead_id": lead.lead_id, "seq": 0}),
        ("KNOWN_KEY", stmts.KNOWN_KEY, {"key": store.actions_for("demo", lead.lead_id)[0].action.idempotency_key}),
        (
            "ACTIVE_TIMERS",
            stmts.ACTIVE_TIMERS,
            {"lead_id": store.due_timers(NOW + timedelta(days=60))[0].lead_id},
        ),
        ("INBOX_PAGE", stmts.INBOX_PAGE, {"after": 0, "page": 50}),
        ("UNPUBLISHED", stmts.UNPUBLISHED, {"limit": 50}),
        ("DUE_ACTIONS", stmts.DUE_ACTIONS, {"now": NOW + timedelta(days=60), "after": 0, "limit": 50}),
        ("DUE_TIMERS", stmts.DUE_TIMERS, {"now": NOW + timedelta(days=60), "limit": 50}),
        ("NEXT_WAKEUP", stmts.NEXT_WAKEUP, {}),
        ("SUPPRESSED", stmts.SUPPRESSED, {"ws": "demo", "address": lead.lead.email or ""}),
        ("SENDS_BY_MAILBOX", stmts.SENDS_BY_MAILBOX, {"ws": "demo", "key": mailbox.lower(), **window}),
        ("FIRST_SEND", stmts.FIRST_SEND, {"ws": "demo", "key": mailbox.lower()}),
    ]


def test_every_hot_read_answers_as_sqlalchemy_does(store: SqlStore) -> None:
    assert store._fast is not None
    for name, stmt, params in _reads(store):
        assert store._fast.compiled(stmt, None) is not None, f"{name} should run on the fast path"
        with store.engine.connect().execution_options(leadflow_read=True) as conn:
            slow = [tuple(r) for r in conn.execute(stmt, params).all()]
        with store.engine.connect().execution_options(leadflow_read=True) as conn:
            fast = [tuple(r) for r in FastConnection(conn, store._fast).execute(stmt, params).all()]
        assert fast == slow, name
        if name in (
            "LEAD_DOC",
            "LEAD_JSON",
            "KNOWN_KEY",
            "ACTIVE_TIMERS",
            "DUE_TIMERS",
            "NEXT_WAKEUP",
            "SENDS_BY_MAILBOX",
            "FIRST_SEND",
        ):
            assert any(v is not None for row in fast for v in row), f"{name}: nothing to compare"


def test_rows_have_named_columns_and_typed_values(store: SqlStore) -> None:
    assert store._fast is not None
    with store.engine.connect().execution_options(leadflow_read=True) as conn:
        fast = FastConnection(conn, store._fast)
        [row] = fast.execute(stmts.INBOX_PAGE, {"after": 0, "page": 1}).all() or [None]
        if row is not None:
            assert isinstance(row.doc, str) and isinstance(row.seq, int)  # JSON text, parsed by pydantic
        due = fast.execute(stmts.DUE_TIMERS, {"now": NOW + timedelta(days=60), "limit": 5}).all()
        assert due and all(isinstance(r.fire_at, datetime) and isinstance(r.doc, dict) for r in due)


def test_expanding_and_unknown_statements_go_to_sqlalchemy(store: SqlStore) -> None:
    assert store._fast is not None
    assert store._fast.compiled(stmts.MARK_PUBLISHED, None) is None  # IN (...) of a list
    from sqlalchemy import select

    from leadflow.state import schema as t

    adhoc = select(t.leads.c.lead_id).limit(2)
    assert store._fast.compiled(adhoc, None) is None
    with store.engine.connect() as conn:
        assert len(FastConnection(conn, store._fast).execute(adhoc).all()) == 2
        published = FastConnection(conn, store._fast).execute(stmts.MARK_PUBLISHED, {"b_seqs": [-1, -2]})
        assert published.rowcount == 0


def test_a_constraint_violation_is_sqlalchemys_integrity_error(store: SqlStore, tmp_path: Path) -> None:
    assert store._fast is not None
    with store.engine.connect() as conn:
        doc = (
            conn.execute(stmts.UNPUBLISHED, {"limit": 1}).first()
            or conn.execute(stmts.INBOX_PAGE, {"after": 0, "page": 1}).first()
        )
    assert doc is not None
    from leadflow.state import schema as t

    with store.engine.connect() as conn:
        existing = conn.execute(t.events.select().limit(1)).mappings().one()
    row = {k: v for k, v in existing.items() if k != "seq"}
    with store.engine.begin() as conn:
        fast = FastConnection(conn, store._fast)
        with pytest.raises(IntegrityError):
            fast.execute(stmts.INSERT_EVENT, [row])  # the same event id again
        assert isinstance(stmts.INSERT_EVENT, Executable)


def test_a_savepoint_rolls_back_only_what_ran_inside_it(tmp_path: Path) -> None:
    store = SqlStore(f"sqlite:///{tmp_path / 'sp.db'}")
    from leadflow.state import schema as t

    def meta(key: str) -> Any:
        with store.engine.connect() as conn:
            return conn.execute(t.meta.select().where(t.meta.c.key == key)).first()

    try:
        with store._write() as conn:
            assert isinstance(conn, FastConnection)
            conn.execute(t.meta.insert().values(key="before", value="1"))
            with pytest.raises(RuntimeError), conn.savepoint():
                conn.execute(t.meta.insert().values(key="inside", value="1"))
                raise RuntimeError("refused")
            with conn.savepoint():
                conn.execute(t.meta.insert().values(key="kept", value="1"))
        assert meta("before") is not None and meta("kept") is not None
        assert meta("inside") is None
    finally:
        store.close()


@given(st.datetimes(timezones=st.none() | st.timezones()))
def test_datetime_parameters_are_written_as_sqlalchemy_writes_them(value: datetime) -> None:
    from sqlalchemy import DateTime
    from sqlalchemy.dialects import sqlite

    from leadflow.state._sqlite_fast import _iso_datetime

    dialect = sqlite.dialect()
    process = DateTime().dialect_impl(dialect).bind_processor(dialect)
    assert process is not None
    fast = _iso_datetime(process)
    assert fast is not process  # the default storage format: the quick one is used
    assert fast(value) == process(value)
    assert fast(None) is None and fast(value.date()) == process(value.date())
