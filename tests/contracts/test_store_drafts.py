"""The drafts contract on every store backend: memory, SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from tests.contracts.drafts_contract import DraftsContract
from tests.services import empty_schema, fresh_pg_database

from leadflow.state.base import Store
from leadflow.state.memory import MemoryStore
from leadflow.state.sql import SqlStore


class TestMemoryDrafts(DraftsContract):
    def make_store(self) -> Store:
        return MemoryStore()


class TestSqliteDrafts(DraftsContract):
    @pytest.fixture(autouse=True)
    def _db_file(self, tmp_path: Path) -> None:
        self.url = f"sqlite:///{tmp_path / 'drafts.db'}"

    def make_store(self) -> Store:
        return SqlStore(self.url)


@pytest.fixture(scope="module")
def drafts_db_url(pg_url: str) -> Iterator[str]:
    with fresh_pg_database(pg_url, prefix="leadflow_drafts") as url:
        yield url


@pytest.mark.postgres
class TestPostgresDrafts(DraftsContract):
    @pytest.fixture(autouse=True)
    def _clean_schema(self, drafts_db_url: str) -> Iterator[None]:
        empty_schema(drafts_db_url)
        self.url = drafts_db_url
        yield

    def make_store(self) -> Store:
        return SqlStore(self.url)
