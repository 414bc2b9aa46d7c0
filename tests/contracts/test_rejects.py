"""Issue 10, finding 7: rejects are bounded (cap, retention, a count past a burst) on every backend."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from alembic import command
from fastapi.testclient import TestClient
from tests.contracts.rejects_contract import T0, RejectsContract
from tests.services import empty_schema, fresh_pg_database

from leadflow.api import create_app
from leadflow.api.auth import InsecureNoAuth
from leadflow.domain.models import Campaign
from leadflow.integrations.channels import TranscriptChannel
from leadflow.orchestrator.clock import FixedClock
from leadflow.runtime import Runtime
from leadflow.settings import Settings
from leadflow.state.base import Store
from leadflow.state.memory import MemoryStore
from leadflow.state.migrate import alembic_config, upgrade
from leadflow.state.sql import SqlStore


class TestMemoryRejects(RejectsContract):
    def make_store(self) -> Store:
        return MemoryStore()


class TestSqliteRejects(RejectsContract):
    @pytest.fixture(autouse=True)
    def _db_file(self, tmp_path: Path) -> None:
        self.path = tmp_path / "leadflow.db"

    def make_store(self) -> Store:
        return SqlStore(f"sqlite:///{self.path}")


@pytest.fixture(scope="module")
def rejects_db_url(pg_url: str) -> Iterator[str]:
    with fresh_pg_database(pg_url, prefix="leadflow_rejects") as url:
        yield url


@pytest.mark.postgres
class TestPostgresRejects(RejectsContract):
    @pytest.fixture(autouse=True)
    def _clean_schema(self, rejects_db_url: str) -> None:
        self.url = rejects_db_url
        empty_schema(rejects_db_url)

    def make_store(self) -> Store:
        return SqlStore(self.url)


def _size(path: Path) -> int:
    return sum(p.stat().st_size for p in path.parent.glob(path.name + "*"))  # the file, its WAL and shm


def test_twenty_rejected_990_kb_requests_grow_the_database_by_well_under_1_mb(tmp_path: Path) -> None:
    """The finding: 20 requests of 990 KB grew the database by 24 MB."""
    path = tmp_path / "leadflow.db"
    store = SqlStore(f"sqlite:///{path}")
    channel = TranscriptChannel()
    settings = Settings(db_url=f"sqlite:///{path}", transcript_path=str(tmp_path / "transcript.db"))
    runtime = Runtime.build(settings, store=store, channel=channel, clock=FixedClock(T0))
    try:
        runtime.store.save_campaign("default", Campaign(name="spring"))
        with sqlite3.connect(path) as c:
            c.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        before = _size(path)
        # a lead whose email is wrong and whose notes fill the body: a 422, kept as a reject
        body = json.dumps({"campaign": "spring", "first_name": "Ada", "email": "not-an-email",
                           "attributes": {"notes": "x" * 990_000}}).encode()
        assert 980_000 < len(body) < 1_000_000
        with TestClient(create_app(runtime, auth=InsecureNoAuth("default"))) as client:
            for _ in range(20):
                r = client.post("/v1/leads", content=body, headers={"content-type": "application/json"})
                assert r.status_code == 422, r.text
        rejects = runtime.store.list_rejects("default")
        assert len(rejects) == 20 and all(r.size == len(body) and r.truncated for r in rejects)
        with sqlite3.connect(path) as c:
            c.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        grown = _size(path) - before
        assert grown < 500_000, grown
    finally:
        runtime.close()
        channel.close()


def test_a_flood_of_rejects_past_the_burst_is_a_count(tmp_path: Path) -> None:
    settings = Settings(db_url="memory://", transcript_path=str(tmp_path / "t.db"), reject_burst=5)
    channel = TranscriptChannel()
    runtime = Runtime.build(settings, store=MemoryStore(), channel=channel, clock=FixedClock(T0))
    try:
        with TestClient(create_app(runtime, auth=InsecureNoAuth("default"))) as client:
            for n in range(50):
                r = client.post("/v1/leads", content=json.dumps({"campaign": "c", "email": f"bad-{n}"}).encode(),
                                headers={"content-type": "application/json"})
                assert r.status_code == 422
        rejects = runtime.store.list_rejects("default")
        assert len(rejects) == 6 and rejects[-1].count == 45 and rejects[-1].raw == ""
    finally:
        runtime.close()
        channel.close()


def test_migration_0008_bounds_the_rejects_of_a_0007_database(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    store = SqlStore(f"sqlite:///{path}")
    try:
        store.add_reject("ws", "csv:a.csv", "old row", "bad", T0)
        command.downgrade(alembic_config(store.engine), "0007")  # rejects and no secrets, as before 0008
        with sqlite3.connect(path) as c:
            columns = {r[1] for r in c.execute("PRAGMA table_info(rejects)")}
            tables = {r[0] for r in c.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        assert not {"size", "sha256", "count"} & columns and "webhook_secrets" not in tables
        upgrade(store.engine)
        upgrade(store.engine)  # and again: a no-op
        [old] = store.list_rejects("ws")
        assert (old.raw, old.size, old.count) == ("old row", 7, None)  # a row from before: its size is its text
        store.add_reject("ws", "csv:a.csv", "y" * 100_000, "bad", T0 + timedelta(seconds=1))
        assert len(store.list_rejects("ws")[-1].raw) == 16 * 1024
    finally:
        store.close()
