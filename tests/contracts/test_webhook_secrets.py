"""The webhook-secret contract on memory and SQLite; PostgreSQL when LEADFLOW_TEST_PG_URL is given."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from tests.contracts.webhook_secrets_contract import T0, SecretStoreContract
from tests.services import empty_schema, fresh_pg_database

from leadflow.integrations.webhooks import create_secret, secret_store_for
from leadflow.state.base import Store
from leadflow.state.memory import MemoryStore
from leadflow.state.sql import SqlStore


class TestMemorySecrets(SecretStoreContract):
    def make_store(self) -> Store:
        return MemoryStore()


class TestSqliteSecrets(SecretStoreContract):
    @pytest.fixture(autouse=True)
    def _db_file(self, tmp_path: Path) -> None:
        self.path = tmp_path / "leadflow.db"

    def make_store(self) -> Store:
        return SqlStore(f"sqlite:///{self.path}")

    def test_secrets_survive_reopening(self, store: Store) -> None:
        made = create_secret(secret_store_for(store), "ws-a", "leads", now=T0)
        store.close()
        reopened = self.make_store()
        try:
            assert secret_store_for(reopened).list_secrets("ws-a") == [made]
        finally:
            reopened.close()


@pytest.fixture(scope="module")
def secrets_db_url(pg_url: str) -> Iterator[str]:
    with fresh_pg_database(pg_url, prefix="leadflow_whsec") as url:
        yield url


@pytest.mark.postgres
class TestPostgresSecrets(SecretStoreContract):
    @pytest.fixture(autouse=True)
    def _clean_schema(self, secrets_db_url: str) -> None:
        self.url = secrets_db_url
        empty_schema(secrets_db_url)

    def make_store(self) -> Store:
        return SqlStore(self.url)
