"""Finding 1 of issue 10, at the command line: ``trace``, ``replay [--check]`` and ``dlq list|retry``
run on a database holding rows that cannot be read, and show each as such, one line with the
reason, instead of a traceback."""

from __future__ import annotations

import pytest
from tests.unit.poison.conftest import CAMPAIGN, WS, deep, plant_event, poison_lead_doc, run_out_retries
from typer.testing import CliRunner

from leadflow.cli.main import app
from leadflow.domain.models import Lead
from leadflow.runtime import Runtime

runner = CliRunner()


def flat(output: str) -> str:
    return " ".join(output.split())


@pytest.fixture
def poisoned(rt: Runtime) -> tuple[str, str]:
    """A good lead, handled, and a lead with an unreadable event, dead-lettered after its retries."""
    good, _ = rt.intake.create_lead(WS, CAMPAIGN, Lead(first_name="Ann", email="ann@acme.com"))
    bad, _ = rt.intake.create_lead(WS, CAMPAIGN, Lead(first_name="Bob", email="bob@acme.com"))
    rt.worker.run_until_idle()
    plant_event(rt, bad.lead_id, deep(250), type_="reply.received")
    run_out_retries(rt)
    rt.store.flush()
    return good.lead_id, bad.lead_id


def test_trace_shows_an_unreadable_event_as_one_line(db_url: str, poisoned: tuple[str, str]) -> None:
    _, bad = poisoned
    r = runner.invoke(app, ["trace", bad, "--db", db_url], env={"COLUMNS": "400"})
    assert r.exit_code == 0, r.output
    assert r.exception is None
    [line] = [x for x in r.output.splitlines() if "event:unreadable" in x]
    assert "reply.received" in line and "unreadable event: " in line
    assert "recursion limit exceeded" in flat(r.output)


def test_trace_of_a_lead_whose_document_cannot_be_read(rt: Runtime, db_url: str,
                                                       poisoned: tuple[str, str]) -> None:
    good, _ = poisoned
    poison_lead_doc(rt, good)
    r = runner.invoke(app, ["trace", good, "--db", db_url], env={"COLUMNS": "400"})
    assert r.exit_code == 0, r.output
    assert f"{good} unreadable lead document" in flat(r.output)
    assert "lead.created" not in flat(r.output) or "agent:" in flat(r.output)  # the log is still shown
    r = runner.invoke(app, ["trace", good, "--db", db_url, "--json"])
    assert r.exit_code == 0 and '"state": null' in r.output and "unreadable lead document" in r.output


def test_replay_check_runs_and_names_the_lead_it_cannot_replay(db_url: str, poisoned: tuple[str, str]) -> None:
    _, bad = poisoned
    r = runner.invoke(app, ["replay", "--check", "--db", db_url], env={"COLUMNS": "400"})
    assert r.exception is None or isinstance(r.exception, SystemExit), r.output
    assert r.exit_code == 0, r.output  # the readable leads replay equal
    out = flat(r.output)
    assert f"lead {bad} not replayed: event poison-1 (reply.received): unreadable event:" in out
    assert "replayed 1 leads from the log: 1 equal, 0 differ, 1 with unreadable events left as they are" in out


def test_replay_rewrites_a_broken_live_document_from_the_log(rt: Runtime, db_url: str,
                                                              poisoned: tuple[str, str]) -> None:
    good, _ = poisoned
    poison_lead_doc(rt, good)
    r = runner.invoke(app, ["replay", "--check", "--db", db_url], env={"COLUMNS": "400"})
    assert r.exit_code == 1 and f"lead {good}: unreadable lead document" in flat(r.output)
    r = runner.invoke(app, ["replay", "--db", db_url], env={"COLUMNS": "400"})
    assert r.exit_code == 0 and "state tables rewritten from the log" in r.output
    rt.store._docs.clear()  # the file was rewritten by another store object
    assert rt.store.get_lead(WS, good).lead.first_name == "Ann"


def test_dlq_list_and_retry(rt: Runtime, db_url: str, poisoned: tuple[str, str]) -> None:
    _, bad = poisoned
    r = runner.invoke(app, ["dlq", "list", "--db", db_url], env={"COLUMNS": "400"})
    assert r.exit_code == 0, r.output
    out = flat(r.output)
    assert "Dead letters: 1" in out and bad in out and "reply.received (unreadable)" in out
    assert "unreadable event:" in out
    r = runner.invoke(app, ["dlq", "retry", "--db", db_url])
    assert r.exit_code == 0 and "requeued 1 dead letter(s)" in r.output
    run_out_retries(rt)  # handled the same way again: back in the DLQ, nothing else blocked
    assert [d.lead_id for d in rt.store.list_dead()] == [bad]
