"""Token and cost accounting for model calls: prices per model and an in-memory usage ledger.

Prices are USD per million tokens, input and output separately, as providers publish them.
:data:`DEFAULT_PRICES` is a starting table for common hosted models; local servers cost 0.
The :class:`UsageLedger` sums calls per agent and per model; the orchestrator copies
:meth:`UsageLedger.summary` into its trace.
"""

from __future__ import annotations

import threading
from collections import defaultdict
from dataclasses import dataclass, field

from pydantic import BaseModel, ConfigDict, Field

__all__ = ["DEFAULT_PRICES", "ModelPrice", "UsageLedger", "UsageStats", "UsageSummary", "lookup_price"]


class ModelPrice(BaseModel):
    """What a model costs, in USD per million tokens."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    input_per_mtok: float = Field(default=0.0, ge=0)
    output_per_mtok: float = Field(default=0.0, ge=0)

    def cost(self, input_tokens: int, output_tokens: int) -> float:
        """The price of one call with these token counts, in USD."""
        return (input_tokens * self.input_per_mtok + output_tokens * self.output_per_mtok) / 1_000_000


FREE = ModelPrice()

# List prices (standard tier, no caching) when this table was written; override per deployment
# with ``LLMSettings.prices``. Keys are matched exactly first, then by longest prefix, so a dated
# snapshot such as "gpt-4o-mini-2024-07-18" is priced as "gpt-4o-mini".
DEFAULT_PRICES: dict[str, ModelPrice] = {
    "gpt-4o": ModelPrice(input_per_mtok=2.50, output_per_mtok=10.00),
    "gpt-4o-mini": ModelPrice(input_per_mtok=0.15, output_per_mtok=0.60),
    "gpt-4.1": ModelPrice(input_per_mtok=2.00, output_per_mtok=8.00),
    "gpt-4.1-mini": ModelPrice(input_per_mtok=0.40, output_per_mtok=1.60),
    "gpt-4.1-nano": ModelPrice(input_per_mtok=0.10, output_per_mtok=0.40),
    "gpt-5": ModelPrice(input_per_mtok=1.25, output_per_mtok=10.00),
    "gpt-5-mini": ModelPrice(input_per_mtok=0.25, output_per_mtok=2.00),
    "gpt-5-nano": ModelPrice(input_per_mtok=0.05, output_per_mtok=0.40),
    "o4-mini": ModelPrice(input_per_mtok=1.10, output_per_mtok=4.40),
    "claude-3-5-haiku": ModelPrice(input_per_mtok=0.80, output_per_mtok=4.00),
    "claude-haiku-4-5": ModelPrice(input_per_mtok=1.00, output_per_mtok=5.00),
    "claude-sonnet-4": ModelPrice(input_per_mtok=3.00, output_per_mtok=15.00),
    "claude-sonnet-4-5": ModelPrice(input_per_mtok=3.00, output_per_mtok=15.00),
    "claude-sonnet-4-6": ModelPrice(input_per_mtok=3.00, output_per_mtok=15.00),
    "claude-opus-4-1": ModelPrice(input_per_mtok=15.00, output_per_mtok=75.00),
}


def lookup_price(model: str, table: dict[str, ModelPrice]) -> ModelPrice | None:
    """Find ``model`` in ``table``: exact name first, then the longest key it starts with."""
    if model in table:
        return table[model]
    matches = [key for key in table if model.startswith(key)]
    return table[max(matches, key=len)] if matches else None


class UsageStats(BaseModel):
    """Sums over a set of calls."""

    model_config = ConfigDict(extra="forbid")

    calls: int = 0
    failures: int = 0
    fallbacks: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    cost_usd: float = 0.0
    latency_ms: float = 0.0

    def add(self, other: UsageStats) -> None:
        """Add ``other``'s sums into this one."""
        self.calls += other.calls
        self.failures += other.failures
        self.fallbacks += other.fallbacks
        self.input_tokens += other.input_tokens
        self.output_tokens += other.output_tokens
        self.cost_usd += other.cost_usd
        self.latency_ms += other.latency_ms


class UsageSummary(BaseModel):
    """A snapshot of a ledger: totals, per agent, per model and per (agent, model)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    total: UsageStats
    by_agent: dict[str, UsageStats]
    by_model: dict[str, UsageStats]
    by_agent_model: dict[str, dict[str, UsageStats]]


@dataclass
class UsageLedger:
    """Thread-safe, in-memory sums of model usage, keyed by agent and model.

    A call that succeeded is recorded with its tokens and cost; a call that failed for good (after
    retries) with ``ok=False``; and a caller that fell back to its offline engine says so with
    :meth:`record_fallback`, so a trace shows how often the model was not used.
    """

    _rows: dict[tuple[str, str], UsageStats] = field(default_factory=lambda: defaultdict(UsageStats))
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def record(
        self,
        *,
        agent_name: str,
        model: str,
        input_tokens: int = 0,
        output_tokens: int = 0,
        cost_usd: float = 0.0,
        latency_ms: float = 0.0,
        ok: bool = True,
    ) -> None:
        """Add one model call (successful or not) to the sums."""
        with self._lock:
            row = self._rows[(agent_name, model)]
            row.calls += 1
            row.failures += 0 if ok else 1
            row.input_tokens += input_tokens
            row.output_tokens += output_tokens
            row.cost_usd += cost_usd
            row.latency_ms += latency_ms

    def record_fallback(self, *, agent_name: str, model: str = "offline") -> None:
        """Count a decision made without the model (the agent used its offline engine)."""
        with self._lock:
            self._rows[(agent_name, model)].fallbacks += 1

    def summary(self) -> UsageSummary:
        """A consistent copy of every sum, safe to serialise with ``model_dump()``."""
        with self._lock:
            rows = {key: stats.model_copy() for key, stats in self._rows.items()}
        total = UsageStats()
        by_agent: dict[str, UsageStats] = defaultdict(UsageStats)
        by_model: dict[str, UsageStats] = defaultdict(UsageStats)
        by_agent_model: dict[str, dict[str, UsageStats]] = defaultdict(dict)
        for (agent, model), stats in sorted(rows.items()):
            total.add(stats)
            by_agent[agent].add(stats)
            by_model[model].add(stats)
            by_agent_model[agent][model] = stats
        return UsageSummary(
            total=total, by_agent=dict(by_agent), by_model=dict(by_model), by_agent_model=dict(by_agent_model)
        )

    def reset(self) -> None:
        """Forget everything (e.g. between simulation runs)."""
        with self._lock:
            self._rows.clear()
