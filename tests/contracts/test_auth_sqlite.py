"""The auth-store contract beside ``SqlStore`` on a SQLite file, plus what only a file shows."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import inspect, text
from tests.contracts.auth_contract import AuthStoreContract

from leadflow.auth import KeyRing, auth_store_for
from leadflow.state.base import Store
from leadflow.state.migrate import upgrade
from leadflow.state.sql import SqlStore


class TestSqliteAuthStore(AuthStoreContract):
    @pytest.fixture(autouse=True)
    def _db_file(self, tmp_path: Path) -> None:
        self.path = tmp_path / "leadflow.db"

    def make_store(self) -> Store:
        return SqlStore(f"sqlite:///{self.path}")

    def test_keys_survive_reopening_and_migrating_again(self, store: Store) -> None:
        record, key = KeyRing(store).create("ws-a", "admin", actor="cli:ann")
        assert isinstance(store, SqlStore)
        upgrade(store.engine)  # 0006 on tables 0001 already built from the schema: a no-op
        store.close()
        reopened = self.make_store()
        try:
            assert isinstance(reopened, SqlStore)
            assert {"api_keys", "audit_log"} <= set(inspect(reopened.engine).get_table_names())
            verdict = KeyRing(reopened).check(key)
            assert verdict.key is not None and verdict.key.key_id == record.key_id
            assert [e.action for e in auth_store_for(reopened).list_audit("ws-a")] == ["key.create"]
        finally:
            reopened.close()

    def test_0006_adds_the_tables_to_a_database_from_before_it(self, store: Store) -> None:
        assert isinstance(store, SqlStore)
        with store.engine.begin() as conn:  # a database as 0005 left it
            conn.execute(text("DROP TABLE api_keys"))
            conn.execute(text("DROP TABLE audit_log"))
            conn.execute(text("UPDATE alembic_version SET version_num = '0005'"))
        store.close()
        upgraded = self.make_store()
        try:
            assert isinstance(upgraded, SqlStore)
            assert {"api_keys", "audit_log"} <= set(inspect(upgraded.engine).get_table_names())
            _, key = KeyRing(upgraded).create("ws-a", "viewer", actor="cli:ann")
            assert KeyRing(upgraded).check(key).key is not None
        finally:
            upgraded.close()
