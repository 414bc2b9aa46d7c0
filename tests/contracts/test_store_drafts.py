"""The drafts contract on every store backend: memory, SQLite and PostgreSQL."""

from __future__ import annotations

from pathlib import Path

import pytest
from tests.contracts.drafts_contract import DraftsContract

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
