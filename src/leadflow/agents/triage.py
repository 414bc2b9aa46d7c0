"""Triage agent: how well a lead fits the campaign's ideal customer profile, and its tier.

Fit is a weighted match of the lead against ``campaign.ideal_customer_profile`` (``industries``,
``titles``, ``min_team_size``, ``max_team_size``, ``regions``; ``exclude`` rules a lead out); criteria the profile leaves out are not counted, and
a lead field we do not know earns half credit. Buying signals found by research (funding,
hiring) add a little. The fit (0..1) gives a tier (``settings["tier_thresholds"]``, default A ≥ 0.75,
B ≥ 0.45), and the tier decides how much each later step may spend on the lead (:data:`TIER_PLANS`):

====  =================================  =====================  ==============================
tier  research                           first message          model calls (with a model)
====  =================================  =====================  ==============================
A     deep: home, about, careers, news   strong model, shown    triage, research summary of
                                         every signal           4 pages (fast), draft (strong)
B     light: the home page               fast model, shown      triage, research summary of
                                         the best signal        1 page (fast), draft (fast)
C     none: the lead's own fields        template with the      none (see below)
                                         best signal
====  =================================  =====================  ==============================

That is the "60% lower model cost from tiering" of the design documents: a list holds few tier A
leads, tier B costs a few cheap calls and tier C none. ``bench/bench_tiering.py`` measures it on
simulated leads against treating every lead as tier A. Without a model (the offline demo) every
tier gets a template; research depth still follows the tier.

Research runs before triage in the ``new_lead`` pipeline, so research calls :func:`assess` itself
(without signals) to pick its depth; triage then records the final fit with what research found,
and the first message follows that final tier. A lead the rules plainly disqualify (see below)
and put in tier C never reaches a model at all; a tier C lead that merely scores low gets one
fast-model look from triage, because that is where the rules are blunt.

Model mode (:meth:`TriageAgent.handle_llm`) lets the fast model judge fit where the rules are blunt
(synonymous titles, regions written another way). Its fit must lie in 0..1 and its tier must agree
with the campaign's thresholds, else ``ModelFailure`` and the rules decide. The rules still apply
their hard disqualifiers (industry or region outside the profile, a team below the minimum): such a
lead can never be scored above what the rules gave, and when the rules already put it in tier C
the model is not asked at all.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field

from leadflow.agents._llm import data_block, one_line, prompt, with_usage
from leadflow.agents.base import AgentCard, AgentContext, Decision
from leadflow.domain.events import Event
from leadflow.domain.models import Campaign, Lead, LeadState
from leadflow.exceptions import ModelFailure
from leadflow.kb.sanitize import is_suspicious

Tier = Literal["A", "B", "C"]
ResearchDepth = Literal["deep", "light", "none"]
Writer = Literal["strong", "fast", "template"]

WEIGHTS: Mapping[str, float] = {"industry": 0.35, "title": 0.25, "team_size": 0.2, "region": 0.2}
TIER_A = 0.75
TIER_B = 0.45
_SENIOR = re.compile(
    r"\b(?:founder|owner|ceo|cto|coo|cfo|cmo|chief|vp|vice president|head|director|president)\b", re.I
)
_SIZE_KEYS = ("team_size", "company_size", "employees", "employee_count")


@dataclass(frozen=True)
class TierPlan:
    """What a tier may spend on a lead.

    Attributes:
        research: How many pages research reads (``research.PAGES``); with a model, the fast
            model summarises whatever was read.
        writer: Who writes the first message: a model tier or the template.
        signals: How many research signals the writer is given, best first (``None``: all).
    """

    research: ResearchDepth
    writer: Writer
    signals: int | None


TIER_PLANS: Mapping[str, TierPlan] = {
    "A": TierPlan(research="deep", writer="strong", signals=None),
    "B": TierPlan(research="light", writer="fast", signals=1),
    "C": TierPlan(research="none", writer="template", signals=1),
}


@dataclass(frozen=True)
class Assessment:
    """The fit of one lead: a score in 0..1, its tier, why, and the profile criteria it plainly fails."""

    fit: float
    tier: Tier
    reasons: tuple[str, ...] = field(default=())
    disqualifiers: tuple[str, ...] = field(default=())

    @property
    def plan(self) -> TierPlan:
        return TIER_PLANS[self.tier]


def plan_for(tier: str | None) -> TierPlan:
    """The plan for ``tier``; an unknown or missing tier is treated as B."""
    return TIER_PLANS.get(tier or "B", TIER_PLANS["B"])


def _words(values: Any) -> list[str]:
    if values is None:
        return []
    items = [values] if isinstance(values, str) else list(values)
    return [str(v).strip().lower() for v in items if str(v).strip()]


def _team_size(lead: Lead, signals: Sequence[Mapping[str, Any]]) -> int | None:
    for key in _SIZE_KEYS:
        raw = lead.attributes.get(key)
        if raw is not None:
            match = re.search(r"\d[\d,]*", str(raw))
            if match:
                return int(match.group().replace(",", ""))
    for signal in signals:
        if signal.get("kind") == "company_size":
            match = re.search(
                r"\b(\d[\d,]*)\+?\s*(?:employees|people|staff|team members)", str(signal.get("text")), re.I
            )
            if match:
                return int(match.group(1).replace(",", ""))
    return None


def _region_text(lead: Lead) -> str:
    parts = [str(lead.attributes.get(k, "")) for k in ("region", "country", "state", "city")]
    parts.append(lead.timezone or "")
    return " ".join(parts).lower()


def _names(term: str, text: str) -> bool:
    """Whether ``text`` names ``term`` as a whole word ("us" is not in "australia" or "brussels")."""
    return re.search(rf"(?<![a-z0-9]){re.escape(term)}(?![a-z0-9])", text) is not None


def assess(lead: Lead, campaign: Campaign, signals: Sequence[Mapping[str, Any]] = ()) -> Assessment:
    """Score ``lead`` against the campaign's ideal customer profile.

    Args:
        lead: The lead as it arrived.
        campaign: Its ``ideal_customer_profile`` and ``settings["tier_thresholds"]`` (``[A, B]``).
        signals: Research signals as stored in ``LeadState.signals`` (may be empty).

    Returns:
        The fit in 0..1, the tier and reasons. A lead the profile's ``exclude`` names is tier C
        with fit 0; with an empty profile the fit comes from how much is known about the lead
        (0.3..0.6) and the tier is B at best: an empty profile is not a perfect fit.
    """
    icp = campaign.ideal_customer_profile
    earned = 0.0
    total = 0.0
    reasons: list[str] = []
    disqualifiers: list[str] = []
    industries = _words(icp.get("industries"))
    if industries:
        total += WEIGHTS["industry"]
        industry = (lead.industry or "").lower()
        if not industry:
            earned += WEIGHTS["industry"] / 2
            reasons.append("industry unknown")
        elif any(i == industry or i in industry for i in industries):
            earned += WEIGHTS["industry"]
            reasons.append(f"industry {industry} in profile")
        else:
            reasons.append(f"industry {industry} outside profile")
            disqualifiers.append(reasons[-1])
    titles = _words(icp.get("titles"))
    if titles:
        total += WEIGHTS["title"]
        title = (lead.title or "").lower()
        if not title:
            earned += WEIGHTS["title"] / 2
            reasons.append("title unknown")
        elif any(t in title for t in titles):
            earned += WEIGHTS["title"]
            reasons.append("title matches profile")
        elif _SENIOR.search(title):
            earned += WEIGHTS["title"] / 2
            reasons.append("senior title outside profile")
        else:
            reasons.append("title outside profile")
    min_team = icp.get("min_team_size")
    if min_team:
        total += WEIGHTS["team_size"]
        size = _team_size(lead, signals)
        if size is None:
            earned += WEIGHTS["team_size"] / 2
            reasons.append("team size unknown")
        elif size >= int(min_team):
            earned += WEIGHTS["team_size"]
            reasons.append(f"team of {size} ≥ {min_team}")
        else:
            reasons.append(f"team of {size} < {min_team}")
            disqualifiers.append(reasons[-1])
    max_team = icp.get("max_team_size")
    if max_team:
        total += WEIGHTS["team_size"] / 2
        size = _team_size(lead, signals)
        if size is None:
            earned += WEIGHTS["team_size"] / 4
        elif size <= int(max_team):
            earned += WEIGHTS["team_size"] / 2
            reasons.append(f"team of {size} ≤ {max_team}")
        else:
            reasons.append(f"team of {size} > {max_team}")
            disqualifiers.append(reasons[-1])
    regions = _words(icp.get("regions"))
    if regions:
        total += WEIGHTS["region"]
        where = _region_text(lead)
        if not where.strip():
            earned += WEIGHTS["region"] / 2
            reasons.append("region unknown")
        elif any(_names(r, where) for r in regions):
            earned += WEIGHTS["region"]
            reasons.append("region in profile")
        else:
            reasons.append("region outside profile")
            disqualifiers.append(reasons[-1])
    excluded = _excluded(lead, icp.get("exclude") or {})
    if excluded:
        reasons.append(excluded)
        return Assessment(fit=0.0, tier="C", reasons=tuple(reasons), disqualifiers=(*disqualifiers, excluded))
    if total:
        fit = earned / total
    else:  # no profile: nothing says the lead fits, so its data alone decides, and never tier A
        known = [lead.title, lead.company, lead.industry, _team_size(lead, signals), _region_text(lead).strip()]
        fit = round(0.3 + 0.3 * sum(1 for k in known if k) / len(known), 3)
        reasons.append("no ideal customer profile: tiered on the lead's data alone (B at best)")
    kinds = {s.get("kind") for s in signals if float(s.get("confidence", 0)) >= 0.6}
    bonus = 0.05 * len(kinds & {"funding", "hiring"})
    if bonus:
        reasons.append("buying signals: " + ", ".join(sorted(str(k) for k in kinds & {"funding", "hiring"})))
    fit = round(min(1.0, fit + bonus), 3)
    tier = tier_for(fit, campaign)
    if not total and tier == "A":
        tier = "B"
    return Assessment(fit=fit, tier=tier, reasons=tuple(reasons), disqualifiers=tuple(disqualifiers))


def _excluded(lead: Lead, exclude: Mapping[str, Any]) -> str | None:
    """Why the profile's ``exclude`` rules the lead out (industries, titles, companies, domains)."""
    checks = (
        ("industries", lead.industry, "industry"),
        ("titles", lead.title, "title"),
        ("companies", lead.company, "company"),
        ("domains", lead.company_domain or (lead.email.rsplit("@", 1)[-1] if lead.email else None), "domain"),
    )
    for key, value, label in checks:
        text = (value or "").lower()
        if text and any(_names(w, text) for w in _words(exclude.get(key))):
            return f"{label} {text} excluded by the profile"
    return None


