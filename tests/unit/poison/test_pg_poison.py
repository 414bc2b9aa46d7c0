"""The poison tests' core on PostgreSQL: a stored event or lead document nested past pydantic's
parser (valid JSON to PostgreSQL, unreadable to leadflow) is retried, dead-lettered with the
reason, and every other lead goes on; the log reads back with stand-ins."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import insert, text
from tests.services import fresh_pg_database
from tests.unit.poison.conftest import CAMPAIGN, NOW, WS, deep, run_out_retries

from leadflow.domain.actions import ActionKind
from leadflow.domain.models import Campaign, Lead
from leadflow.integrations.channels import TranscriptChannel
from leadflow.orchestrator.clock import FixedClock
from leadflow.runtime import Runtime
from leadflow.settings import Settings
from leadflow.state import schema as t
from leadflow.state.poison import is_unreadable
from leadflow.state.sql import SqlStore

pytestmark = pytest.mark.postgres


@pytest.fixture
def pg_rt(pg_url: str, tmp_path: Path) -> Iterator[Runtime]:
    with fresh_pg_database(pg_url, "leadflow_poison") as url:
        channel = TranscriptChannel(":memory:")
        store = SqlStore(url)
        runtime = Runtime.build(Settings(db_url=url, transcript_path=str(tmp_path / "t.db"), workspace=WS),
                                store=store, clock=FixedClock(NOW), channel=channel)
        runtime.store.save_campaign(WS, Campaign(name=CAMPAIGN))
        yield runtime
        runtime.close()
        channel.close()


def add(rt: Runtime, name: str) -> str:
    state, _ = rt.intake.create_lead(WS, CAMPAIGN, Lead(first_name=name, email=f"{name.lower()}@acme.com"))
    return state.lead_id


def touched(rt: Runtime, lead_id: str) -> bool:
    return any(a.action.kind is ActionKind.SEND_EMAIL and a.status == "sent" for a in rt.store.actions_for(WS, lead_id))


def test_a_deep_event_is_dead_lettered_and_the_others_go_on(pg_rt: Runtime) -> None:
    store = pg_rt.store
    assert isinstance(store, SqlStore)
    before = add(pg_rt, "Ann")
    with store.engine.begin() as conn:
        conn.execute(insert(t.events).values(
            event_id="poison-1", workspace_id=WS, lead_id="lead-poison", type="lead.created", at=NOW, doc={},
            queued=True, handled=False, dead=False, published=False, attempts=0))
        conn.execute(text("UPDATE events SET doc = CAST(:doc AS json) WHERE event_id = 'poison-1'"),
                     {"doc": deep(250)})
    after = add(pg_rt, "Bob")
    pg_rt.worker.tick()
    assert touched(pg_rt, before) and touched(pg_rt, after)
    run_out_retries(pg_rt)
    [dead] = store.list_dead()
    assert dead.event.id == "poison-1" and dead.error.startswith("unreadable event: ")
    assert is_unreadable(dead.event)
    assert [e.id for e in store.lead_events(WS, "lead-poison")] == ["poison-1"]
    assert any(is_unreadable(e) for e in store.all_events())


def test_a_deep_lead_document(pg_rt: Runtime) -> None:
    store = pg_rt.store
    assert isinstance(store, SqlStore)
    bad = add(pg_rt, "Ann")
    with store.engine.begin() as conn:
        conn.execute(text("UPDATE leads SET doc = CAST(:doc AS json) WHERE lead_id = :id"),
                     {"doc": '{"lead_id": "x", "lead": ' + deep(250) + "}", "id": bad})
    store._docs.clear()  # what this process last wrote is not what is stored now
    good = add(pg_rt, "Bob")
    run_out_retries(pg_rt)
    assert touched(pg_rt, good)
    [dead] = store.list_dead()
    assert dead.lead_id == bad and "unreadable lead document" in dead.error
