"""The identity and suppression contract on every store backend (memory, SQLite, PostgreSQL)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from tests.contracts.identity_contract import IdentityContract, arrive, linked, person
from tests.contracts.store_contract import WS_A
from tests.services import empty_schema, fresh_pg_database

from leadflow.state.base import Store
from leadflow.state.memory import MemoryStore
from leadflow.state.sql import SqlStore


class TestMemoryIdentities(IdentityContract):
    def make_store(self) -> Store:
        return MemoryStore()


class SharedDatabase:
    """For backends where several ``Store`` objects share one database (other processes)."""

    url: str

    def test_concurrent_arrivals_of_one_person_make_one_lead(self) -> None:
        stores = [SqlStore(self.url) for _ in range(4)]
        gate = threading.Barrier(len(stores))
        results: list[tuple[str, bool]] = []
        errors: list[BaseException] = []

        def post(store: Store, n: int) -> None:
            try:
                state = person(f"r{n}", email="ada@example.com", phone="+14155550100", source="web",
                               source_lead_id=f"w-{n}")  # fmt: skip
                gate.wait()
                got, created = arrive(store, state)
                results.append((got.lead_id, created))
            except BaseException as exc:  # collected: a thread's error must fail the test
                errors.append(exc)

        threads = [threading.Thread(target=post, args=(s, n)) for n, s in enumerate(stores)]
        try:
            for th in threads:
                th.start()
            for th in threads:
                th.join(60)
            assert errors == []
            assert sorted(c for _, c in results) == [False, False, False, True]
            assert len({lid for lid, _ in results}) == 1
            assert len(stores[0].list_leads(WS_A)) == 1
            [winner] = [lid for lid, c in results if c]
            links = linked(stores[0], WS_A, winner)
            assert sorted(k for e in links for k in e["linked"]) == sorted(
                f"src:web:w-{n}" for n in range(4) if f"r{n}" != winner
            )
        finally:
            for s in stores:
                s.close()


class TestSqliteIdentities(SharedDatabase, IdentityContract):
    @pytest.fixture(autouse=True)
    def _db_file(self, tmp_path: Path) -> None:
        self.url = f"sqlite:///{tmp_path / 'leadflow.db'}"

    def make_store(self) -> Store:
        return SqlStore(self.url)


@pytest.fixture(scope="module")
def identity_db_url(pg_url: str) -> Iterator[str]:
    """A throw-away database on the test server, for this module alone."""
    with fresh_pg_database(pg_url, prefix="leadflow_identity") as url:
        yield url


@pytest.mark.postgres
class TestPostgresIdentities(SharedDatabase, IdentityContract):
    @pytest.fixture(autouse=True)
    def _clean_schema(self, identity_db_url: str) -> None:
        self.url = identity_db_url
        empty_schema(identity_db_url)

    def make_store(self) -> Store:
        return SqlStore(self.url)
