"""The identity and suppression contract on every store backend (memory, SQLite, PostgreSQL)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, make_url, text
from tests.contracts.identity_contract import IdentityContract

from leadflow.state import schema
from leadflow.state.base import Store
from leadflow.state.memory import MemoryStore
from leadflow.state.sql import SqlStore


class TestMemoryIdentities(IdentityContract):
    def make_store(self) -> Store:
        return MemoryStore()


class TestSqliteIdentities(IdentityContract):
    @pytest.fixture(autouse=True)
    def _db_file(self, tmp_path: Path) -> None:
        self.url = f"sqlite:///{tmp_path / 'leadflow.db'}"

    def make_store(self) -> Store:
        return SqlStore(self.url)


@pytest.fixture(scope="module")
def identity_db_url(pg_url: str) -> Iterator[str]:
    """A throw-away database on the test server, for this module alone."""
    name = f"leadflow_identity_{uuid.uuid4().hex[:12]}"
    admin = create_engine(pg_url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        yield make_url(pg_url).set(database=name).render_as_string(hide_password=False)
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        admin.dispose()


@pytest.mark.postgres
class TestPostgresIdentities(IdentityContract):
    @pytest.fixture(autouse=True)
    def _clean_schema(self, identity_db_url: str) -> None:
        self.url = identity_db_url
        engine = create_engine(identity_db_url)
        try:
            with engine.begin() as conn:
                schema.metadata.drop_all(conn)
                conn.execute(text("DROP TABLE IF EXISTS alembic_version"))
        finally:
            engine.dispose()

    def make_store(self) -> Store:
        return SqlStore(self.url)
