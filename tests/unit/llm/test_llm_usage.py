"""Tests for prices and the usage ledger: cost arithmetic, sums per agent and model, fallbacks."""

from __future__ import annotations

import threading

import pytest

from leadflow.llm import DEFAULT_PRICES, ModelPrice, UsageLedger
from leadflow.llm.usage import lookup_price


def test_price_per_million_tokens() -> None:
    price = ModelPrice(input_per_mtok=3.0, output_per_mtok=15.0)
    assert price.cost(1_000_000, 0) == pytest.approx(3.0)
    assert price.cost(2000, 1000) == pytest.approx(0.006 + 0.015)
    with pytest.raises(ValueError):
        ModelPrice(input_per_mtok=-1)


def test_lookup_prefers_exact_then_longest_prefix() -> None:
    assert lookup_price("gpt-4o-mini", DEFAULT_PRICES) == DEFAULT_PRICES["gpt-4o-mini"]
    assert lookup_price("gpt-4o-mini-2024-07-18", DEFAULT_PRICES) == DEFAULT_PRICES["gpt-4o-mini"]
    assert lookup_price("gpt-4o-2024-08-06", DEFAULT_PRICES) == DEFAULT_PRICES["gpt-4o"]
    assert lookup_price("llama3.2", DEFAULT_PRICES) is None


def test_ledger_sums_per_agent_and_model() -> None:
    ledger = UsageLedger()
    ledger.record(
        agent_name="closing", model="openai:gpt-4o", input_tokens=100, output_tokens=10, cost_usd=0.5
    )
    ledger.record(
        agent_name="closing", model="openai:gpt-4o", input_tokens=50, output_tokens=5, cost_usd=0.25
    )
    ledger.record(agent_name="response", model="openai:gpt-4o-mini", input_tokens=10, output_tokens=1)
    ledger.record(agent_name="response", model="openai:gpt-4o-mini", ok=False, latency_ms=30)
    ledger.record_fallback(agent_name="response")

    summary = ledger.summary()
    assert summary.total.calls == 4
    assert summary.total.failures == 1
    assert summary.total.fallbacks == 1
    assert summary.total.input_tokens == 160
    assert summary.total.cost_usd == pytest.approx(0.75)
    assert summary.by_agent["closing"].calls == 2
    assert summary.by_agent["response"].fallbacks == 1
    assert summary.by_model["openai:gpt-4o"].output_tokens == 15
    assert summary.by_agent_model["response"]["offline"].fallbacks == 1
    assert summary.model_dump()["total"]["calls"] == 4  # serialisable for traces


def test_summary_is_a_snapshot_and_reset_clears() -> None:
    ledger = UsageLedger()
    ledger.record(agent_name="a", model="m", input_tokens=1)
    snapshot = ledger.summary()
    ledger.record(agent_name="a", model="m", input_tokens=1)
    assert snapshot.total.calls == 1
    ledger.reset()
    assert ledger.summary().total.calls == 0


def test_ledger_is_thread_safe() -> None:
    ledger = UsageLedger()

    def work() -> None:
        for _ in range(500):
            ledger.record(agent_name="a", model="m", input_tokens=2, cost_usd=0.001)

    threads = [threading.Thread(target=work) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    total = ledger.summary().total
    assert total.calls == 4000
    assert total.input_tokens == 8000
