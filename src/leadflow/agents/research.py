"""Research agent: buying signals from the lead's company website and the lead's own fields.

Depth follows the lead's tier (see :mod:`leadflow.agents.triage`): tier A reads the home page and
a few well-known pages (about, careers, news), tier B the home page only, tier C no page at all.
Pages come through a polite fetcher (``ctx.extras["fetcher"]``, anything with ``fetch(url)``, or a
:class:`~leadflow.integrations.web.WebFetcher` built on ``ctx.http``); without either, as in the
offline demo, only the lead's fields are used.

Page text is data, never instructions: :func:`~leadflow.integrations.web.extract_signals` drops
instruction-like sentences (``kb.sanitize``), and this agent only ever writes ``state.signals``.
It sends nothing, suppresses nobody and changes no recipient, whatever a page says.

Model mode (:meth:`ResearchAgent.handle_llm`) reads the same pages, neutralised and quoted as
data, and asks the model to summarise them into signals. Each model signal must cite a page that
was fetched (or a lead field that was given) and be supported by that text (its figures and most of
its words appear there); unsupported ones are dropped, and when the model offered signals but none
survive, the call counts as failed (``ModelFailure``, the runner falls back to the rules). The
surviving signals are merged with the rule-based ones. Tier C, or no page read, never calls a model.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar, Protocol
from urllib.parse import urljoin

from pydantic import BaseModel, ConfigDict, Field

from leadflow.agents._llm import data_block, prompt, supported, with_usage
from leadflow.agents.base import AgentCard, AgentContext, Decision
from leadflow.agents.triage import ResearchDepth, assess, plan_for
from leadflow.domain.events import Event
from leadflow.domain.models import Lead, LeadState
from leadflow.exceptions import LeadflowError, ModelFailure
from leadflow.integrations.web import Signal, SignalKind, WebFetcher, extract_signals, page_text
from leadflow.kb.sanitize import is_suspicious, neutralise

log = logging.getLogger(__name__)

PAGES: Mapping[str, tuple[str, ...]] = {
    "deep": ("/", "/about", "/careers", "/news"),
    "light": ("/",),
    "none": (),
}
MAX_SIGNALS = 12
MAX_PAGE_CHARS = 20_000  # kept per page for the model
PROMPT_PAGE_CHARS = 4_000  # quoted per page in the prompt


class PageSource(Protocol):
    """Anything that fetches a page: ``WebFetcher`` or a test double."""

    def fetch(self, url: str) -> Any: ...


@dataclass
class Research:
    """What research found: signals (best first), pages read, their text, and pages that failed."""

    signals: list[Signal] = field(default_factory=list)
    pages: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    texts: dict[str, str] = field(default_factory=dict)  # page URL -> visible text (clipped)


def lead_fields(lead: Lead) -> dict[str, object]:
    """The lead's own fields that signal extraction understands."""
    fields: dict[str, object] = {"industry": lead.industry, "title": lead.title, "inquiry": lead.inquiry}
    for key in ("company_size", "employees", "team_size", "technologies", "tech_stack"):
        if key in lead.attributes:
            fields["company_size" if key in ("employees", "team_size") else key] = lead.attributes[key]
    return fields


def fetcher_for(ctx: AgentContext) -> PageSource | None:
    """The configured page fetcher, if any (``extras["fetcher"]`` first, then ``ctx.http``)."""
    fetcher = ctx.extras.get("fetcher")
    if fetcher is not None:
        return fetcher  # type: ignore[no-any-return]
    if ctx.http is not None:
        return WebFetcher(ctx.http, clock=ctx.clock.now)
    return None


def research(lead: Lead, *, depth: ResearchDepth, fetcher: PageSource | None) -> Research:
    """Collect signals about ``lead`` at ``depth``; fetch failures are recorded, never raised."""
    found = Research()
    fields = lead_fields(lead)
    signals: list[Signal] = []
    domain = (lead.company_domain or "").strip().lower().removeprefix("www.")
    if fetcher is not None and domain and depth != "none":
        base = f"https://{domain}"
        for path in PAGES[depth]:
            url = urljoin(base + "/", path.lstrip("/"))
            try:
                page = fetcher.fetch(url)
                text = page_text(page)
            except LeadflowError as exc:
                found.errors.append(f"{url}: {type(exc).__name__}")
                log.info("research: could not read %s: %s", url, exc)
                continue
            found.pages.append(url)
            source = str(getattr(page, "url", url))
            found.texts[source] = text[:MAX_PAGE_CHARS]
            signals.extend(extract_signals(text, url=source, lead_fields={}))
    signals.extend(extract_signals("", url=f"lead:{domain or 'unknown'}", lead_fields=fields))
    found.signals = best_signals(signals)
    return found


def best_signals(signals: list[Signal]) -> list[Signal]:
    """Distinct signals (by kind and text), the most confident of each, best first."""
    best: dict[tuple[str, str], Signal] = {}
    for signal in signals:
        key = (signal.kind.value, signal.text.lower())
        if key not in best or best[key].confidence < signal.confidence:
            best[key] = signal
    return sorted(best.values(), key=lambda s: s.confidence, reverse=True)[:MAX_SIGNALS]


