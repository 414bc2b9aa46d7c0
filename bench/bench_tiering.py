"""Tiering benchmark: model calls, tokens and cost of the first touch, tiered vs every lead tier A.

Not a test: it prints figures. Run from the repository root::

    .venv/bin/python bench/bench_tiering.py                  # 100 leads, seed 7
    .venv/bin/python bench/bench_tiering.py --leads 500 --seed 3

The same seeded simulated leads (``leadflow.sim``, the demo campaign's ideal customer profile,
simulated company websites) go through research -> triage -> response, the ``new_lead`` pipeline,
each agent in model mode through the ``AgentRunner``. The model is scripted
(:mod:`leadflow.sim.scripted_model`: no provider, no network) and reports token usage; the router
prices the fast tier as gpt-4o-mini and the strong tier as gpt-4o (``DEFAULT_PRICES``).

Run 1 is tiered (the demo's thresholds). Run 2 treats every lead as tier A (thresholds 0, 0):
deep research summarised by the model and a strong-model draft for everyone. The saving is
1 - tiered / all-A, for calls, tokens and cost. See bench/README.md.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import platform
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from leadflow.agents.base import Agent, AgentContext
from leadflow.agents.research import ResearchAgent
from leadflow.agents.response import ResponseAgent
from leadflow.agents.triage import TriageAgent
from leadflow.domain.events import EventType, new_event
from leadflow.domain.models import Campaign, LeadState
from leadflow.llm import ModelRouter
from leadflow.llm.usage import DEFAULT_PRICES, FREE, ModelPrice, UsageStats, lookup_price
from leadflow.orchestrator.runner import AgentRunner
from leadflow.resilience import BreakerRegistry
from leadflow.sim.prospects import generate_prospects
from leadflow.sim.run import START, demo_campaign
from leadflow.sim.scripted_model import scripted_model
from leadflow.sim.web import SimWeb

FAST, STRONG = "gpt-4o-mini", "gpt-4o"
PIPELINE: tuple[Agent, ...] = (ResearchAgent(), TriageAgent(), ResponseAgent())


class Clock:
    def now(self) -> datetime:
        return START


def price(label: str) -> ModelPrice:
    """Price ``function:gpt-4o-mini`` as ``gpt-4o-mini``."""
    return lookup_price(label.split(":", 1)[-1], DEFAULT_PRICES) or FREE


@dataclass
class Outcome:
    """One run over the leads."""

    name: str
    tiers: Counter[str] = field(default_factory=Counter)
    pages: int = 0
    drafts: Counter[str] = field(default_factory=Counter)
    fallbacks: int = 0
    total: UsageStats = field(default_factory=UsageStats)
    by_model: dict[str, UsageStats] = field(default_factory=dict)
    by_agent: dict[str, UsageStats] = field(default_factory=dict)
    seconds: float = 0.0


def run(name: str, campaign: Campaign, *, leads: int, seed: int) -> Outcome:
    """Every lead through research, triage and response with the scripted model."""
    prospects = generate_prospects(seed=seed, n=leads)
    web = SimWeb(p.lead for p in prospects)
    router = ModelRouter({"fast": scripted_model(FAST), "strong": scripted_model(STRONG)}, prices=price)
    runner = AgentRunner(breakers=BreakerRegistry(), use_llm=True)
    ctx = AgentContext(
        clock=Clock(), campaign=campaign, workspace_id="bench", llm=router, extras={"fetcher": web}
    )
    out = Outcome(name)
    started = time.perf_counter()
    try:
        for p in prospects:
            state = LeadState(
                lead_id=p.id,
                workspace_id="bench",
                campaign=campaign.name,
                lead=p.lead,
                created_at=START,
                updated_at=START,
            )
            event = new_event(EventType.LEAD_CREATED, lead_id=p.id, workspace_id="bench", at=START)
            for agent in PIPELINE:
                step = runner.run(agent, ctx, state, event)
                out.fallbacks += step.decision.fallback_used
                state = step.decision.state or state
                for action in step.decision.actions:
                    out.drafts[f"{state.tier}:{action.payload.get('draft')}"] += 1
            out.tiers[state.tier or "-"] += 1
    finally:
        router.close()
    out.seconds = time.perf_counter() - started
    out.pages = len(web.fetched)
    summary = router.ledger.summary()
    out.total, out.by_model, out.by_agent = summary.total, summary.by_model, summary.by_agent
    return out


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    return f"machine: nproc={os.cpu_count()} cpu={cpu!r} python={platform.python_version()}"


def saved(tiered: float, flat: float) -> str:
    return f"{1 - tiered / flat:.0%}" if flat else "-"


def report(out: Outcome) -> None:
    t = out.total
    print(
        f"\n{out.name}: tiers {dict(sorted(out.tiers.items()))}, {out.pages} page fetches, "
        f"first drafts {dict(sorted(out.drafts.items()))}, {out.fallbacks} fallbacks, {out.seconds:.1f}s"
    )
    print(
        f"  model calls {t.calls}, input tokens {t.input_tokens:,}, output tokens {t.output_tokens:,}, "
        f"cost ${t.cost_usd:.4f}"
    )
    for label, s in sorted(out.by_model.items()):
        print(
            f"  {label:22} {s.calls:4} calls {s.input_tokens + s.output_tokens:9,} tokens ${s.cost_usd:.4f}"
        )
    for agent, s in sorted(out.by_agent.items()):
        print(
            f"  {agent:22} {s.calls:4} calls {s.input_tokens + s.output_tokens:9,} tokens ${s.cost_usd:.4f}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--leads", type=int, default=100)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    print(machine())
    print(
        f"{args.leads} simulated leads, seed {args.seed}; fast = {FAST}, strong = {STRONG} (scripted, priced)"
    )
    tiered_campaign = demo_campaign()
    flat_campaign = tiered_campaign.model_copy(
        update={"settings": {**tiered_campaign.settings, "tier_thresholds": [0.0, 0.0]}}
    )
    tiered = run("tiered", tiered_campaign, leads=args.leads, seed=args.seed)
    flat = run("every lead tier A", flat_campaign, leads=args.leads, seed=args.seed)
    report(tiered)
    report(flat)
    a, b = tiered.total, flat.total
    print(
        f"\nsaved by tiering: model calls {saved(a.calls, b.calls)}, "
        f"tokens {saved(a.input_tokens + a.output_tokens, b.input_tokens + b.output_tokens)}, "
        f"cost {saved(a.cost_usd, b.cost_usd)}, page fetches {saved(tiered.pages, flat.pages)}"
    )


if __name__ == "__main__":
    main()
