"""Migration 0005: the inbox's and the relay's indexes hold only pending / unpublished events."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from alembic import command
from tests.contracts.store_contract import created_event, lead_state

from leadflow.state.migrate import alembic_config, upgrade
from leadflow.state.sql import SqlStore


def _indexes(path: Path) -> set[str]:
    with sqlite3.connect(path) as c:
        return {r[0] for r in c.execute("SELECT name FROM sqlite_master WHERE type='index' AND tbl_name='events'")}


def test_a_0004_database_gets_the_partial_indexes_and_keeps_its_events(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    store = SqlStore(f"sqlite:///{path}")
    try:
        state = lead_state("a1")
        store.create_lead(state, created_event(state), dedupe_key=None)
        command.downgrade(alembic_config(store.engine), "0004")  # the indexes as 0001-0004 built them
        assert {"ix_events_inbox", "ix_events_unpublished"} <= _indexes(path)
        upgrade(store.engine)
        assert {"ix_events_pending", "ix_events_to_publish"} <= _indexes(path)
        assert not {"ix_events_inbox", "ix_events_unpublished"} & _indexes(path)
        assert [i.event.id for i in store.inbox()] == ["created-a1"]
        assert len(store.unpublished_seqs()) == 1
    finally:
        store.close()


def test_the_inbox_and_the_relay_read_through_them(tmp_path: Path) -> None:
    from sqlalchemy.dialects import sqlite

    from leadflow.state import _stmts as stmts
    from leadflow.state._sqlite_fast import _Compiled

    path = tmp_path / "plan.db"
    SqlStore(f"sqlite:///{path}").close()
    params = {"after": 0, "page": 10, "limit": 10}
    with sqlite3.connect(path) as c:
        for stmt, index in ((stmts.INBOX_PAGE, "ix_events_pending"), (stmts.UNPUBLISHED_SEQS, "ix_events_to_publish")):
            compiled = _Compiled(stmt, sqlite.dialect())
            plan = " ".join(str(r) for r in c.execute("EXPLAIN QUERY PLAN " + compiled.sql, compiled.values(params)))
            assert index in plan, plan
