"""E-mail consent is never assumed silently (issue 10, finding 2: "Email consent defaults to true").

A source that states consent is taken at its word; when it says nothing, the campaign's
``settings["email_consent"]`` decides and the lead records the basis: ``legitimate_interest``
(the default for B2B outreach, written into ``consent.source``) or ``explicit`` (nothing is
e-mailed until a source states consent).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from tests.unit.orchestrator.conftest import NOW, WS

from leadflow.api.schemas import LeadCreate
from leadflow.domain.actions import ActionKind
from leadflow.domain.models import Lead
from leadflow.exceptions import InvalidInput
from leadflow.integrations.channels import TranscriptChannel
from leadflow.orchestrator.clock import FixedClock
from leadflow.runtime import Runtime
from leadflow.settings import Settings
from leadflow.sim.run import demo_campaign
from leadflow.state.sql import SqlStore


@pytest.fixture
def rt(tmp_path: Path) -> Iterator[Runtime]:
    url = f"sqlite:///{tmp_path / 'leadflow.db'}"
    channel = TranscriptChannel(":memory:")
    runtime = Runtime.build(Settings(db_url=url, transcript_path=":memory:", workspace=WS),
                            store=SqlStore(url), clock=FixedClock(NOW), channel=channel)
    base = demo_campaign()
    runtime.store.save_campaign(WS, base.model_copy(update={"name": "open"}))
    runtime.store.save_campaign(WS, base.model_copy(update={
        "name": "strict", "settings": {**base.settings, "email_consent": "explicit"}}))
    yield runtime
    runtime.close()
    channel.close()


def posted(**fields: object) -> Lead:
    """A lead as a webhook body gives it (only the stated fields are set)."""
    body = {"campaign": "x", "first_name": "Ana", "last_name": "Lima", "company": "Acme",
            "timezone": "America/New_York", "inquiry": "Pricing for 40 seats?", **fields}
    return LeadCreate.model_validate(body).to_lead()


def emails_sent(rt: Runtime, lead_id: str) -> list[str | None]:
    return [r.action.to for r in rt.store.actions_for(WS, lead_id)
            if r.action.kind is ActionKind.SEND_EMAIL and r.status == "sent"]


def test_unstated_consent_is_recorded_as_the_campaigns_basis(rt: Runtime) -> None:
    state, _ = rt.intake.create_lead(WS, "open", posted(email="ana@acme.com"))
    assert state.lead.consent.email is True
    assert state.lead.consent.source == "legitimate_interest"


def test_a_campaign_that_requires_explicit_consent_emails_no_one_who_did_not_state_it(rt: Runtime) -> None:
    silent, _ = rt.intake.create_lead(WS, "strict", posted(email="ana@acme.com"))
    stated, _ = rt.intake.create_lead(WS, "strict", posted(email="bo@beta.io", first_name="Bo",
                                                            consent={"email": True, "source": "form"}))
    assert silent.lead.consent.email is False and silent.lead.consent.source == "not_stated"
    rt.worker.run_until_idle(simulate=True, max_rounds=200)
    assert emails_sent(rt, silent.lead_id) == []
    assert set(emails_sent(rt, stated.lead_id)) == {"bo@beta.io"}  # the first touch and its follow-ups


def test_a_stated_refusal_is_kept_whatever_the_campaign_says(rt: Runtime) -> None:
    state, _ = rt.intake.create_lead(WS, "open", posted(email="cy@gamma.io", consent={"email": False}))
    assert state.lead.consent.email is False
    rt.worker.run_until_idle(simulate=True, max_rounds=200)
    assert emails_sent(rt, state.lead_id) == []


def test_an_unknown_basis_is_a_clear_error(rt: Runtime) -> None:
    base = demo_campaign()
    rt.store.save_campaign(WS, base.model_copy(update={"name": "odd", "settings": {"email_consent": "maybe"}}))
    with pytest.raises(InvalidInput, match="email_consent"):
        rt.intake.create_lead(WS, "odd", posted(email="dee@delta.io"))
