"""Industry packs as the qualification agent reads them, and answers given before they are asked.

YAML 1.1 reads bare ``yes:`` and ``no:`` keys as booleans; the packs write yes/no questions'
cue lists under exactly those keys, so loading must keep them, or a yes/no answer is only
ever understood right after the question was asked.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from tests.unit.agents.agent_helpers import FixedClock

from leadflow.agents.base import AgentContext
from leadflow.agents.qualification import PACKS, QualificationAgent, load_pack
from leadflow.domain.events import new_event
from leadflow.domain.models import Campaign, Lead, LeadState
from leadflow.reply import analyze_reply

T0 = datetime(2026, 3, 3, 15, tzinfo=UTC)


@pytest.mark.parametrize("name", sorted(p.stem for p in PACKS.glob("*.yaml")))
def test_yes_no_questions_keep_their_cue_lists(name: str) -> None:
    for q in load_pack(name)["questions"]:
        assert True not in q and False not in q, f"{name}: {q['key']} has a boolean key"
        if q["type"] == "yes_no":
            assert q.get("yes"), f"{name}: {q['key']} has no yes cues"


def _engaged(industry: str, text: str) -> tuple[LeadState, object]:
    state = LeadState(
        lead_id="l1", workspace_id="w", campaign="c", created_at=T0, updated_at=T0,
        lead=Lead(first_name="Hannah", email="hannah@example.org", industry=industry),
    )  # fmt: skip
    info = analyze_reply(text=text, now=T0).model_dump(mode="json")
    info.pop("id", None)
    return state, new_event("lead.engaged", lead_id="l1", workspace_id="w", at=T0, payload=info)


@pytest.mark.parametrize(
    ("industry", "text", "key", "value"),
    [
        ("solar", "Sounds good. What are the next steps? Re the house: yes, we own it.", "owns_home", "yes"),
        ("solar", "Interested, but we're renting at the moment.", "owns_home", "no"),
        ("hvac", "The AC died last night and we own the place - this is an emergency.", "owns_home", "yes"),
    ],
)
def test_an_answer_given_before_the_question_is_kept(industry: str, text: str, key: str, value: str) -> None:
    state, event = _engaged(industry, text)
    campaign = Campaign(name="c", industry_pack=industry)  # the campaign picks the pack (issue 11)
    ctx = AgentContext(clock=FixedClock(T0), campaign=campaign, workspace_id="w")
    decision = QualificationAgent().handle(ctx, state, event)  # type: ignore[arg-type]
    assert decision.state is not None
    assert decision.state.qualification.get(key) == value
    assert key not in (decision.state.pending_question or "").split(","), "it is not asked again"


def test_a_yearly_amount_is_a_budget_not_a_timeline_and_a_later_timeline_replaces_an_earlier_one() -> None:
    from leadflow.agents._extract import timeline_months

    assert timeline_months("We set aside about $20,000 a year for it.") is None
    assert timeline_months("Roughly 500 dollars per month, billed annually") is None
    assert timeline_months("$12k annually; we'd start in 2 months") == 2.0
    campaign = Campaign(name="c", industry_pack="b2b_saas")
    ctx = AgentContext(clock=FixedClock(T0), campaign=campaign, workspace_id="w")
    state, event = _engaged("b2b_saas", "We have about $20,000 a year for it.")
    state.qualification["timeline"] = 12.0  # what an earlier reply was read as
    decision = QualificationAgent().handle(ctx, state, event)  # type: ignore[arg-type]
    assert decision.state is not None and decision.state.qualification["timeline"] == 12.0
    later = new_event("reply.classified", lead_id="l1", workspace_id="w", at=T0,
                      payload={"intent": "question", "text": "We'd like it live within the next month."})
    decision = QualificationAgent().handle(ctx, decision.state, later)  # type: ignore[arg-type]
    assert decision.state is not None and decision.state.qualification["timeline"] == 1.0
