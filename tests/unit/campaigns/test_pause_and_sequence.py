"""A campaign applied from its file, run by a real Runtime over SQLite with a fixed clock:
pausing sends nothing more and loses nothing, resuming continues where it stopped; a changed
sequence applies to the leads not yet past that step."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from leadflow import campaigns
from leadflow.domain.actions import CONTACT_ACTIONS
from leadflow.domain.models import Lead
from leadflow.integrations.channels import TranscriptChannel
from leadflow.orchestrator.clock import FixedClock
from leadflow.runtime import Runtime
from leadflow.settings import Settings
from leadflow.state.records import ActionRow
from leadflow.state.sql import SqlStore

EXAMPLE = Path(__file__).parents[3] / "examples" / "campaign.yaml"
WS = "default"
NAME = "pipeline-pilot"
NOW = datetime(2026, 3, 3, 15, 0, tzinfo=UTC)  # a Tuesday, 10:00 in New York
NY = ZoneInfo("America/New_York")


def spec_text(**replace: str) -> str:
    text = EXAMPLE.read_text(encoding="utf-8").replace("autonomy: review_first_touch", "autonomy: autopilot")
    for old, new in replace.items():
        assert old in text
        text = text.replace(old, new)
    return text


@pytest.fixture
def rt(tmp_path: Path) -> Iterator[Runtime]:
    url = f"sqlite:///{tmp_path / 'leadflow.db'}"
    channel = TranscriptChannel(":memory:")
    runtime = Runtime.build(Settings(db_url=url, transcript_path=":memory:", workspace=WS), store=SqlStore(url),
                            clock=FixedClock(NOW), channel=channel)
    campaigns.apply(runtime.store, WS, campaigns.load_text(spec_text()))
    yield runtime
    runtime.close()
    channel.close()


def lead(n: int) -> Lead:
    return Lead(first_name=f"Ana{n}", last_name="Ruiz", email=f"ana{n}@fintech{n}.example", company=f"Fintech {n}",
                title="VP Sales", industry="fintech", timezone="America/New_York", source="csv",
                source_lead_id=f"c-{n}", attributes={"team_size": 120, "country": "US"})


def contacts(rt: Runtime, lead_id: str) -> list[ActionRow]:
    return [r for r in rt.store.actions_for(WS, lead_id) if r.action.kind in CONTACT_ACTIONS]


def sent(rt: Runtime, lead_id: str) -> list[ActionRow]:
    return [r for r in contacts(rt, lead_id) if r.status == "sent"]


def run_until(rt: Runtime, until: datetime, step: timedelta = timedelta(hours=1)) -> None:
    """Advance the fixed clock hour by hour, the worker running at each."""
    clock = rt.clock
    assert isinstance(clock, FixedClock)
    while clock.now() < until:
        rt.worker.run_until_idle()
        clock.advance_to(min(until, clock.now() + step))
    rt.worker.run_until_idle()


def test_a_paused_campaign_sends_nothing_loses_nothing_and_resumes_where_it_stopped(rt: Runtime) -> None:
    a, _ = rt.intake.create_lead(WS, NAME, lead(1))
    rt.worker.run_until_idle()
    assert len(sent(rt, a.lead_id)) == 1, "the first touch went before the pause"
    assert campaigns.set_paused(rt.store, WS, NAME, True)
    b, _ = rt.intake.create_lead(WS, NAME, lead(2))  # arrives while paused
    run_until(rt, NOW + timedelta(days=6))  # A's first follow-up falls due meanwhile
    assert len(sent(rt, a.lead_id)) == 1 and sent(rt, b.lead_id) == [], "nothing more was sent"
    waiting = [r for lid in (a.lead_id, b.lead_id) for r in contacts(rt, lid) if r.status == "pending"]
    assert {r.lead_id for r in waiting} == {a.lead_id, b.lead_id}, "decisions made meanwhile are queued, not lost"
    assert all(r.attempts == 0 for r in waiting), "waiting is not a failed attempt"
    assert all(r.status in ("pending", "sent") for lid in (a.lead_id, b.lead_id) for r in contacts(rt, lid))
    follow_up = next(r for r in waiting if r.lead_id == a.lead_id)
    assert follow_up.action.idempotency_key.endswith("nurture:1:0"), follow_up.action.idempotency_key
    assert rt.store.get_lead(WS, a.lead_id).nurture_step == 1, "the timer fired in its place while paused"

    assert campaigns.set_paused(rt.store, WS, NAME, False)
    resumed = rt.clock.now()
    run_until(rt, resumed + timedelta(days=1))
    b_sent = [r.action.idempotency_key for r in sent(rt, b.lead_id)]
    # B's first touch went on resume; the follow-up its timer queued while paused waits for its
    # gap after that first touch (no two messages back to back), then goes: in order
    assert len(b_sent) == 1 and "nurture" not in b_sent[0], b_sent
    a_sent = sent(rt, a.lead_id)
    assert [r.action.idempotency_key for r in a_sent][1] == follow_up.action.idempotency_key
    assert len(a_sent) == 2 and a_sent[1].attempts == a_sent[0].attempts, "the pause counted no attempt"
    # the rest of A's sequence keeps its place: the next step 7 days after the first follow-up fell due
    [nxt] = [t for t in rt.store.timers_for(WS, a.lead_id) if t.spec.name.startswith("nurture")]
    assert nxt.spec.fire_at == NOW + timedelta(days=3 + 7)
    run_until(rt, resumed + timedelta(days=5))
    b_sent = [r.action.idempotency_key for r in sent(rt, b.lead_id)]
    assert len(b_sent) == 2 and "nurture" in b_sent[1], b_sent
    first, second = outbound_at(rt, b.lead_id)[:2]
    assert second - first >= timedelta(days=2), (first, second)


def outbound_at(rt: Runtime, lead_id: str) -> list[datetime]:
    return [m.at for m in rt.store.get_lead(WS, lead_id).messages if m.direction.value == "outbound"]


def test_a_changed_sequence_applies_to_leads_not_yet_past_that_step(rt: Runtime) -> None:
    ahead, _ = rt.intake.create_lead(WS, NAME, lead(1))  # Tuesday
    rt.worker.run_until_idle()
    run_until(rt, NOW + timedelta(days=1))
    behind, _ = rt.intake.create_lead(WS, NAME, lead(2))  # Wednesday
    run_until(rt, NOW + timedelta(days=3, hours=1))  # Friday: ahead's first follow-up (3 days) went
    assert len(sent(rt, ahead.lead_id)) == 2 and len(sent(rt, behind.lead_id)) == 1
    # the first follow-up now waits 5 days, not 3; the second one 2 days after it, not 7
    changed = spec_text(**{"  - after: 3 days": "  - after: 5 days", "  - after: 7 days": "  - after: 2 days"})
    plan = campaigns.apply(rt.store, WS, campaigns.load_text(changed))
    assert {c.key for c in plan.changes} == {"sequence[1].after", "sequence[2].after"}
    run_until(rt, NOW + timedelta(days=5))
    assert len(sent(rt, behind.lead_id)) == 1, "behind's first follow-up no longer goes after 3 days"
    run_until(rt, NOW + timedelta(days=8))
    first, follow = (t.astimezone(NY).date() for t in outbound_at(rt, behind.lead_id))
    assert (follow - first).days == 5, "behind's first follow-up by the new delay (Wednesday to Monday)"
    ahead_first, ahead_follow = (t.astimezone(NY).date() for t in outbound_at(rt, ahead.lead_id)[:2])
    assert (ahead_follow - ahead_first).days == 3, "what ahead already got stays as it was"
