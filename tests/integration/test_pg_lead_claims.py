"""Per-lead claims on PostgreSQL: two stores (two workers) never get the same lead's work at once.

Each test works in a fresh database of its own. Store ``a`` and store ``b`` stand for two
worker processes; ``inbox`` and ``due_actions`` must hand a lead to one of them only, until
its holder asks again, closes, or dies.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from tests.contracts.store_contract import T0, action, commit, created_event, lead_state
from tests.services import fresh_pg_database

from leadflow.state._lead_claims import LeadClaims, claim_key
from leadflow.state.sql import SqlStore

pytestmark = pytest.mark.postgres


@pytest.fixture
def db_url(pg_url: str) -> Iterator[str]:
    with fresh_pg_database(pg_url, "leadflow_claims") as url:
        SqlStore(url).close()  # migrated once, before the stores under test open
        yield url


@pytest.fixture
def stores(db_url: str) -> Iterator[tuple[SqlStore, SqlStore]]:
    a, b = SqlStore(db_url, migrate=False), SqlStore(db_url, migrate=False)
    try:
        yield a, b
    finally:
        a.close()
        b.close()


def add_leads(store: SqlStore, *lead_ids: str) -> None:
    for lead_id in lead_ids:
        state = lead_state(lead_id)
        _, created = store.create_lead(state, created_event(state), dedupe_key=lead_id)
        assert created


def heads(store: SqlStore, limit: int = 100) -> list[str]:
    return [i.event.lead_id for i in store.inbox(now=T0, limit=limit)]


def test_claim_keys_are_stable_and_scoped_by_workspace() -> None:
    assert claim_key("ws", "lead-1") == claim_key("ws", "lead-1")
    assert claim_key("ws", "lead-1") != claim_key("ws", "lead-2")
    assert claim_key("ws", "lead-1") != claim_key("other", "lead-1")
    assert -(2**63) <= claim_key("ws", "lead-1") < 2**63


def test_a_lead_one_store_holds_is_skipped_by_the_other(stores: tuple[SqlStore, SqlStore]) -> None:
    a, b = stores
    add_leads(a, "l1", "l2", "l3")
    assert heads(a, limit=2) == ["l1", "l2"]
    assert heads(b) == ["l3"]  # read on past the held leads
    assert heads(a) == ["l1", "l2"]  # asking again releases and re-claims; l3 is b's
    assert heads(b) == ["l3"]


def test_claims_end_when_the_holder_asks_again_or_closes(
    db_url: str, stores: tuple[SqlStore, SqlStore]
) -> None:
    a, b = stores
    add_leads(a, "l1", "l2")
    assert heads(a) == ["l1", "l2"]
    assert heads(b) == []
    a.inbox(now=T0, limit=0)  # nothing asked for: everything released
    assert heads(b) == ["l1", "l2"]
    c = SqlStore(db_url, migrate=False)
    try:
        assert heads(c) == []
        b.close()  # b's claims go with it
        assert heads(c) == ["l1", "l2"]
    finally:
        c.close()


def test_a_killed_holder_loses_its_claims(db_url: str, stores: tuple[SqlStore, SqlStore]) -> None:
    a, _ = stores
    add_leads(a, "l1")
    code = (
        "import sys, time\nfrom leadflow.state.sql import SqlStore\nfrom datetime import UTC, datetime\n"
        f"s = SqlStore({db_url!r}, migrate=False)\n"
        "print([i.event.lead_id for i in s.inbox(now=datetime(2025, 3, 3, 9, tzinfo=UTC))], flush=True)\n"
        "time.sleep(60)\n"
    )
    src = str(Path(__file__).resolve().parents[2] / "src")
    child = subprocess.Popen(
        [sys.executable, "-c", code], stdout=subprocess.PIPE, text=True, env={**os.environ, "PYTHONPATH": src}
    )
    try:
        assert child.stdout is not None
        assert child.stdout.readline().strip() == "['l1']"
        assert heads(a) == []
    finally:
        child.kill()
        child.wait(30)
    for _ in range(50):  # the server notices the closed socket at once; allow it a moment
        if heads(a) == ["l1"]:
            break
        time.sleep(0.1)
    assert heads(a) == ["l1"]


def test_an_event_handled_while_claiming_is_not_handed_out(
    stores: tuple[SqlStore, SqlStore], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Between the inbox read and the claim, the previous holder may finish the event."""
    a, b = stores
    add_leads(a, "l1", "l2")
    claims = a._claims
    assert claims is not None
    real_claim = claims.claim

    def claim_after_b_handled(leads: object) -> set[tuple[str, str]]:
        [res] = b.apply([commit(lead_state("l1"), handled="created-l1")])
        assert res is None
        return real_claim(leads)  # type: ignore[arg-type]

    monkeypatch.setattr(claims, "claim", claim_after_b_handled)
    assert heads(a) == ["l2"]