def thresholds(campaign: Campaign) -> tuple[float, float]:
    """The fit needed for tier A and for tier B (``settings["tier_thresholds"]``)."""
    tier_a, tier_b = campaign.settings.get("tier_thresholds", (TIER_A, TIER_B))
    return float(tier_a), float(tier_b)


def tier_for(fit: float, campaign: Campaign) -> Tier:
    """The tier a fit earns under the campaign's thresholds."""
    tier_a, tier_b = thresholds(campaign)
    return "A" if fit >= tier_a else "B" if fit >= tier_b else "C"


class TriageJudgement(BaseModel):
    """The model's view of one lead's fit."""

    model_config = ConfigDict(extra="forbid")

    fit: float = Field(ge=0.0, le=1.0)
    tier: Tier
    reasons: list[str] = Field(min_length=1, max_length=5)


def judge_with_rules(judgement: TriageJudgement, rules: Assessment, campaign: Campaign) -> Assessment:
    """The final assessment: the model's, checked, and never above the rules' for a disqualified lead.

    Raises:
        ModelFailure: The tier disagrees with the fit, or a reason reads like an instruction.
    """
    if judgement.tier != tier_for(judgement.fit, campaign):
        raise ModelFailure(
            f"triage: tier {judgement.tier} does not match fit {judgement.fit:.2f} under thresholds {thresholds(campaign)}"
        )
    reasons = [" ".join(r.split())[:200] for r in judgement.reasons if r.strip()]
    if not reasons or any(is_suspicious(r) for r in reasons):
        raise ModelFailure("triage: the model's reasons are empty or read like instructions")
    fit = round(judgement.fit, 3)
    if rules.disqualifiers and fit > rules.fit:
        fit = rules.fit
        reasons.append("capped by the rules: " + "; ".join(rules.disqualifiers))
    return Assessment(
        fit=fit, tier=tier_for(fit, campaign), reasons=tuple(reasons), disqualifiers=rules.disqualifiers
    )


