"""Tests for prospect generation: reproducible, varied, valid leads with hidden truth."""

from __future__ import annotations

from collections import Counter
from dataclasses import fields
from zoneinfo import ZoneInfo, available_timezones

import pytest

import leadflow.sim
from leadflow.sim import Propensities, SimProspect, generate_prospects, truth_of
from leadflow.sim.prospects import DEFAULT_INDUSTRIES, SOURCES

RESERVED_SUFFIXES = (".example", "example.com", "example.net", "example.org")


def test_public_api_is_pinned() -> None:
    assert sorted(leadflow.sim.__all__) == [
        "DealReport",
        "KINDS",
        "Propensities",
        "SimProspect",
        "SimReply",
        "build_bounce_raw",
        "build_ooo_raw",
        "build_reply_raw",
        "customer_reply",
        "deal_outcome",
        "fate",
        "generate_prospects",
        "respond",
        "truth_of",
    ]


def test_same_seed_gives_identical_prospects() -> None:
    assert generate_prospects(seed=11, n=60) == generate_prospects(seed=11, n=60)


def test_different_seeds_differ() -> None:
    a = generate_prospects(seed=1, n=30)
    b = generate_prospects(seed=2, n=30)
    assert [p.lead.email for p in a] != [p.lead.email for p in b]
    assert [p.propensities for p in a] != [p.propensities for p in b]


def test_prefix_is_stable_when_n_grows() -> None:
    assert generate_prospects(seed=5, n=40)[:10] == generate_prospects(seed=5, n=10)


def test_propensities_are_in_range(population: list[SimProspect]) -> None:
    for prospect in population:
        for f in fields(Propensities):
            assert 0.0 <= getattr(prospect.propensities, f.name) <= 1.0


def test_propensities_reject_out_of_range() -> None:
    with pytest.raises(ValueError, match=r"outside 0\.\.1"):
        Propensities(1.2, 0, 0, 0, 0, 0, 0, 0, 0, 0)


def test_ids_emails_and_source_ids_are_unique(population: list[SimProspect]) -> None:
    assert len({p.id for p in population}) == len(population)
    assert len({p.lead.email for p in population}) == len(population)
    assert len({p.lead.source_lead_id for p in population}) == len(population)


def test_industries_sources_and_personas_all_appear(population: list[SimProspect]) -> None:
    assert {p.lead.industry for p in population} == set(DEFAULT_INDUSTRIES)
    assert {p.lead.source for p in population} == set(SOURCES)
    assert len({p.persona for p in population}) >= 8
    assert Counter(truth_of(p)["expected_final"] for p in population).keys() == {
        "meeting",
        "opt_out",
        "bounce",
        "nurture",
        "lost",
    }


def test_custom_industries_are_respected() -> None:
    prospects = generate_prospects(seed=3, n=200, industries=("solar", "insurance", "b2b_saas", "dental"))
    assert {p.lead.industry for p in prospects} == {"solar", "insurance", "b2b_saas", "dental"}


def test_time_zones_are_valid_iana_and_spread(population: list[SimProspect]) -> None:
    known = available_timezones()
    zones = [p.lead.timezone for p in population]
    for zone in zones:
        assert zone in known
        ZoneInfo(zone)
    prefixes = {z.split("/")[0] for z in zones if z}
    assert {"America", "Europe", "Asia", "Australia"} <= prefixes
    assert {"Asia/Kolkata", "Australia/Lord_Howe", "America/St_Johns"} & set(zones)


def test_domains_are_reserved(population: list[SimProspect]) -> None:
    for prospect in population:
        assert prospect.lead.email is not None
        assert prospect.lead.email.endswith(RESERVED_SUFFIXES)
        if prospect.lead.company_domain:
            assert prospect.lead.company_domain.endswith(RESERVED_SUFFIXES)


def test_sms_consent_only_with_a_phone(population: list[SimProspect]) -> None:
    with_sms = [p for p in population if p.lead.consent.sms]
    assert 0 < len(with_sms) < len(population)
    assert all(p.lead.phone for p in with_sms)


def test_inquiries_mostly_present(population: list[SimProspect]) -> None:
    assert sum(1 for p in population if p.lead.inquiry) > len(population) * 0.7


def test_truth_is_a_pure_function_of_the_prospect(population: list[SimProspect]) -> None:
    for prospect in population[:50]:
        assert truth_of(prospect) == truth_of(prospect)
        truth = truth_of(prospect)
        assert truth["bounces"] == (truth["expected_final"] == "bounce")
        assert truth["opts_out"] == (truth["opt_out_at"] is not None)
