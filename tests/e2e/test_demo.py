"""`leadflow demo` end to end: 50+ leads, two+ industries, every stage of the funnel, replay equals live."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from leadflow.cli.main import app
from leadflow.state import open_store
from leadflow.state.patch import fold


@pytest.fixture(scope="module")
def demo_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("demo")
    result = CliRunner().invoke(app, ["demo", "--leads", "60", "--seed", "11", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "Funnel" in result.output and "meetings booked" in result.output
    return out


def test_demo_runs_every_agent_across_industries(demo_dir: Path) -> None:
    store = open_store(f"sqlite:///{demo_dir / 'leadflow.db'}")
    states = store.list_leads("demo")
    assert len(states) == 60
    assert len({s.lead.industry for s in states}) >= 2
    agents = {h.agent for s in states for h in s.agent_history}
    assert {"response", "reply_understanding", "qualification", "nurture", "appointment"} <= agents
    assert all(s.touches >= 1 for s in states if s.lead.email or s.lead.consent.sms)
    assert any(s.appointment is not None for s in states)
    assert any(s.stage.value == "do_not_contact" for s in states)
    # nothing left undone: no unhandled inbox events, no pending actions, no dead letters
    assert store.inbox(limit=10) == []
    assert store.list_dead() == []


def test_opted_out_leads_got_nothing_after_opting_out(demo_dir: Path) -> None:
    store = open_store(f"sqlite:///{demo_dir / 'leadflow.db'}")
    for s in store.list_leads("demo", stage="do_not_contact"):
        types = [e.type for e in store.lead_events("demo", s.lead_id)]
        assert "lead.opted_out" in types
        after = types[types.index("lead.opted_out") :]
        assert "message.sent" not in after


def test_replay_rebuilds_the_live_state(demo_dir: Path) -> None:
    store = open_store(f"sqlite:///{demo_dir / 'leadflow.db'}")
    rebuilt = fold(store.all_events())
    live = {s.lead_id: s for s in store.list_leads("demo")}
    assert rebuilt.keys() == live.keys()
    for lead_id, state in rebuilt.items():
        assert state.model_dump(mode="json") == live[lead_id].model_dump(mode="json")
    result = CliRunner().invoke(app, ["replay", "--check", "--db", f"sqlite:///{demo_dir / 'leadflow.db'}"])
    assert result.exit_code == 0 and "0 differ" in result.output


def test_trace_prints_the_story(demo_dir: Path) -> None:
    store = open_store(f"sqlite:///{demo_dir / 'leadflow.db'}")
    booked = next(s for s in store.list_leads("demo") if s.appointment is not None)
    result = CliRunner().invoke(app, ["trace", booked.lead_id, "--db", f"sqlite:///{demo_dir / 'leadflow.db'}", "-w", "demo", "--json"])
    assert result.exit_code == 0
    assert '"lead.appointment_booked"' in result.output and '"agent": "appointment"' in result.output
    missing = CliRunner().invoke(app, ["trace", "nope", "--db", f"sqlite:///{demo_dir / 'leadflow.db'}", "-w", "demo"])
    assert missing.exit_code == 1
