"""An imported Apollo export through a whole Runtime over SQLite: the first touches are planned in
each lead's own business hours, and leads moved to another campaign (``--move``) before the
worker ran are contacted under that campaign, with the move in their trace."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, time
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from leadflow.domain.actions import ActionKind
from leadflow.domain.events import EventType
from leadflow.domain.models import SenderIdentity
from leadflow.integrations.channels import TranscriptChannel
from leadflow.orchestrator.clock import FixedClock
from leadflow.orchestrator.csv_import import import_csv
from leadflow.runtime import Runtime
from leadflow.settings import Settings
from leadflow.sim.run import demo_campaign
from leadflow.state.sql import SqlStore

WS = "default"
MONDAY_0830_UTC = datetime(2026, 12, 7, 8, 30, tzinfo=UTC)  # 02:30 in Chicago
APOLLO_CSV = Path(__file__).resolve().parents[2] / "data" / "apollo_export.csv"


@pytest.fixture
def rt(tmp_path: Path) -> Iterator[Runtime]:
    url = f"sqlite:///{tmp_path / 'leadflow.db'}"
    channel = TranscriptChannel(":memory:")
    runtime = Runtime.build(
        Settings(db_url=url, transcript_path=":memory:", workspace=WS),
        store=SqlStore(url),
        clock=FixedClock(MONDAY_0830_UTC),
        channel=channel,
    )
    for name, mailbox in (("spring", "ava@spring.example"), ("summer", "sol@summer.example")):
        runtime.store.save_campaign(WS, demo_campaign().model_copy(update={
            "name": name, "senders": [SenderIdentity(name=name.title(), email=mailbox)]}))
    yield runtime
    runtime.close()
    channel.close()


def first_emails(rt: Runtime) -> dict[str, tuple[datetime, str]]:
    """Last name → (when the first e-mail goes, its sender)."""
    out: dict[str, tuple[datetime, str]] = {}
    for state in rt.store.list_leads(WS):
        emails = [r for r in rt.store.actions_for(WS, state.lead_id) if r.action.kind is ActionKind.SEND_EMAIL]
        if emails:
            first = min(emails, key=lambda r: r.seq)
            at = first.action.not_before or first.created_at
            out[state.lead.last_name] = (at, str(first.action.payload.get("from", "")))
    return out


def test_first_touches_are_planned_in_each_leads_business_hours(rt: Runtime) -> None:
    report = import_csv(rt.intake, rt.store, WS, "spring", APOLLO_CSV)
    assert report.created == 20
    rt.worker.run_until_idle()
    planned = first_emails(rt)
    assert {"Lee", "Clarke", "Brown", "Schmidt", "Moore"} <= set(planned)
    for name, zone in (("Lee", "America/Chicago"), ("Clarke", "Europe/London"), ("Brown", "Australia/Sydney"),
                       ("Schmidt", "Europe/Berlin")):
        local = planned[name][0].astimezone(ZoneInfo(zone))
        assert time(9) <= local.time() < time(17) and local.weekday() < 5, (name, local)
    us = planned["Moore"][0]  # United States, no city: in every mainland US zone's hours
    for zone in ("America/New_York", "America/Los_Angeles"):
        assert time(9) <= us.astimezone(ZoneInfo(zone)).time() < time(17), (zone, us)


def test_leads_moved_before_the_worker_ran_are_contacted_under_the_new_campaign(rt: Runtime) -> None:
    import_csv(rt.intake, rt.store, WS, "spring", APOLLO_CSV)
    report = import_csv(rt.intake, rt.store, WS, "summer", APOLLO_CSV, move=True)
    assert report.moved == 20
    rt.worker.run_until_idle()
    planned = first_emails(rt)
    assert planned and {sender for _, sender in planned.values()} == {"sol@summer.example"}
    lead_id = report.lead_ids[0]
    assert rt.store.get_lead(WS, lead_id).campaign == "summer"
    types = [e.type for e in rt.store.lead_events(WS, lead_id)]
    assert types.index(EventType.LEAD_CREATED) < types.index(EventType.LEAD_MOVED)
