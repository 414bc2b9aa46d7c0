"""The campaign decides the qualification pack, never a lead's industry field (issue 11)."""

from __future__ import annotations

from datetime import UTC, datetime

from tests.unit.agents.agent_helpers import FixedClock

from leadflow.agents.base import AgentContext
from leadflow.agents.qualification import QualificationAgent, load_pack, pack_for
from leadflow.domain.events import new_event
from leadflow.domain.models import Campaign, Lead, LeadState

T0 = datetime(2026, 3, 3, 15, tzinfo=UTC)


def _asked(campaign: Campaign, industry: str) -> str:
    state = LeadState(
        lead_id="l1", workspace_id="w", campaign=campaign.name, created_at=T0, updated_at=T0,
        lead=Lead(first_name="Jo", email="jo@insurer.example", industry=industry, title="Director of Finance"),
    )  # fmt: skip
    event = new_event("lead.engaged", lead_id="l1", workspace_id="w", at=T0, payload={"text": "Sounds good."})
    ctx = AgentContext(clock=FixedClock(T0), campaign=campaign, workspace_id="w")
    decision = QualificationAgent().handle(ctx, state, event)  # type: ignore[arg-type]
    assert decision.actions, decision.summary
    return str(decision.actions[0].body)


def test_an_insurance_lead_in_a_saas_campaign_gets_the_saas_questions() -> None:
    body = _asked(Campaign(name="c", industry_pack="b2b_saas"), "insurance")
    assert "auto, home, life or business" not in body  # the insurance pack's question
    saas = [q["ask"] for q in load_pack("b2b_saas")["questions"]]
    assert any(ask in body for ask in saas)


def test_a_campaign_s_own_questions_are_asked_and_its_sequence_is_the_drip() -> None:
    own = {"name": "mine", "questions": [{"key": "seats", "type": "number", "ask": "How many seats would you need?"}],
           "scoring": {"hot": ["seats >= 50"]}}
    campaign = Campaign(name="c", pack=own, settings={"nurture": [[0, "email"], [4, "email"]]})
    assert "How many seats would you need?" in _asked(campaign, "insurance")
    assert pack_for(campaign)["nurture"] == [[0, "email"], [4, "email"]]
    assert pack_for(Campaign(name="c"))["nurture"] == load_pack("b2b_saas")["nurture"]


def test_the_first_touch_opener_follows_the_campaign_not_the_lead_s_industry() -> None:
    from tests.unit.agents.agent_helpers import created, make_ctx, make_state

    from leadflow.agents.response import ResponseAgent

    state = make_state(industry="insurance", title="Director of Finance", inquiry="Can we see a demo for our team?")
    saas = ResponseAgent().handle(make_ctx(Campaign(name="c", industry_pack="b2b_saas")), state, created(state))
    assert "carriers" not in saas.actions[0].body and "quote" not in saas.actions[0].body
    insurer = ResponseAgent().handle(make_ctx(Campaign(name="c", industry_pack="insurance")), state, created(state))
    assert "compare options across carriers" in insurer.actions[0].body