def test_due_actions_go_to_one_store_per_lead(stores: tuple[SqlStore, SqlStore]) -> None:
    a, b = stores
    add_leads(a, "l1", "l2")
    assert a.apply([commit(lead_state("l1"), actions=[action("l1-first"), action("l1-second")])]) == [None]
    assert a.apply([commit(lead_state("l2"), actions=[action("l2-first")])]) == [None]

    def keys(store: SqlStore, limit: int = 100) -> list[str]:
        return [r.action.idempotency_key for r in store.due_actions(T0, limit=limit)]

    assert keys(a, limit=1) == ["l1-first"]  # a now holds l1, so its second action is a's too
    assert keys(b) == ["l2-first"]  # paged on past l1's actions
    assert keys(a) == ["l1-first", "l1-second"]
    assert keys(b, limit=1) == ["l2-first"]


def test_the_inbox_and_the_outbox_share_one_claim(stores: tuple[SqlStore, SqlStore]) -> None:
    """While one worker runs a lead's agents, no other delivers that lead's actions."""
    a, b = stores
    add_leads(a, "l1")
    assert a.apply([commit(lead_state("l1"), actions=[action("l1-first")])]) == [None]
    assert heads(a) == ["l1"]
    assert b.due_actions(T0) == []
    a.due_actions(T0, limit=0)  # a's next call: the lead is free again
    assert [r.action.idempotency_key for r in b.due_actions(T0)] == ["l1-first"]


def test_without_claims_both_stores_get_the_same_work(db_url: str) -> None:
    a, b = (SqlStore(db_url, migrate=False, lead_claims=False) for _ in range(2))
    try:
        add_leads(a, "l1")
        assert heads(a) == heads(b) == ["l1"]
    finally:
        a.close()
        b.close()


def test_sqlite_has_no_claims(tmp_path: Path) -> None:
    store = SqlStore(f"sqlite:///{tmp_path / 'one.db'}")
    try:
        assert store._claims is None
        add_leads(store, "l1")
        assert heads(store) == heads(store) == ["l1"]
    finally:
        store.close()


def test_a_lost_claims_connection_is_replaced(stores: tuple[SqlStore, SqlStore]) -> None:
    """The server dropping the connection drops its claims; the next call starts afresh, no error."""
    a, b = stores
    add_leads(a, "l1")
    claims = a._claims
    assert isinstance(claims, LeadClaims)
    assert heads(a) == ["l1"]
    conn = claims._conn
    assert conn is not None
    pid = int(conn.exec_driver_sql("SELECT pg_backend_pid()").scalar_one())
    with b.engine.connect() as admin:
        assert admin.exec_driver_sql(f"SELECT pg_terminate_backend({pid})").scalar_one() is True
    assert heads(b) == ["l1"]  # the claim died with the connection
    assert heads(a) == []  # no error: a reconnects, and l1 is b's now
    assert claims._conn is not None and claims._conn is not conn
    b.inbox(now=T0, limit=0)
    assert heads(a) == ["l1"]


def test_a_failing_claim_query_is_reported(
    stores: tuple[SqlStore, SqlStore], monkeypatch: pytest.MonkeyPatch
) -> None:
    a, _ = stores
    add_leads(a, "l1")
    monkeypatch.setattr("leadflow.state._lead_claims._TRY", text("SELECT no_such_function(1)"))
    with pytest.raises(DBAPIError):
        a.inbox(now=T0)


def test_leads_claimed_for_a_timer_or_a_reply_are_held_like_inbox_leads(stores: tuple[SqlStore, SqlStore]) -> None:
    """A fired timer's event is handled outside the inbox: its lead is claimed the same way, so
    two workers that both see the timer due do not both run its agents."""
    a, b = stores
    add_leads(a, "l1", "l2")
    ws = lead_state("l1").workspace_id
    assert a.claim_leads({(ws, "l1")}) == {(ws, "l1")}
    assert b.claim_leads({(ws, "l1"), (ws, "l2")}) == {(ws, "l2")}
    assert heads(b) == ["l2"]  # b asking again releases what it held, keeps skipping a's lead
    assert a.claim_leads({(ws, "l1")}) == {(ws, "l1")}  # held again by its holder
    a.inbox(now=T0, limit=0)  # a's next round: released
    assert b.claim_leads({(ws, "l1")}) == {(ws, "l1")}


def test_sqlite_claims_no_leads(tmp_path: Path) -> None:
    store = SqlStore(f"sqlite:///{tmp_path / 'one.db'}")
    try:
        assert store.claim_leads({("ws", "l1")}) is None  # one writer: nothing to keep out
    finally:
        store.close()
