"""One person, one lead, end to end: a Runtime and its worker over a SQLite store (issue 10, finding 4).

An opt-out recorded for one spelling of a number holds for every other; the same person posted
under two source ids, or three times without one, gets one lead and one first touch.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from tests.unit.orchestrator.conftest import NOW, WS

from leadflow.domain.actions import CONTACT_ACTIONS, ActionKind
from leadflow.domain.events import EventType
from leadflow.domain.models import Consent, Lead, Stage
from leadflow.integrations.channels import TranscriptChannel
from leadflow.orchestrator.clock import FixedClock
from leadflow.runtime import Runtime
from leadflow.settings import Settings
from leadflow.sim.run import CAMPAIGN, demo_campaign
from leadflow.state.records import Commit
from leadflow.state.sql import SqlStore


@pytest.fixture
def rt(tmp_path: Path) -> Iterator[Runtime]:
    url = f"sqlite:///{tmp_path / 'leadflow.db'}"
    channel = TranscriptChannel(":memory:")
    store = SqlStore(url)
    runtime = Runtime.build(
        Settings(db_url=url, transcript_path=":memory:", workspace=WS),
        store=store,
        clock=FixedClock(NOW),
        channel=channel,
    )
    runtime.store.save_campaign(WS, demo_campaign())
    yield runtime
    runtime.close()
    channel.close()


def sms_lead(phone: str, **fields: object) -> Lead:
    return Lead.model_validate(
        {
            "first_name": "Kenji",
            "last_name": "Sato",
            "phone": phone,
            "industry": "solar",
            "timezone": "America/New_York",
            "consent": Consent(email=True, sms=True),
            "inquiry": "How much would panels cost for my house?",
            **fields,
        }
    )


def contacts(rt: Runtime, lead_id: str) -> list[tuple[ActionKind, str | None, str]]:
    return [
        (r.action.kind, r.action.to, r.status)
        for r in rt.store.actions_for(WS, lead_id)
        if r.action.kind in CONTACT_ACTIONS
    ]


def sent(rt: Runtime) -> list[tuple[str, ActionKind, str | None]]:
    return [
        (s.lead_id, kind, to)
        for s in rt.store.list_leads(WS)
        for kind, to, status in contacts(rt, s.lead_id)
        if status == "sent"
    ]


def test_an_opt_out_for_one_spelling_of_a_number_refuses_an_sms_to_another(rt: Runtime) -> None:
    # the opt-out as it was written down (e.g. an imported unsubscribe list, a STOP from the number)
    rt.store.apply([Commit(WS, "-", suppress=[("+81 3 1234 5678", "sms STOP")], at=NOW)])
    state, created = rt.intake.create_lead(WS, CAMPAIGN, sms_lead("+81-3-1234-5678"))
    assert created
    rt.worker.run_until_idle()
    sms = [(to, status) for kind, to, status in contacts(rt, state.lead_id) if kind is ActionKind.SEND_SMS]
    assert sms, "the first touch was an SMS"
    assert all(status == "suppressed" for _, status in sms), sms
    assert sent(rt) == []


def test_after_an_sms_opt_out_the_same_number_in_another_spelling_gets_nothing(rt: Runtime) -> None:
    first, _ = rt.intake.create_lead(WS, CAMPAIGN, sms_lead("+81 3 1234 5678"))
    rt.worker.run_until_idle()
    assert sent(rt) == [(first.lead_id, ActionKind.SEND_SMS, "+81312345678")]
    assert rt.intake.receive_reply(WS, first.lead_id, message_id="sms-1", text="STOP. Unsubscribe me.", channel="sms")
    rt.worker.run_until_idle()
    assert rt.store.get_lead(WS, first.lead_id).stage is Stage.DO_NOT_CONTACT
    assert rt.store.is_suppressed(WS, "+81-3-1234-5678")

    again, created = rt.intake.create_lead(WS, CAMPAIGN, sms_lead("+81-3-1234-5678", source="csv"))
    rt.worker.run_until_idle()
    assert (again.lead_id, created) == (first.lead_id, False)
    assert sent(rt) == [(first.lead_id, ActionKind.SEND_SMS, "+81312345678")], "one SMS, before the opt-out"


def test_the_same_email_under_two_source_ids_is_one_lead_with_one_first_touch(rt: Runtime) -> None:
    a = Lead(first_name="Ann", last_name="Lee", email="ann.lee@acme.example", company="Acme", industry="b2b_saas",
             title="CTO", source="webform", source_lead_id="wf-1", inquiry="Send me pricing please.")  # fmt: skip
    b = a.model_copy(update={"email": "Ann.Lee@ACME.example", "source": "crm", "source_lead_id": "crm-77"})
    first, created = rt.intake.create_lead(WS, CAMPAIGN, a)
    rt.worker.run_until_idle()
    second, created_again = rt.intake.create_lead(WS, CAMPAIGN, b)
    rt.worker.run_until_idle()
    assert (created, created_again, second.lead_id) == (True, False, first.lead_id)
    assert [s.lead_id for s in rt.store.list_leads(WS)] == [first.lead_id]
    assert [(lid, kind) for lid, kind, _ in sent(rt)] == [(first.lead_id, ActionKind.SEND_EMAIL)]
    [link] = [e for e in rt.store.lead_events(WS, first.lead_id) if e.type == EventType.LEAD_LINKED]
    assert link.payload["matched"] == "email:ann.lee@acme.example"
    assert link.payload["linked"] == ["src:crm:crm-77"]


def test_a_phone_only_lead_posted_three_times_is_one_lead_and_one_sms(rt: Runtime) -> None:
    results = [rt.intake.create_lead(WS, CAMPAIGN, sms_lead(p)) for p in
               ("+1 (415) 555-0100", "415-555-0100", "+14155550100")]  # fmt: skip
    rt.worker.run_until_idle()
    assert [created for _, created in results] == [True, False, False]
    assert len({s.lead_id for s, _ in results}) == 1
    assert len(rt.store.list_leads(WS)) == 1
    assert sent(rt) == [(results[0][0].lead_id, ActionKind.SEND_SMS, "+14155550100")]


def test_a_domain_wide_suppression_refuses_every_address_there(rt: Runtime) -> None:
    rt.store.apply([Commit(WS, "-", suppress=[("domain:Acme.example", "legal request")], at=NOW)])
    a = Lead(first_name="Ann", last_name="Lee", email="ann.lee@ACME.example", company="Acme", industry="b2b_saas",
             title="CTO", source="webform", source_lead_id="wf-1", inquiry="Send me pricing please.")  # fmt: skip
    state, _ = rt.intake.create_lead(WS, CAMPAIGN, a)
    rt.worker.run_until_idle()
    emails = [r for r in rt.store.actions_for(WS, state.lead_id) if r.action.kind is ActionKind.SEND_EMAIL]
    assert emails and {(r.status, r.detail) for r in emails} == {("suppressed", "suppressed_domain")}
    assert sent(rt) == []
