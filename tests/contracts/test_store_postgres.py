"""The store contract on ``SqlStore`` over a real PostgreSQL server, plus concurrent writers.

The module works in a database of its own (created here, dropped at the end), so it never
disturbs other tests using ``pg_url``; every test starts from an empty, freshly migrated schema.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest
from tests.contracts.store_contract import WS_A, StoreContract, event, step
from tests.services import empty_schema, fresh_pg_database

from leadflow.domain.models import LeadState, Stage
from leadflow.exceptions import Conflict
from leadflow.state.base import Store
from leadflow.state.sql import SqlStore

pytestmark = pytest.mark.postgres


@pytest.fixture(scope="module")
def contract_db_url(pg_url: str) -> Iterator[str]:
    """A throw-away database on the test server, for this module alone."""
    with fresh_pg_database(pg_url, prefix="leadflow_contract") as url:
        yield url


class TestPostgresStore(StoreContract):
    @pytest.fixture(autouse=True)
    def _clean_schema(self, contract_db_url: str) -> None:
        self.url = contract_db_url
        empty_schema(contract_db_url)

    def make_store(self) -> Store:
        return SqlStore(self.url)  # migrates the empty schema

    @staticmethod
    def race(stores: list[SqlStore], current: LeadState, round_: int) -> list[Exception | None]:
        """Every store applies a commit on ``current``'s version at the same moment."""
        gate = threading.Barrier(len(stores))
        results: list[Exception | None] = []
        errors: list[BaseException] = []
        lock = threading.Lock()

        def write(s: Store, n: int) -> None:
            try:
                new = current.model_copy(update={"touches": 100 * round_ + n, "stage": Stage.CONTACTED})
                commit = step(current, new, events=[event(current, f"r{round_}-w{n}")])
                gate.wait()
                [res] = s.apply([commit])
                with lock:
                    results.append(res)
            except BaseException as exc:  # collected: a thread's error must fail the test
                errors.append(exc)

        threads = [threading.Thread(target=write, args=(s, n)) for n, s in enumerate(stores)]
        for th in threads:
            th.start()
        for th in threads:
            th.join(60)
        assert errors == []
        return results

    def test_concurrent_writers_on_one_version_one_wins(self, store: Store) -> None:
        lead = self.new_lead(store, "a1")
        stores = [SqlStore(self.url, migrate=False) for _ in range(2)]
        try:
            for round_ in range(5):
                results = self.race(stores, lead, round_)
                assert results.count(None) == 1, results
                [loser] = [r for r in results if r is not None]
                assert isinstance(loser, Conflict)
                live = store.get_lead(WS_A, "a1")
                assert live.version == lead.version + 1
                winner = live.touches - 100 * round_
                ids = [e.id for e in store.lead_events(WS_A, "a1")]
                assert f"r{round_}-w{winner}" in ids and f"r{round_}-w{1 - winner}" not in ids
                lead = live
        finally:
            for s in stores:
                s.close()
