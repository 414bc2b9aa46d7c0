"""Tests for the simulated seller and customers: seeded deal outcomes and post-sale replies."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest

from leadflow.sim import SimProspect, customer_reply, deal_outcome
from leadflow.sim.deals import DEAL_SIZES, churn_prone, win_probability
from leadflow.sim.prospects import fate

SEED = 20250304
WON_AT = datetime(2025, 3, 20, 15, 0, tzinfo=UTC)
WELCOME = ("Welcome to Northwind", "Hi {f},\n\nWelcome aboard! Sam will be your contact.")
CHECK_IN = ("Your 30-day check-in", "Hi {f},\n\nOne month in: how are results so far?")


def _reply(p: SimProspect, n: int, mail: tuple[str, str], days: int, seed: int = SEED) -> object:
    return customer_reply(
        p,
        seed=seed,
        n=n,
        subject=mail[0],
        body=mail[1].format(f=p.lead.first_name),
        sent_at=WON_AT + timedelta(days=days),
        won_at=WON_AT,
    )


def test_outcomes_are_reproducible_and_follow_the_propensities(population: list[SimProspect]) -> None:
    meetings = [p for p in population if fate(p.propensities) == "meeting"]
    assert len(meetings) > 50
    assert [deal_outcome(p, seed=SEED) for p in meetings] == [deal_outcome(p, seed=SEED) for p in meetings]
    assert [deal_outcome(p, seed=SEED) for p in meetings] != [
        deal_outcome(p, seed=SEED + 1) for p in meetings
    ]
    won = Counter(p.persona for p in population if deal_outcome(p, seed=SEED).outcome == "won")
    lost = Counter(p.persona for p in population if deal_outcome(p, seed=SEED).outcome == "lost")
    rate = {k: won[k] / (won[k] + lost[k]) for k in ("eager buyer", "curious researcher", "price shopper")}
    assert rate["eager buyer"] > rate["curious researcher"] > rate["price shopper"], rate
    assert all(0.03 <= win_probability(p) <= 0.8 for p in population)


def test_reports_are_well_formed(population: list[SimProspect]) -> None:
    for p in population:
        report = deal_outcome(p, seed=SEED)
        assert timedelta(days=1) <= report.delay <= timedelta(days=9)
        if report.outcome == "won":
            low, high, _ = DEAL_SIZES.get(p.lead.industry or "", DEAL_SIZES["b2b_saas"])
            assert report.amount is not None and low <= report.amount <= high
        else:
            assert report.outcome == "lost" and report.amount is None and report.reason
    delays = {deal_outcome(p, seed=SEED).delay.days for p in population}
    assert min(delays) <= 2 and max(delays) >= 6  # some reports come after the 5-day stall alert


def test_customers_mostly_stay_quiet_and_replies_are_stable(population: list[SimProspect]) -> None:
    welcomes = [_reply(p, 1, WELCOME, 0) for p in population]
    assert welcomes == [_reply(p, 1, WELCOME, 0) for p in population]  # a redelivery answers the same
    answered = [r for r in welcomes if r is not None]
    assert 0.1 * len(population) < len(answered) < 0.6 * len(population)
    assert {r.kind for r in answered} == {"customer_thanks", "customer_question"}  # nobody complains at once


def test_churn_prone_customers_complain_at_check_ins(
    population: list[SimProspect],
) -> None:
    prone = [p for p in population if churn_prone(p, seed=SEED)]
    happy = [p for p in population if not churn_prone(p, seed=SEED)]
    assert prone and happy
    for p in prone[:40]:
        reply = _reply(p, 5, CHECK_IN, 30)
        assert reply is not None and reply.kind == "customer_unhappy"
        early = _reply(p, 2, WELCOME, 3)
        assert early is None or early.kind != "customer_unhappy"
    assert all((r := _reply(p, 5, CHECK_IN, 30)) is None or r.kind != "customer_unhappy" for p in happy)


def test_bad_message_count_is_refused(population: list[SimProspect]) -> None:
    with pytest.raises(ValueError, match="starting at 1"):
        _reply(population[0], 0, WELCOME, 0)
