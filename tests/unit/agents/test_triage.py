"""Triage: ICP fit, tiers, and what each tier may spend."""

from __future__ import annotations

from tests.unit.agents.agent_helpers import created, make_campaign, make_ctx, make_state

from leadflow.agents.triage import (
    TIER_PLANS,
    TriageAgent,
    TriageJudgement,
    assess,
    judge_with_rules,
    plan_for,
)
from leadflow.domain.models import Campaign


def test_a_perfect_fit_is_tier_a() -> None:
    result = assess(make_state().lead, make_campaign())
    assert result.fit == 1.0
    assert result.tier == "A"
    assert result.plan.research == "deep" and result.plan.writer == "strong"


def test_a_poor_fit_is_tier_c_and_never_uses_a_model() -> None:
    state = make_state(
        industry="retail",
        title="Intern",
        attributes={"team_size": 3, "region": "EU"},
        timezone="Europe/Paris",
    )
    result = assess(state.lead, make_campaign())
    assert result.fit == 0.0
    assert result.tier == "C"
    assert result.plan.writer == "template" and result.plan.research == "none"


def test_unknown_fields_earn_half_credit() -> None:
    state = make_state(industry=None, title=None, attributes={}, timezone=None)
    result = assess(state.lead, make_campaign())
    assert result.fit == 0.5
    assert result.tier == "B"
    assert "team size unknown" in result.reasons


def test_senior_titles_outside_the_profile_get_partial_credit() -> None:
    result = assess(make_state(title="Chief Executive Officer").lead, make_campaign())
    assert 0.85 < result.fit < 1.0
    assert "senior title outside profile" in result.reasons


def test_research_signals_give_team_size_and_a_buying_signal_bonus() -> None:
    state = make_state(attributes={"region": "US"}, title="Engineer")
    signals = [
        {
            "kind": "company_size",
            "text": "We are 150 employees across three offices.",
            "source": "https://acme.com",
            "confidence": 0.7,
        },
        {
            "kind": "funding",
            "text": "Acme raised $12M in a Series A.",
            "source": "https://acme.com",
            "confidence": 0.9,
        },
    ]
    without = assess(state.lead, make_campaign())
    with_signals = assess(state.lead, make_campaign(), signals)
    assert "team of 150 ≥ 20" in with_signals.reasons
    assert with_signals.fit > without.fit


def test_an_empty_profile_is_not_a_perfect_fit_and_thresholds_are_configurable() -> None:
    full = assess(make_state().lead, Campaign(name="c"))
    assert full.tier == "B" and full.fit < 0.75  # was A with fit 1.0: every lead a perfect fit
    assert "no ideal customer profile" in full.reasons[-1]
    bare = make_state(title=None, industry=None, attributes={}, timezone=None)
    assert assess(bare.lead, Campaign(name="c")).fit < full.fit  # the data alone decides
    assert assess(make_state().lead, Campaign(name="c", settings={"tier_thresholds": [0.1, 0.05]})).tier == "B"
    strict = make_campaign(settings={"tier_thresholds": [1.01, 0.99]})
    assert assess(make_state().lead, strict).tier == "B"


def test_the_profile_can_exclude_and_cap_the_company_size() -> None:
    campaign = make_campaign()
    icp = {**campaign.ideal_customer_profile, "exclude": {"industries": [make_state().lead.industry or "x"]}}
    out = assess(make_state().lead, campaign.model_copy(update={"ideal_customer_profile": icp}))
    assert out.tier == "C" and out.fit == 0.0 and "excluded by the profile" in out.disqualifiers[-1]
    capped = {**campaign.ideal_customer_profile, "max_team_size": 10}
    big = assess(make_state(attributes={"team_size": 500}).lead, campaign.model_copy(update={"ideal_customer_profile": capped}))
    assert "team of 500 > 10" in big.disqualifiers


def test_plan_for_unknown_tier_is_b() -> None:
    assert plan_for(None) == TIER_PLANS["B"] == plan_for("Z")


def test_agent_records_fit_and_tier() -> None:
    state = make_state()
    decision = TriageAgent().handle(make_ctx(), state, created(state))
    assert decision.state is not None
    assert decision.state.fit == 1.0 and decision.state.tier == "A"
    assert decision.actions == [] and decision.summary.startswith("fit 1.00 → tier A")


def test_hard_disqualifiers_are_the_criteria_a_lead_plainly_fails() -> None:
    campaign = make_campaign()
    fits = assess(make_state().lead, campaign)
    assert fits.disqualifiers == ()
    misfit = assess(
        make_state(
            industry="retail", attributes={"team_size": 5, "region": "EU"}, timezone="Europe/Paris"
        ).lead,
        campaign,
    )
    assert misfit.disqualifiers == (
        "industry retail outside profile",
        "team of 5 < 20",
        "region outside profile",
    )
    raised = judge_with_rules(TriageJudgement(fit=0.9, tier="A", reasons=["looks keen"]), misfit, campaign)
    assert (raised.fit, raised.tier) == (misfit.fit, misfit.tier)
    lowered = judge_with_rules(TriageJudgement(fit=0.2, tier="C", reasons=["a student"]), fits, campaign)
    assert (lowered.fit, lowered.tier) == (0.2, "C")
