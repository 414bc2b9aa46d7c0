"""Lost leads: nothing queued before the loss goes out, and a lost lead who writes again is heard.

A follow-up planned for Tuesday must not go out after Monday's "not interested" or a lost
deal, the same way an opt-out stops it (checked at dispatch). And a reply from a lead marked
lost is read rather than dropped: if it is interested, the lead is engaged again.
"""

from __future__ import annotations

from datetime import timedelta

from tests.unit.orchestrator.conftest import NOW, WS

from leadflow.domain.actions import ActionKind, OutboundAction
from leadflow.domain.models import Consent, Lead, Stage
from leadflow.runtime import Runtime
from leadflow.sim.run import CAMPAIGN
from leadflow.state.records import Commit


def _lead(rt: Runtime) -> str:
    lead = Lead(
        first_name="Sam", last_name="Reyes", email="sam@globex.example", company="Globex",
        industry="b2b_saas", title="VP Sales", source="webform", source_lead_id="s1",
        consent=Consent(email=True), inquiry="Looking at outbound tooling.",
    )  # fmt: skip
    state, _ = rt.intake.create_lead(WS, CAMPAIGN, lead, lead_id="sam")
    rt.worker.run_until_idle()
    return state.lead_id


def _statuses(rt: Runtime, lead_id: str) -> dict[str, str]:
    return {r.action.idempotency_key: r.status for r in rt.store.actions_for(WS, lead_id)}


def test_a_follow_up_queued_before_the_loss_is_not_sent(rt: Runtime) -> None:
    lead_id = _lead(rt)
    state = rt.store.get_lead(WS, lead_id)
    follow_up = OutboundAction(
        kind=ActionKind.SEND_EMAIL, idempotency_key="sam:follow-up", to="sam@globex.example",
        subject="Checking in", body="Any thoughts?", not_before=NOW + timedelta(days=1), agent="nurture",
    )  # fmt: skip
    assert rt.store.apply([Commit(WS, lead_id, actions=[follow_up], at=NOW)]) == [None]
    rt.intake.record_outcome(WS, lead_id, outcome="lost", reason="went with a competitor")
    rt.worker.run_until_idle()
    assert rt.store.get_lead(WS, lead_id).stage is Stage.LOST
    assert state.stage is not Stage.LOST
    rt.clock.advance_to(NOW + timedelta(days=2))  # type: ignore[attr-defined]
    rt.worker.run_until_idle()
    row = next(r for r in rt.store.actions_for(WS, lead_id) if r.action.idempotency_key == "sam:follow-up")
    assert (row.status, row.detail) == ("suppressed", "lead_lost")


def test_a_lost_lead_who_writes_again_is_read_and_re_engaged(rt: Runtime) -> None:
    lead_id = _lead(rt)
    assert rt.intake.receive_reply(
        WS, lead_id, message_id="<1@globex.example>", text="Not interested, thanks."
    )
    rt.worker.run_until_idle()
    assert rt.store.get_lead(WS, lead_id).stage is Stage.LOST
    queued_before = set(_statuses(rt, lead_id))

    rt.clock.advance_to(NOW + timedelta(days=60))  # type: ignore[attr-defined]
    assert rt.intake.receive_reply(
        WS, lead_id, message_id="<2@globex.example>",
        text="Hi again - our budget freed up and we'd like to see a demo. Are you free next week?",
    )  # fmt: skip
    rt.worker.run_until_idle()
    state = rt.store.get_lead(WS, lead_id)
    assert state.replies == 2, "the second reply was read"
    assert state.stage not in (Stage.LOST, Stage.DO_NOT_CONTACT)
    answers = {k: v for k, v in _statuses(rt, lead_id).items() if k not in queued_before}
    assert answers and set(answers.values()) <= {"pending", "sent"}, "the team answers the re-engaged lead"


def test_an_opted_out_lead_stays_opted_out_whatever_it_writes(rt: Runtime) -> None:
    lead_id = _lead(rt)
    assert rt.intake.receive_reply(
        WS, lead_id, message_id="<1@globex.example>", text="Unsubscribe me please."
    )
    rt.worker.run_until_idle()
    assert rt.store.get_lead(WS, lead_id).stage is Stage.DO_NOT_CONTACT
    sent_before = {k for k, v in _statuses(rt, lead_id).items() if v == "sent"}
    assert rt.intake.receive_reply(WS, lead_id, message_id="<2@globex.example>", text="Interested! Call me.")
    rt.worker.run_until_idle()
    assert rt.store.get_lead(WS, lead_id).stage is Stage.DO_NOT_CONTACT
    assert {k for k, v in _statuses(rt, lead_id).items() if v == "sent"} == sent_before
