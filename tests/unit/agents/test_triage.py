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


def test_an_empty_profile_fits_everyone_and_thresholds_are_configurable() -> None:
    assert assess(make_state().lead, Campaign(name="c")).tier == "A"
    strict = make_campaign(settings={"tier_thresholds": [1.01, 0.99]})
    assert assess(make_state().lead, strict).tier == "B"


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
