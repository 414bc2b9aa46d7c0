"""A lead handed to a human: the agents stop writing to the lead, replies still reach the owner.

After an escalation (``assigned_to: human``) only routes marked ``human: true`` run: reply
understanding still reads and records replies (an opt-out still suppresses the lead), the
escalation agent forwards each new reply to the owner, and closing keeps briefing the seller.
Qualification, appointment and nurture no longer answer the lead on their own.
"""

from __future__ import annotations

from tests.unit.orchestrator.conftest import WS

from leadflow.domain.actions import ActionKind
from leadflow.domain.models import Consent, Lead, Stage
from leadflow.orchestrator.routes import RouteTable, When
from leadflow.runtime import Runtime
from leadflow.sim.run import CAMPAIGN


def _lead(rt: Runtime) -> str:
    lead = Lead(
        first_name="Dana", last_name="Ortiz", email="dana@northwind.example", company="Northwind",
        industry="b2b_saas", title="Head of Sales", source="webform", source_lead_id="d1",
        consent=Consent(email=True), inquiry="We need more qualified meetings.",
    )  # fmt: skip
    state, _ = rt.intake.create_lead(WS, CAMPAIGN, lead, lead_id="dana")
    rt.worker.run_until_idle()
    return state.lead_id


def _reply(rt: Runtime, lead_id: str, n: int, text: str) -> None:
    assert rt.intake.receive_reply(WS, lead_id, message_id=f"<r{n}@northwind.example>", text=text)
    rt.worker.run_until_idle()


def _to_lead(rt: Runtime, lead_id: str) -> list[str]:
    return [
        r.action.idempotency_key
        for r in rt.store.actions_for(WS, lead_id)
        if r.action.kind is not ActionKind.NOTIFY_HUMAN
    ]


def _to_owner(rt: Runtime, lead_id: str) -> list[str]:
    return [
        r.action.subject or ""
        for r in rt.store.actions_for(WS, lead_id)
        if r.action.kind is ActionKind.NOTIFY_HUMAN
    ]


def test_after_a_hand_over_agents_stop_writing_to_the_lead_and_forward_replies(rt: Runtime) -> None:
    lead_id = _lead(rt)
    assert _to_lead(rt, lead_id), "the first touch went out"
    _reply(rt, lead_id, 1, "Can I please talk to a real person? Call me.")
    state = rt.store.get_lead(WS, lead_id)
    assert state.assigned_to == "human"
    assert state.escalations, "the escalation is on record"
    sent_before = _to_lead(rt, lead_id)
    owner_before = _to_owner(rt, lead_id)

    _reply(rt, lead_id, 2, "We have about 40 reps and budget this quarter. Tuesday at 3pm works for a call.")
    assert _to_lead(rt, lead_id) == sent_before, "no agent answered the lead itself"
    forwarded = [s for s in _to_owner(rt, lead_id) if s not in owner_before]
    assert forwarded and forwarded[-1].startswith("New reply from Dana Ortiz")
    assert rt.store.get_lead(WS, lead_id).appointment is None, "nothing was booked behind the owner's back"

    # an opt-out is still honoured while a human owns the lead
    _reply(rt, lead_id, 3, "Please remove me from your list. Unsubscribe.")
    state = rt.store.get_lead(WS, lead_id)
    assert state.stage is Stage.DO_NOT_CONTACT
    assert rt.store.is_suppressed(WS, "dana@northwind.example")


def test_an_agent_owned_lead_is_answered_as_before(rt: Runtime) -> None:
    lead_id = _lead(rt)
    before = _to_lead(rt, lead_id)
    _reply(rt, lead_id, 1, "Sounds interesting, tell me more about how it works.")
    state = rt.store.get_lead(WS, lead_id)
    assert state.assigned_to != "human"
    assert len(_to_lead(rt, lead_id)) > len(before), "an agent answered"


def test_routes_skip_human_owned_leads_unless_marked() -> None:
    table = RouteTable.load()
    human_ok = {r.name for r in table.routes if r.when.human}
    assert {"reply", "escalation_check", "escalated", "won"} <= human_ok
    assert not {"answer_in_qualification", "answer_in_scheduling", "stalled", "qualified_warm"} & human_ok
    assert When().human is False
