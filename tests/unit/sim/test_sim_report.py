"""The team table is read back from durable records and agrees with the other records of the run."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from leadflow.agents import default_agents
from leadflow.sim.report import ORDER, read_ledger, team_work
from leadflow.sim.run import open_simulation
from leadflow.state import open_store


def test_team_table_is_durable_and_consistent(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'lf.db'}"
    run = open_simulation(db_url=db, transcript_path=tmp_path / "world.db", seed=3, leads=12)
    try:
        run.runtime.worker.run_until_idle(simulate=True)
        names = [a.card.name for a in default_agents()]
        rows = team_work(run.runtime.store, run.workspace, agents=names)
        states = run.states()
        contact_deliveries = sum(1 for _, _, kind in run.world.deliveries() if kind != "notify_human")
        notes = sum(1 for _, _, kind in run.world.deliveries() if kind == "notify_human")
    finally:
        run.close()
    # every agent has a row, in pipeline order, even those that had nothing to do
    assert [r.agent for r in rows][: len(ORDER)] == [n for n in ORDER if n in names]
    assert {r.agent for r in rows} >= set(names)
    # steps agree with the lead states' agent histories
    history = Counter(h.agent for s in states for h in s.agent_history)
    assert {r.agent: r.steps for r in rows if r.steps} == dict(history)
    # messages counted per agent add up to what the world received
    reopened = open_store(db)
    try:
        ledger = read_ledger(reopened, "demo")
        assert sum(sum(a.sent.values()) for a in ledger.agents.values()) == contact_deliveries
        assert sum(a.notes for a in ledger.agents.values()) == notes
        post_sale = ledger.of("post_sale").results
        customer_replies = post_sale["churn_risk"] + sum(
            v for k, v in post_sale.items() if k.startswith("reply_")
        )
        assert sum(ledger.intents.values()) + customer_replies == sum(s.replies for s in states)
        # a fresh process reading the same database prints the same table
        assert team_work(reopened, "demo", agents=names) == rows
    finally:
        reopened.close()
    research = next(r for r in rows if r.agent == "research")
    assert research.steps == 12 and "signals found for 12 leads" in research.work
