"""The auth-store contract beside ``SqlStore`` on PostgreSQL (skipped without LEADFLOW_TEST_PG_URL)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from tests.contracts.auth_contract import AuthStoreContract
from tests.services import empty_schema, fresh_pg_database

from leadflow.state.base import Store
from leadflow.state.sql import SqlStore

pytestmark = pytest.mark.postgres


@pytest.fixture(scope="module")
def auth_db_url(pg_url: str) -> Iterator[str]:
    with fresh_pg_database(pg_url, prefix="leadflow_auth") as url:
        yield url


class TestPostgresAuthStore(AuthStoreContract):
    @pytest.fixture(autouse=True)
    def _clean_schema(self, auth_db_url: str) -> None:
        self.url = auth_db_url
        empty_schema(auth_db_url)

    def make_store(self) -> Store:
        return SqlStore(self.url)
