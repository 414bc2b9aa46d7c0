"""`leadflow demo` runs the whole team: every agent works, deals are won and lost, post-sale follows.

One seeded demo (60 leads) through the CLI, then its database is read back: every agent in
``default_agents()`` took steps, the simulated seller reported both won and lost deals through
intake, won customers got onboarding mail, and reporting an outcome again changes nothing.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from leadflow.agents import default_agents
from leadflow.cli.main import app
from leadflow.domain.models import LeadState, Stage
from leadflow.orchestrator.clock import FixedClock
from leadflow.orchestrator.intake import Intake, recorded_outcome
from leadflow.sim.report import team_work
from leadflow.state import open_store
from leadflow.state.base import Store

SEED = 8  # a seed whose deals end both ways (won and lost): 2 won, 3 lost since the drafts vary per lead
LEADS = 60


def team_section(output: str) -> str:
    return output[output.index("The team") : output.index("Messages delivered")]


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str, float]:
    out = tmp_path_factory.mktemp("demo_team")
    started = time.perf_counter()
    result = CliRunner().invoke(app, ["demo", "--leads", str(LEADS), "--seed", str(SEED), "--out", str(out)])
    elapsed = time.perf_counter() - started
    assert result.exit_code == 0, result.output
    return out, result.output, elapsed


@pytest.fixture
def store(demo: tuple[Path, str, float]) -> Iterator[Store]:
    s = open_store(f"sqlite:///{demo[0] / 'leadflow.db'}")
    yield s
    s.close()


ONLY_ON_A_PERSONS_DECISION = {"redraft"}


def outcomes(states: list[LeadState]) -> dict[str, str]:
    return {s.lead_id: o.outcome for s in states if (o := recorded_outcome(s)) is not None}


def test_every_agent_did_work(demo: tuple[Path, str, float], store: Store) -> None:
    names = [a.card.name for a in default_agents()]
    rows = {r.agent: r for r in team_work(store, "demo", agents=names)}
    # redraft runs only when a person rejects a held draft; the demo's campaigns run on autopilot
    idle = [n for n in names if rows[n].steps == 0 and n not in ONLY_ON_A_PERSONS_DECISION]
    assert not idle, f"agents that never ran in the demo: {idle}"
    assert rows["post_sale"].steps > 0 and "customers welcomed" in rows["post_sale"].work
    output = demo[1]
    assert "The team: what each agent did" in output and "deals won" in output and "Deals won:" in output


def test_won_and_lost_deals_are_reported_and_winners_are_onboarded(store: Store) -> None:
    states = store.list_leads("demo")
    reported = outcomes(states)
    assert "won" in reported.values() and "lost" in reported.values(), reported
    for state in states:
        outcome = recorded_outcome(state)
        if outcome is None:
            continue
        assert outcome.source == "sim:seller"
        assert state.appointment is not None  # the seller only reports on deals that had a meeting
        events = store.lead_events("demo", state.lead_id)
        types = [e.type for e in events]
        if outcome.outcome == "won":
            assert state.stage is Stage.WON and types.count("lead.converted") == 1
            assert outcome.amount is not None and outcome.amount > 0
            sent = [a for a in store.actions_for("demo", state.lead_id) if a.action.agent == "post_sale"]
            assert any(
                a.status == "sent" and a.action.idempotency_key.endswith("post_sale:onboarding:0")
                for a in sent
            )
            assert any(t.agent == "post_sale" for t in store.traces_for("demo", state.lead_id))
        else:
            assert state.stage in (Stage.LOST, Stage.DO_NOT_CONTACT) and types.count("lead.lost") >= 1
            assert all(t.agent != "post_sale" for t in store.traces_for("demo", state.lead_id))
    # some customers wrote back, and post-sale read them
    assert any(
        t.agent == "post_sale" and t.event_type == "reply.received"
        for s in states
        if reported.get(s.lead_id) == "won"
        for t in store.traces_for("demo", s.lead_id)
    )
    assert store.inbox(limit=10) == [] and store.list_dead() == []


def test_outcome_intake_is_idempotent(demo: tuple[Path, str, float], store: Store) -> None:
    states = store.list_leads("demo")
    won = next(s for s in states if outcomes([s]).get(s.lead_id) == "won")
    first = recorded_outcome(won)
    assert first is not None
    before = len(store.lead_events("demo", won.lead_id))
    again, fresh = Intake(store=store, clock=FixedClock(first.at)).record_outcome(
        "demo",
        won.lead_id,
        outcome="won",
        outcome_id=first.outcome_id,
        amount=first.amount,
        reason=first.reason,
    )
    assert (again, fresh) == (first, False)
    db = f"sqlite:///{demo[0] / 'leadflow.db'}"
    cli = CliRunner()
    args = [
        "outcome",
        won.lead_id,
        "won",
        "--id",
        first.outcome_id,
        "--reason",
        str(first.reason),
        "--db",
        db,
        "-w",
        "demo",
    ]
    if first.amount is not None:
        args += ["--amount", str(first.amount)]
    repeat = cli.invoke(app, args)
    assert repeat.exit_code == 0 and "already recorded" in repeat.output, repeat.output
    flip = cli.invoke(app, ["outcome", won.lead_id, "lost", "--db", db, "-w", "demo"])
    assert flip.exit_code == 1 and "already marked won" in flip.output
    assert len(store.lead_events("demo", won.lead_id)) == before
    assert store.get_lead("demo", won.lead_id).stage is Stage.WON


def test_resumed_demo_prints_the_same_team_table(demo: tuple[Path, str, float]) -> None:
    out, output, elapsed = demo
    again = CliRunner().invoke(
        app, ["demo", "--leads", str(LEADS), "--seed", str(SEED), "--out", str(out), "--keep"]
    )
    assert again.exit_code == 0, again.output
    assert team_section(again.output) == team_section(output)
    print(f"demo of {LEADS} leads took {elapsed:.1f}s")
