"""Fixtures for the poison tests: a whole runtime on a real SQLite file, and ways to plant rows
the store's own writes would never make (straight SQL, past every validation)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import insert

from leadflow.api import create_insecure_app
from leadflow.domain.models import Campaign
from leadflow.integrations.channels import TranscriptChannel
from leadflow.orchestrator.clock import FixedClock
from leadflow.runtime import Runtime
from leadflow.settings import Settings
from leadflow.state import open_store
from leadflow.state import schema as t
from leadflow.state.sql import SqlStore

WS = "default"
CAMPAIGN = "spring"
NOW = datetime(2024, 3, 5, 15, 0, tzinfo=UTC)  # a Tuesday, 10:00 in New York: inside every send window


def deep(depth: int) -> str:
    """``{"a":{"a":…1…}}`` nested ``depth`` levels: past pydantic's JSON parser (about 200)."""
    return '{"a":' * depth + "1" + "}" * depth


@pytest.fixture
def db_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'leadflow.db'}"


@pytest.fixture
def rt(tmp_path: Path, db_url: str) -> Iterator[Runtime]:
    channel = TranscriptChannel(":memory:")
    settings = Settings(db_url=db_url, transcript_path=str(tmp_path / "transcript.db"), workspace=WS)
    runtime = Runtime.build(settings, store=open_store(db_url), clock=FixedClock(NOW), channel=channel)
    runtime.store.save_campaign(WS, Campaign(name=CAMPAIGN))
    yield runtime
    runtime.close()
    channel.close()


def sql(rt: Runtime) -> SqlStore:
    assert isinstance(rt.store, SqlStore)
    return rt.store


def plant_event(rt: Runtime, lead_id: str, doc_text: str, *, event_id: str = "poison-1",
                type_: str = "lead.created") -> None:
    """An inbox event whose stored document is ``doc_text``, verbatim."""
    with sql(rt).engine.begin() as conn:
        conn.execute(insert(t.events).values(
            event_id=event_id, workspace_id=WS, lead_id=lead_id, type=type_, at=NOW.replace(tzinfo=None),
            doc={}, queued=True, handled=False, dead=False, published=False, attempts=0))
        conn.exec_driver_sql("UPDATE events SET doc = ? WHERE event_id = ?", (doc_text, event_id))


def poison_lead_doc(rt: Runtime, lead_id: str, depth: int = 250) -> None:
    """Overwrite a lead's stored document with one whose ``attributes`` nest ``depth`` deep."""
    store = sql(rt)
    with store.engine.begin() as conn:
        doc = conn.exec_driver_sql("SELECT doc FROM leads WHERE lead_id = ?", (lead_id,)).scalar()
        text = json.dumps(json.loads(doc) | {"lead": {**json.loads(doc)["lead"], "attributes": "@@"}})
        conn.exec_driver_sql("UPDATE leads SET doc = ? WHERE lead_id = ?",
                             (text.replace('"@@"', deep(depth)), lead_id))
    store._docs.clear()  # what this process last wrote is not what is stored now


def run_out_retries(rt: Runtime, rounds: int = 12) -> None:
    """Tick, jumping the clock past each retry's backoff, until the retries are spent."""
    clock = rt.clock
    assert isinstance(clock, FixedClock)
    for _ in range(rounds):
        rt.worker.run_until_idle()
        clock.advance_to(clock.now() + timedelta(minutes=5))
    rt.worker.run_until_idle()



def make_app(runtime: Runtime) -> FastAPI:
    """The API over ``runtime`` without API keys: these tests are about bodies, not callers
    (the keys and roles have tests of their own)."""
    return create_insecure_app(runtime)


@pytest.fixture
def client(rt: Runtime) -> Iterator[TestClient]:
    """A TestClient over the real SQLite runtime; a route's exception comes back as its response."""
    with TestClient(make_app(rt), raise_server_exceptions=False) as c:
        yield c