class ModelSignal(BaseModel):
    """One signal as the model reports it; checked before it is kept."""

    model_config = ConfigDict(extra="forbid")

    kind: SignalKind
    text: str = Field(min_length=1, max_length=280, description="the fact, in one sentence")
    source: str = Field(description="the url of the <page> it comes from, or lead:<field>")
    confidence: float = Field(ge=0.0, le=1.0)


class ResearchFindings(BaseModel):
    """The model's summary of the pages: signals with their sources."""

    model_config = ConfigDict(extra="forbid")

    signals: list[ModelSignal] = Field(default_factory=list, max_length=20)


def check_signals(findings: ResearchFindings, sources: Mapping[str, str]) -> tuple[list[Signal], list[str]]:
    """Keep the model signals that cite a given source and are supported by its text.

    Args:
        findings: The model's output.
        sources: Every source the model was shown (page URL or ``lead:<field>``) and its text.

    Returns:
        The kept signals and, for each dropped one, why.
    """
    kept: list[Signal] = []
    dropped: list[str] = []
    for s in findings.signals:
        text = " ".join(s.text.split())
        if s.source not in sources:
            dropped.append(f"{s.source}: not a source that was read")
        elif is_suspicious(text):
            dropped.append(f"{s.source}: instruction-like text")
        elif not supported(text, sources[s.source]):
            dropped.append(f"{s.source}: not supported by the source text")
        else:
            kept.append(Signal(kind=s.kind, text=text, source=s.source, confidence=s.confidence))
    return kept, dropped


class ResearchAgent:
    card: ClassVar[AgentCard] = AgentCard(
        name="research",
        description="Reads the lead's company website (depth by tier) and records cited buying signals.",
        capabilities=["research", "signals"],
        inputs=["lead.created"],
        outputs=[],
        model_tier="fast",
        expected_latency_ms=400,
        concurrency=8,
    )

    def handle(self, ctx: AgentContext, state: LeadState, event: Event) -> Decision:
        tier = state.tier or assess(state.lead, ctx.campaign).tier
        depth = plan_for(tier).research
        found = research(state.lead, depth=depth, fetcher=fetcher_for(ctx))
        return self._record(state, found, f"tier {tier}, {depth} research")

    def handle_llm(self, ctx: AgentContext, state: LeadState, event: Event) -> Decision:
        """Rule signals plus the model's summary of the fetched pages, each signal checked."""
        tier = state.tier or assess(state.lead, ctx.campaign).tier
        depth = plan_for(tier).research
        found = research(state.lead, depth=depth, fetcher=fetcher_for(ctx))
        if ctx.llm is None or not found.texts:
            # Nothing was read (tier C, no fetcher, every page failed): nothing for a model to summarise.
            return self._record(state, found, f"tier {tier}, {depth} research")
        sources = {url: neutralise(text).text for url, text in found.texts.items()}
        fields = {
            f"lead:{k}": str(v)
            for k, v in lead_fields(state.lead).items()
            if v is not None and str(v).strip()
        }
        sources.update({k: neutralise(v).text for k, v in fields.items()})
        pages = "\n".join(
            data_block("page", text, limit=PROMPT_PAGE_CHARS, url=url)
            for url, text in sources.items()
            if url in found.texts
        )
        company = {"company": state.lead.company, "company_domain": state.lead.company_domain}
        given = {k: v for k, v in sources.items() if k in fields}
        result = ctx.llm.run(
            agent_name=self.card.name,
            tier=self.card.model_tier,
            instructions=prompt("research"),
            prompt=f"{data_block('company', company)}\n{data_block('lead_fields', given)}\nPages:\n{pages}",
            output_type=ResearchFindings,
        )
        findings: ResearchFindings = result.output
        kept, dropped = check_signals(findings, sources)
        if findings.signals and not kept:
            raise ModelFailure(f"research: no model signal was supported by what was read: {dropped[:3]}")
        found.signals = best_signals([*found.signals, *kept])
        note = f"tier {tier}, {depth} research with {result.model_name}: {len(kept)} model signal(s) kept" + (
            f", {len(dropped)} dropped" if dropped else ""
        )
        from_model = {(s.kind.value, s.text.lower()) for s in kept}
        return with_usage(self._record(state, found, note, from_model=from_model), result)

    def _record(
        self, state: LeadState, found: Research, note: str, *, from_model: set[tuple[str, str]] | None = None
    ) -> Decision:
        state.signals = [
            s.model_dump(mode="json")
            | ({"by": "model"} if (s.kind.value, s.text.lower()) in (from_model or set()) else {})
            for s in found.signals
        ]
        kinds = sorted({s.kind.value for s in found.signals})
        return Decision(
            result=f"signals_{len(found.signals)}",
            state=state,
            summary=f"{note}: {len(found.pages)} page(s), {len(found.signals)} signal(s)"
            + (f" [{', '.join(kinds)}]" if kinds else "")
            + (f"; {len(found.errors)} page(s) failed" if found.errors else ""),
        )
