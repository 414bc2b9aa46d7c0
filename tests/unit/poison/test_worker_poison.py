"""Finding 1 of issue 10, at the worker: a stored event or lead document that cannot be read
stops neither the worker nor any other lead; its event is retried, then dead-lettered with the
reason, and the other leads get their first touch in the same rounds."""

from __future__ import annotations

import json
from collections.abc import Sequence

import pytest
from tests.unit.poison.conftest import CAMPAIGN, WS, deep, plant_event, poison_lead_doc, run_out_retries, sql

from leadflow.domain.actions import ActionKind
from leadflow.domain.models import Lead, LeadState
from leadflow.exceptions import Unreadable
from leadflow.runtime import Runtime
from leadflow.state.poison import is_unreadable, why
from leadflow.state.records import Commit


def add(rt: Runtime, name: str) -> str:
    state, created = rt.intake.create_lead(WS, CAMPAIGN, Lead(first_name=name, email=f"{name.lower()}@acme.com"))
    assert created
    return state.lead_id


def first_touched(rt: Runtime, lead_id: str) -> bool:
    return any(a.action.kind is ActionKind.SEND_EMAIL and a.status == "sent"
               for a in rt.store.actions_for(WS, lead_id))


@pytest.mark.parametrize("doc", [deep(250), deep(5000), "{not json", '{"id": 3}'],
                         ids=["depth-250", "depth-5000", "not-json", "wrong-types"])
def test_an_unreadable_event_is_dead_lettered_and_the_others_go_on(rt: Runtime, doc: str) -> None:
    before = add(rt, "Ann")
    plant_event(rt, "lead-poison", doc)
    after = add(rt, "Bob")
    rt.worker.tick()  # would raise "Invalid JSON: recursion limit exceeded" before the fix
    assert first_touched(rt, before) and first_touched(rt, after)
    run_out_retries(rt)
    [dead] = rt.store.list_dead()
    assert dead.event.id == "poison-1" and dead.lead_id == "lead-poison"
    assert dead.error.startswith("unreadable event: ")
    assert dead.attempts == rt.orchestrator.max_attempts - 1  # retried, a bounded number of times
    assert is_unreadable(dead.event) and why(dead.event) == dead.error
    assert rt.store.inbox(limit=10, now=rt.clock.now()) == []  # nothing left that blocks a round
    later = add(rt, "Cy")
    rt.worker.run_until_idle()
    assert first_touched(rt, later)


def test_recursion_limit_is_the_reason_given(rt: Runtime) -> None:
    plant_event(rt, "lead-poison", deep(250))
    run_out_retries(rt)
    [dead] = rt.store.list_dead()
    assert "recursion limit exceeded" in dead.error


def test_a_lead_whose_document_cannot_be_read(rt: Runtime) -> None:
    bad = add(rt, "Ann")
    poison_lead_doc(rt, bad)
    good = add(rt, "Bob")
    with pytest.raises(Unreadable, match="unreadable lead document"):
        rt.store.get_lead(WS, bad)
    rt.worker.tick()
    assert first_touched(rt, good)
    run_out_retries(rt)
    [dead] = rt.store.list_dead()
    assert dead.lead_id == bad and "Unreadable" in dead.error and dead.event.type == "lead.created"
    assert [s.lead_id for s in rt.store.list_leads(WS)] == [good]  # the list leaves it out, not everyone


def test_an_unreadable_action_is_failed_with_the_reason_and_the_others_are_sent(rt: Runtime) -> None:
    first = add(rt, "Ann")
    second = add(rt, "Bob")
    rt.orchestrator.process()  # actions queued, none sent yet
    [a1] = rt.store.actions_for(WS, first)
    with sql(rt).engine.begin() as conn:
        conn.exec_driver_sql("UPDATE actions SET doc = ? WHERE seq = ?", (deep(300), a1.seq))
    rt.worker.run_until_idle()
    assert first_touched(rt, second)
    with sql(rt).engine.begin() as conn:
        status, detail = conn.exec_driver_sql("SELECT status, detail FROM actions WHERE seq = ?", (a1.seq,)).one()
    assert status == "failed" and detail.startswith("unreadable action: ")


def test_an_unreadable_timer_is_failed_and_does_not_stop_the_round(rt: Runtime) -> None:
    lead = add(rt, "Ann")
    rt.worker.run_until_idle()
    timers = rt.store.timers_for(WS, lead)
    assert timers, "the first touch sets a follow-up timer"
    with sql(rt).engine.begin() as conn:
        conn.exec_driver_sql("UPDATE timers SET doc = ?, fire_at = '2000-01-01 00:00:00' WHERE seq = ?",
                             (deep(300), timers[0].seq))
    other = add(rt, "Bob")
    rt.worker.run_until_idle()
    assert first_touched(rt, other)
    with sql(rt).engine.begin() as conn:
        status = conn.exec_driver_sql("SELECT status FROM timers WHERE seq = ?", (timers[0].seq,)).scalar()
    assert status == "failed"


