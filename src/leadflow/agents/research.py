"""Research agent: buying signals from the lead's company website and the lead's own fields.

Depth follows the lead's tier (see :mod:`leadflow.agents.triage`): tier A reads the home page and
a few well-known pages (about, careers, news), tier B the home page only, tier C no page at all.
Pages come through a polite fetcher (``ctx.extras["fetcher"]``, anything with ``fetch(url)``, or a
:class:`~leadflow.integrations.web.WebFetcher` built on ``ctx.http``); without either, as in the
offline demo, only the lead's fields are used.

Page text is data, never instructions: :func:`~leadflow.integrations.web.extract_signals` drops
instruction-like sentences (``kb.sanitize``), and this agent only ever writes ``state.signals``.
It sends nothing, suppresses nobody and changes no recipient, whatever a page says.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar, Protocol
from urllib.parse import urljoin

from leadflow.agents.base import AgentCard, AgentContext, Decision
from leadflow.agents.triage import ResearchDepth, assess, plan_for
from leadflow.domain.events import Event
from leadflow.domain.models import Lead, LeadState
from leadflow.exceptions import LeadflowError
from leadflow.integrations.web import Signal, WebFetcher, extract_signals, page_text

log = logging.getLogger(__name__)

PAGES: Mapping[str, tuple[str, ...]] = {
    "deep": ("/", "/about", "/careers", "/news"),
    "light": ("/",),
    "none": (),
}
MAX_SIGNALS = 12


class PageSource(Protocol):
    """Anything that fetches a page: ``WebFetcher`` or a test double."""

    def fetch(self, url: str) -> Any: ...


@dataclass
class Research:
    """What research found: signals (best first), pages read and pages that failed."""

    signals: list[Signal] = field(default_factory=list)
    pages: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


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
            signals.extend(extract_signals(text, url=str(getattr(page, "url", url)), lead_fields={}))
    signals.extend(extract_signals("", url=f"lead:{domain or 'unknown'}", lead_fields=fields))
    best: dict[tuple[str, str], Signal] = {}
    for signal in signals:
        key = (signal.kind.value, signal.text.lower())
        if key not in best or best[key].confidence < signal.confidence:
            best[key] = signal
    found.signals = sorted(best.values(), key=lambda s: s.confidence, reverse=True)[:MAX_SIGNALS]
    return found


class ResearchAgent:
    card: ClassVar[AgentCard] = AgentCard(
        name="research",
        description="Reads the lead's company website (depth by tier) and records cited buying signals.",
        capabilities=["research", "signals"],
        inputs=["lead.created"],
        outputs=[],
        model_tier="none",
        expected_latency_ms=400,
        concurrency=8,
    )

    def handle(self, ctx: AgentContext, state: LeadState, event: Event) -> Decision:
        tier = state.tier or assess(state.lead, ctx.campaign).tier
        depth = plan_for(tier).research
        found = research(state.lead, depth=depth, fetcher=fetcher_for(ctx))
        state.signals = [s.model_dump(mode="json") for s in found.signals]
        kinds = sorted({s.kind.value for s in found.signals})
        return Decision(
            result=f"signals_{len(found.signals)}",
            state=state,
            summary=f"tier {tier}, {depth} research: {len(found.pages)} page(s), {len(found.signals)} signal(s)"
            + (f" [{', '.join(kinds)}]" if kinds else "")
            + (f"; {len(found.errors)} page(s) failed" if found.errors else ""),
        )