class TriageAgent:
    card: ClassVar[AgentCard] = AgentCard(
        name="triage",
        description="Scores ICP fit (0..1) and assigns tier A/B/C, which sets research depth and model spend.",
        capabilities=["icp_fit", "tiering"],
        inputs=["lead.created"],
        outputs=[],
        model_tier="fast",
        expected_latency_ms=1,
        concurrency=64,
    )

    def handle(self, ctx: AgentContext, state: LeadState, event: Event) -> Decision:
        return self._record(state, assess(state.lead, ctx.campaign, state.signals))

    def handle_llm(self, ctx: AgentContext, state: LeadState, event: Event) -> Decision:
        """The model's fit judgement, checked and bounded by the rules' hard disqualifiers."""
        rules = assess(state.lead, ctx.campaign, state.signals)
        if ctx.llm is None or (rules.disqualifiers and rules.tier == "C"):
            return self._record(state, rules)  # the model could only lower it: no call
        lead = state.lead
        fields = {
            "title": lead.title,
            "company": lead.company,
            "industry": lead.industry,
            "timezone": lead.timezone,
            "source": lead.source,
            "inquiry": lead.inquiry,
            **{f"attributes.{k}": v for k, v in lead.attributes.items()},  # cannot pass for a field above
        }
        signals = "\n".join(
            f"- {one_line(s.get('kind'), limit=40)}: {one_line(s.get('text'), limit=600)}"
            f" (source {one_line(s.get('source'), limit=300)})"
            for s in state.signals[:12]
        )
        tier_a, tier_b = thresholds(ctx.campaign)
        result = ctx.llm.run(
            agent_name=self.card.name,
            tier=self.card.model_tier,
            instructions=prompt("triage"),
            prompt=f"Profile: {json.dumps(ctx.campaign.ideal_customer_profile, default=str)}\n"
            f"Thresholds: A >= {tier_a}, B >= {tier_b}\n"
            + data_block("rules", f"fit {rules.fit:.2f}, tier {rules.tier}; " + "; ".join(rules.reasons))
            + "\n"
            + data_block("lead", fields)
            + "\n"
            + data_block("signals", signals),
            output_type=TriageJudgement,
        )
        return with_usage(self._record(state, judge_with_rules(result.output, rules, ctx.campaign)), result)

    def _record(self, state: LeadState, result: Assessment) -> Decision:
        state.fit = result.fit
        state.tier = result.tier
        plan = result.plan
        return Decision(
            result=f"tier_{result.tier}",
            state=state,
            summary=f"fit {result.fit:.2f} → tier {result.tier} (research {plan.research}, writer {plan.writer}): "
            + "; ".join(result.reasons)[:300],
        )