def test_unreadable_rows_read_back_as_such(rt: Runtime) -> None:
    lead = add(rt, "Ann")
    rt.worker.run_until_idle()
    plant_event(rt, lead, deep(250), event_id="poison-2", type_="reply.received")
    with sql(rt).engine.begin() as conn:
        conn.exec_driver_sql("UPDATE traces SET doc = ? WHERE lead_id = ?", ("[", lead))
    events = rt.store.lead_events(WS, lead)
    assert [e.id for e in events if is_unreadable(e)] == ["poison-2"]
    assert any(e.id == "poison-2" for e in rt.store.all_events())
    traces = rt.store.traces_for(WS, lead)
    assert traces and all(tr.agent == "unreadable" and (tr.error or "").startswith("unreadable trace") for tr in traces)
    rows = rt.store.unpublished(limit=100)
    assert [e.id for _, e in rows if is_unreadable(e)] == ["poison-2"]
    rt.worker.relay()  # publishes the others, marks the stand-in published without handing it on
    assert rt.store.unpublished(limit=100) == []
    assert json.loads(json.dumps(why(events[-1])))  # a plain one-line string


def test_a_commit_the_store_cannot_write_fails_its_own_event_alone(rt: Runtime, monkeypatch: pytest.MonkeyPatch) -> None:
    bad = add(rt, "Ann")
    good = add(rt, "Bob")
    apply = rt.store.apply

    def picky(commits: Sequence[Commit]) -> list[Exception | None]:
        if any(c.lead_id == bad and c.handled for c in commits):  # as pydantic's serializer would refuse
            raise ValueError("Maximum serialization depth exceeded")
        return apply(commits)

    monkeypatch.setattr(rt.store, "apply", picky)
    rt.orchestrator.process()  # the batch held both; before, the whole round failed, every time
    rt.worker.run_until_idle()
    assert first_touched(rt, good)
    run_out_retries(rt)
    [dead] = rt.store.list_dead()
    assert dead.lead_id == bad and "ValueError: Maximum serialization depth exceeded" in dead.error


def test_a_store_that_is_down_still_stops_the_round(rt: Runtime, monkeypatch: pytest.MonkeyPatch) -> None:
    add(rt, "Ann")

    def down(commits: Sequence[Commit]) -> list[Exception | None]:
        raise ConnectionError("database restarting")

    monkeypatch.setattr(rt.store, "apply", down)
    with pytest.raises(ConnectionError):
        rt.orchestrator.process()
    assert rt.store.list_dead() == []  # no attempt counted against the event


def test_a_lead_accepted_under_older_limits_still_reads_back(rt: Runtime) -> None:
    """The limits are checked where input enters, not again on every read: a stored lead nested
    deeper than today's limit (but within what the parser reads) is still served."""
    lead = add(rt, "Ann")
    poison_lead_doc(rt, lead, depth=40)
    state = rt.store.get_lead(WS, lead)
    assert "a" in state.lead.attributes
    rt.worker.run_until_idle()
    assert first_touched(rt, lead) and rt.store.list_dead() == []
    with pytest.raises(ValueError, match="nested more than 32 levels"):  # as new input it is refused
        Lead.model_validate(state.lead.model_dump())


def test_a_lead_every_agent_fails_on_is_escalated_once_and_the_worker_goes_idle(
        rt: Runtime, monkeypatch: pytest.MonkeyPatch) -> None:
    """Before: each failed escalation escalated again (agent.escalated -> escalation agent fails ->
    agent.escalated ...), for ever; the worker never went idle."""
    from leadflow.orchestrator import runner

    copy = runner._private_copy

    def fails_on_bad(state: LeadState) -> LeadState:
        if state.lead.first_name == "Bad":
            raise ValueError("this lead's data breaks every agent")
        return copy(state)

    monkeypatch.setattr(runner, "_private_copy", fails_on_bad)
    bad = add(rt, "Bad")
    good = add(rt, "Bob")
    rounds = rt.worker.run_until_idle(max_rounds=30)
    assert rounds < 30
    assert first_touched(rt, good)
    state = rt.store.get_lead(WS, bad)
    assert state.assigned_to == "human" and state.escalations  # a human has it, with the reason
    types = [e.type for e in rt.store.lead_events(WS, bad)]
    assert types.count("agent.escalated") <= 3  # one per failed step of lead.created, none of its own
