"""`leadflow demo` end to end on both stores: 50+ leads, two+ industries, every stage of the funnel, replay equals live.

On SQLite the campaign runs through the ``leadflow demo`` command itself; on PostgreSQL
(``pg_url``, a fresh database for the module) it runs the same simulation the command runs,
``open_simulation`` + ``run_until_idle``. Every check below then runs against each store,
and the PostgreSQL run must end exactly like the SQLite one.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from tests.services import fresh_pg_database
from typer.testing import CliRunner

from leadflow.cli.main import app
from leadflow.domain.models import LeadState
from leadflow.sim.run import funnel, open_simulation
from leadflow.state import Store, open_store
from leadflow.state.patch import fold

LEADS = 60
SEED = 11


@contextmanager
def opened(url: str) -> Iterator[Store]:
    store = open_store(url)
    try:
        yield store
    finally:
        store.close()


@pytest.fixture(scope="module")
def sqlite_demo_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    """The ``leadflow demo`` command's own run; its database's URL."""
    out = tmp_path_factory.mktemp("demo")
    result = CliRunner().invoke(app, ["demo", "--leads", str(LEADS), "--seed", str(SEED), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "Funnel" in result.output and "meetings booked" in result.output
    # ``make run`` ends with how to serve the API: the first key (issue 10)
    assert "leadflow keys create --workspace default --role admin" in result.output.splitlines()[-1]
    return f"sqlite:///{out / 'leadflow.db'}"


@pytest.fixture(scope="module")
def postgres_demo_url(pg_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The demo's simulation on a fresh PostgreSQL database; its URL (dropped after the module)."""
    out = tmp_path_factory.mktemp("demo-pg")
    with fresh_pg_database(pg_url, "leadflow_e2e_demo") as url:
        run = open_simulation(db_url=url, transcript_path=out / "transcript.db", seed=SEED, leads=LEADS)
        try:
            run.runtime.worker.run_until_idle(simulate=True)
            steps = dict(funnel(run.states()))
        finally:
            run.close()
        assert steps["leads"] == LEADS and steps["meetings booked"] >= 1, steps
        yield url


@pytest.fixture(
    scope="module",
    params=[
        pytest.param("sqlite", id="sqlite"),
        pytest.param("postgres", id="postgres", marks=pytest.mark.postgres),
    ],
)
def demo_url(request: pytest.FixtureRequest) -> str:
    """The store URL of a finished demo campaign, once per backend."""
    url: str = request.getfixturevalue(f"{request.param}_demo_url")
    return url


def test_demo_runs_every_agent_across_industries(demo_url: str) -> None:
    with opened(demo_url) as store:
        states = store.list_leads("demo")
        assert len(states) == LEADS
        assert len({s.lead.industry for s in states}) >= 2
        agents = {h.agent for s in states for h in s.agent_history}
        assert {"response", "reply_understanding", "qualification", "nurture", "appointment"} <= agents
        assert all(s.touches >= 1 for s in states if s.lead.email or s.lead.consent.sms)
        assert any(s.appointment is not None for s in states)
        assert any(s.stage.value == "do_not_contact" for s in states)
        # nothing left undone: no unhandled inbox events, no pending actions, no dead letters
        assert store.inbox(limit=10) == []
        assert store.list_dead() == []


def test_opted_out_leads_got_nothing_after_opting_out(demo_url: str) -> None:
    with opened(demo_url) as store:
        opted_out = store.list_leads("demo", stage="do_not_contact")
        assert opted_out
        for s in opted_out:
            types = [e.type for e in store.lead_events("demo", s.lead_id)]
            assert "lead.opted_out" in types
            after = types[types.index("lead.opted_out") :]
            assert "message.sent" not in after


def test_replay_rebuilds_the_live_state(demo_url: str) -> None:
    with opened(demo_url) as store:
        rebuilt = fold(store.all_events())
        live = {s.lead_id: s for s in store.list_leads("demo")}
    assert rebuilt.keys() == live.keys()
    for lead_id, state in rebuilt.items():
        assert state.model_dump(mode="json") == live[lead_id].model_dump(mode="json")
    result = CliRunner().invoke(app, ["replay", "--check", "--db", demo_url])
    assert result.exit_code == 0, result.output
    assert f"replayed {LEADS} leads from the log: {LEADS} equal, 0 differ" in result.output
    assert "0 bookings differ" in result.output


def test_replay_rebuilds_lost_bookings(tmp_path: Path, sqlite_demo_url: str) -> None:
    """The one-lead-per-slot rows are rebuilt from the log like the state tables."""
    import shutil

    from sqlalchemy import delete

    from leadflow.state import schema as t

    copy = tmp_path / "copy.db"
    source = Path(sqlite_demo_url.removeprefix("sqlite:///"))
    for suffix in ("", "-wal", "-shm"):  # a WAL database is its file and its log
        if Path(f"{source}{suffix}").exists():
            shutil.copy(f"{source}{suffix}", f"{copy}{suffix}")
    url = f"sqlite:///{copy}"
    with opened(url) as store:
        held = store.bookings()
        assert held, "the demo books meetings"
        with store.engine.begin() as conn:
            conn.execute(delete(t.bookings))
    checked = CliRunner().invoke(app, ["replay", "--check", "--db", url])
    assert checked.exit_code == 1 and f"{len(held)} bookings differ" in checked.output
    fixed = CliRunner().invoke(app, ["replay", "--db", url])
    assert fixed.exit_code == 0 and "bookings rewritten from the log" in fixed.output
    with opened(url) as store:
        assert store.bookings() == held


def test_trace_prints_the_story(demo_url: str) -> None:
    with opened(demo_url) as store:
        booked = next(s for s in store.list_leads("demo") if s.appointment is not None)
    result = CliRunner().invoke(app, ["trace", booked.lead_id, "--db", demo_url, "-w", "demo", "--json"])
    assert result.exit_code == 0, result.output
    assert '"lead.appointment_booked"' in result.output and '"agent": "appointment"' in result.output
    missing = CliRunner().invoke(app, ["trace", "nope", "--db", demo_url, "-w", "demo"])
    assert missing.exit_code == 1


def _view(s: LeadState) -> dict[str, Any]:
    """What a lead went through, without ids or the wall clock."""
    return {
        "stage": s.stage.value,
        "score": s.score.value if s.score else None,
        "qualification": s.qualification,
        "appointment": s.appointment.start.isoformat() if s.appointment is not None else None,
        "touches": s.touches,
        "replies": s.replies,
        "messages": [
            (m.direction.value, m.channel.value, m.at.isoformat(), m.subject, m.body) for m in s.messages
        ],
        "agents": [(h.agent, h.result) for h in s.agent_history],
        "version": s.version,
    }


@pytest.mark.postgres
def test_postgres_ends_like_sqlite(sqlite_demo_url: str, postgres_demo_url: str) -> None:
    """Same seed, same campaign: the store behind it changes nothing a lead went through."""
    with opened(sqlite_demo_url) as lite, opened(postgres_demo_url) as pg:
        expected = {s.lead_id: _view(s) for s in lite.list_leads("demo")}
        got = {s.lead_id: _view(s) for s in pg.list_leads("demo")}
        assert len(expected) == LEADS
        assert got.keys() == expected.keys()
        differ = [lead for lead in expected if got[lead] != expected[lead]]
        assert not differ, (
            f"{len(differ)} leads differ, e.g. {differ[0]}:\n{expected[differ[0]]}\n{got[differ[0]]}"
        )
        assert sum(1 for _ in pg.all_events()) == sum(1 for _ in lite.all_events())
