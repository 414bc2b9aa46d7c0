"""Importing an export twice and into a second campaign (``move``), on every store backend:
the lead's campaign changes in the store's own index too (``list_leads``, a fresh store object)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from tests.services import fresh_pg_database

import leadflow.orchestrator.csv_formats as csv_formats
from leadflow.domain.events import EventType
from leadflow.domain.models import Campaign
from leadflow.orchestrator.clock import SystemClock
from leadflow.orchestrator.csv_import import import_csv
from leadflow.orchestrator.intake import Intake
from leadflow.state import MemoryStore
from leadflow.state.base import Store
from leadflow.state.sql import SqlStore

WS = "ws"
APOLLO_CSV = Path(__file__).resolve().parents[2] / "data" / "apollo_export.csv"


def exercise(store: Store, reopen: Store | None = None) -> None:
    for name in ("spring", "summer"):
        store.save_campaign(WS, Campaign(name=name))
    intake = Intake(store=store, clock=SystemClock())
    assert import_csv(intake, store, WS, "spring", APOLLO_CSV).created == 20
    assert import_csv(intake, store, WS, "spring", APOLLO_CSV).duplicates == 20
    assert import_csv(intake, store, WS, "summer", APOLLO_CSV).elsewhere == {"spring": 20}
    moved = import_csv(intake, store, WS, "summer", APOLLO_CSV, move=True)
    assert moved.moved == 20
    reader = reopen or store
    states = reader.list_leads(WS)
    assert len(states) == 20 and {s.campaign for s in states} == {"summer"}
    assert all(s.version == 2 for s in states)
    [event] = [e for e in reader.lead_events(WS, states[0].lead_id) if e.type == EventType.LEAD_MOVED]
    assert event.payload == {"from": "spring", "to": "summer", "reason": "csv import of apollo_export.csv"}


def test_memory() -> None:
    exercise(MemoryStore())


@pytest.fixture
def sqlite_url(tmp_path: Path) -> Iterator[str]:
    yield f"sqlite:///{tmp_path / 'leadflow.db'}"


def test_sqlite(sqlite_url: str) -> None:
    store, reopened = SqlStore(sqlite_url), None
    try:
        reopened = SqlStore(sqlite_url)
        exercise(store, reopened)
    finally:
        store.close()
        if reopened is not None:
            reopened.close()


@pytest.mark.postgres
def test_postgres(pg_url: str) -> None:
    with fresh_pg_database(pg_url, "leadflow_csv_move") as url:
        store, reopened = SqlStore(url), SqlStore(url)
        try:
            exercise(store, reopened)
        finally:
            store.close()
            reopened.close()


def test_csv_formats_public_names() -> None:
    assert csv_formats.__all__ == [
        "APOLLO", "FIELDS", "FORMATS", "GENERIC", "HUBSPOT", "SALESFORCE", "SALESNAV", "CsvFormat", "by_name",
        "detect", "normalize_header", "profile_id", "read_map", "split_location", "website_domain",
    ]
    assert [f.name for f in csv_formats.FORMATS] == ["apollo", "hubspot", "salesforce", "salesnav"]
