"""The demo's tiers: a realistic mix driven by prospect attributes, and the team table shows depth by tier."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from leadflow.agents.triage import assess
from leadflow.sim.prospects import generate_prospects
from leadflow.sim.report import read_ledger, team_work
from leadflow.sim.run import demo_campaign, open_simulation
from leadflow.sim.web import SimWeb


def test_the_demo_profile_splits_leads_into_a_realistic_mix() -> None:
    campaign = demo_campaign()
    prospects = generate_prospects(seed=7, n=300)
    tiers = {p.id: assess(p.lead, campaign).tier for p in prospects}
    share = {t: n / len(prospects) for t, n in Counter(tiers.values()).items()}
    assert 0.2 <= share["A"] <= 0.35 and 0.3 <= share["B"] <= 0.5 and 0.25 <= share["C"] <= 0.4, share
    for p in prospects:
        if p.lead.industry == "real_estate":  # outside the profile
            assert tiers[p.id] == "C"
        if tiers[p.id] == "A":  # a business in the profile; consumers' unknown title and size cap them at B
            assert p.lead.industry == "b2b_saas" and p.lead.attributes["employees"] > 0


def test_company_size_moves_the_tier() -> None:
    campaign = demo_campaign()
    lead = next(
        p.lead for p in generate_prospects(seed=7, n=100) if assess(p.lead, campaign).tier == "A"
        and p.lead.attributes["employees"] >= 10 and "sales" in (p.lead.title or "").lower()
        and p.lead.attributes["region"] in ("us", "eu")
    )  # fmt: skip
    small = lead.model_copy(update={"attributes": {**lead.attributes, "employees": 4}})
    far = lead.model_copy(update={"attributes": {**lead.attributes, "employees": 4, "region": "apac"},
                                  "timezone": "Asia/Tokyo"})  # fmt: skip
    fits = [assess(x, campaign).fit for x in (lead, small, far)]
    assert fits[0] > fits[1] > fits[2]
    assert [assess(x, campaign).tier for x in (lead, small, far)] == ["A", "A", "B"]


def test_simulated_sites_are_fixed_by_the_domain_and_404_otherwise() -> None:
    leads = [p.lead for p in generate_prospects(seed=7, n=20) if p.lead.company_domain]
    web = SimWeb(leads)
    url = f"https://{leads[0].company_domain}/about"
    assert web.fetch(url).content == SimWeb(reversed(leads)).fetch(url).content
    assert f"team of {leads[0].attributes.get('employees', '')}" in web.fetch(url).text
    try:
        web.fetch("https://unknown.example/")
    except Exception as exc:  # NotFound, as a 404 would be
        assert type(exc).__name__ == "NotFound"
    else:
        raise AssertionError("an unknown site must not be found")


def test_team_table_shows_the_tier_mix_and_depth_by_tier(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'lf.db'}"
    run = open_simulation(db_url=db, transcript_path=tmp_path / "world.db", seed=7, leads=15)
    try:
        run.runtime.worker.run_until_idle()
        tiers = Counter(s.tier for s in run.states())
        ledger = read_ledger(run.runtime.store, run.workspace)
        rows = {r.agent: r.work for r in team_work(run.runtime.store, run.workspace)}
    finally:
        run.close()
    assert set(tiers) == {"A", "B", "C"}, tiers
    for tier, n in tiers.items():
        assert f"{tier} {n} ({n / 15:.0%})" in rows["triage"]
    research = ledger.of("research").tiers
    assert {t: dict(w.kinds) for t, w in research.items()} == {
        "A": {"deep": tiers["A"]},
        "B": {"light": tiers["B"]},
        "C": {"none": tiers["C"]},
    }
    assert research["A"].pages > research["A"].leads and research["C"].pages == 0
    assert research["B"].pages <= research["B"].leads
    assert "A: deep" in rows["research"] and "C: none" in rows["research"]
    drafts = ledger.of("response").tiers
    assert sum(sum(w.kinds.values()) for w in drafts.values()) == 15
    assert "drafts by tier A: template" in rows["response"]
