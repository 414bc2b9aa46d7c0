"""The store contract on ``SqlStore`` over a SQLite file, plus what only a file can show."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from sqlalchemy import inspect
from tests.contracts.store_contract import WS_A, StoreContract, action, at, commit, event, ok, step

from leadflow.domain.models import Stage
from leadflow.state.base import Store
from leadflow.state.migrate import upgrade
from leadflow.state.sql import SqlStore


class TestSqliteStore(StoreContract):
    @pytest.fixture(autouse=True)
    def _db_file(self, tmp_path: Path) -> None:
        self.path = tmp_path / "leadflow.db"

    @property
    def url(self) -> str:
        return f"sqlite:///{self.path}"

    def make_store(self) -> Store:
        return SqlStore(self.url)

    def test_data_survives_closing_and_reopening(self, store: Store) -> None:
        a = self.new_lead(store, "a1")
        ok(
            store.apply(
                [
                    step(
                        a,
                        a.model_copy(update={"stage": Stage.CONTACTED}),
                        events=[event(a, "e1")],
                        actions=[action("send-1", not_before=at(5))],
                    )
                ]
            )
        )
        store.set_meta("clock", "t1")
        assert store.claim_key("reply", "m1")
        store.close()
        reopened = self.make_store()
        try:
            assert reopened.get_lead(WS_A, "a1").stage == Stage.CONTACTED
            assert [e.id for e in reopened.lead_events(WS_A, "a1")][-1] == "e1"
            assert [r.action.idempotency_key for r in reopened.due_actions(at(5))] == ["send-1"]
            assert reopened.get_meta("clock") == "t1"
            assert not reopened.claim_key("reply", "m1")
            assert [i.event.id for i in reopened.inbox(now=at(0))] == ["created-a1"]
        finally:
            reopened.close()

    def test_migrations_are_idempotent(self, store: Store) -> None:
        self.new_lead(store, "a1")
        assert isinstance(store, SqlStore)
        upgrade(store.engine)
        second = SqlStore(self.url)
        try:
            assert second.get_lead(WS_A, "a1").lead_id == "a1"
            tables = set(inspect(second.engine).get_table_names())
            assert {"alembic_version", "leads", "events", "actions", "timers"} <= tables
        finally:
            second.close()

    def test_two_writers_on_one_file(self, store: Store) -> None:
        other = self.make_store()
        leads = {name: self.new_lead(store, name) for name in ("a1", "b1")}
        errors: list[BaseException] = []
        start = threading.Barrier(2)

        def write(s: Store, lead_id: str) -> None:
            try:
                start.wait()
                current = leads[lead_id]
                for n in range(20):
                    new = current.model_copy(update={"touches": n + 1})
                    ok(s.apply([step(current, new, events=[event(current, f"{lead_id}-{n}")])]))
                    current = s.get_lead(WS_A, lead_id)
                    s.add_reject(WS_A, "test", f"{lead_id}-{n}", "x", at(0))
            except BaseException as exc:  # collected: a thread's error must fail the test
                errors.append(exc)

        threads = [
            threading.Thread(target=write, args=(store, "a1")),
            threading.Thread(target=write, args=(other, "b1")),
        ]
        try:
            for th in threads:
                th.start()
            for th in threads:
                th.join(60)
        finally:
            other.close()
        assert errors == []
        assert store.get_lead(WS_A, "a1").touches == 20
        assert store.get_lead(WS_A, "b1").version == 21
        assert len(store.list_rejects(WS_A)) == 40
        ok(store.apply([commit(leads["a1"], events=[event(leads["a1"], "after")])]))
