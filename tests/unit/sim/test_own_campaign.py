"""Synthetic prospects drawn to fit a campaign's ICP, and what an autonomy mode would hold."""

from __future__ import annotations

from datetime import UTC, datetime

from leadflow.domain.actions import ActionKind, OutboundAction
from leadflow.domain.models import Campaign
from leadflow.sim.own_campaign import FIT_SHARE, icp_prospects, would_hold
from leadflow.sim.prospects import generate_prospects
from leadflow.state.records import ActionRow

ICP = {"industries": ["fintech", "insurtech"], "titles": ["revenue", "vp"], "min_team_size": 200,
       "max_team_size": 900, "regions": ["Europe"]}


def test_prospects_are_drawn_to_fit_the_profile_and_are_reproducible() -> None:
    campaign = Campaign(name="fit", ideal_customer_profile=ICP)
    prospects = icp_prospects(campaign, seed=5, n=40)
    assert len(prospects) == 40 and len({p.id for p in prospects}) == 40
    assert {p.lead.industry for p in prospects} <= {"fintech", "insurtech"}
    fitted = [p for p in prospects if p.lead.attributes.get("region") == "Europe"]
    assert len(fitted) >= 40 * FIT_SHARE * 0.7  # most are in the profile, written as the profile writes it
    for p in fitted:
        assert 200 <= p.lead.attributes["employees"] <= 900
        assert p.lead.title and any(k in p.lead.title.lower() for k in ("revenue", "vp"))
        assert p.lead.timezone and p.lead.timezone.startswith(("Europe/", "Atlantic/"))
        assert p.lead.company
    assert len(fitted) < 40  # and some are not, so triage has something to tell apart
    assert icp_prospects(campaign, seed=5, n=40) == prospects


def test_an_empty_profile_draws_business_prospects_as_the_generator_does() -> None:
    prospects = icp_prospects(Campaign(name="plain"), seed=2, n=10)
    drawn = generate_prospects(seed=2, n=10, industries=("b2b_saas",))
    assert [p.id for p in prospects] == [p.id for p in drawn]
    assert [p.lead.email for p in prospects] == [p.lead.email for p in drawn]


def _row(seq: int, kind: ActionKind = ActionKind.SEND_EMAIL) -> ActionRow:
    action = OutboundAction(kind=kind, idempotency_key=f"l:{seq}", to="a@b.example", body="hi")
    return ActionRow(seq, "w", "l", action, "sent", 0, datetime(2026, 3, 2, tzinfo=UTC))


def test_would_hold_follows_the_autonomy_mode() -> None:
    rows = [_row(1, ActionKind.NOTIFY_HUMAN), _row(2), _row(3), _row(4, ActionKind.SEND_SMS)]
    assert would_hold("autopilot", rows) == []
    assert [r.seq for r, _ in would_hold("review_first_touch", rows)] == [2]
    assert [r.seq for r, _ in would_hold("review_all", rows)] == [2, 3, 4]
    assert [r.seq for r, _ in would_hold("draft_only", rows)] == [2, 3, 4]
    assert would_hold("review_all", [_row(1, ActionKind.NOTIFY_HUMAN)]) == []  # a note to a person is never held
