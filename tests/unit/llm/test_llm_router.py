"""Tests for ModelRouter with scripted in-process models: typed output, failures, breakers, cost."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Awaitable, Callable, Iterator

import pytest
from pydantic import BaseModel
from pydantic_ai.exceptions import ModelHTTPError, ModelServerError
from pydantic_ai.messages import ModelMessage, ModelResponse, TextPart, ToolCallPart
from pydantic_ai.models.function import AgentInfo, FunctionModel
from pydantic_ai.usage import RequestUsage

from leadflow.exceptions import AuthFailed, CircuitOpen, ConfigError, ModelFailure, RateLimited
from leadflow.llm import LLMSettings, ModelPrice, ModelRouter
from leadflow.resilience import BreakerRegistry, BreakerState

SyncDef = Callable[[list[ModelMessage], AgentInfo], ModelResponse]
FunctionDef = Callable[[list[ModelMessage], AgentInfo], ModelResponse | Awaitable[ModelResponse]]


class Qualification(BaseModel):
    score: int
    reason: str


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def answer(score: int = 7, reason: str = "budget confirmed") -> SyncDef:
    def fn(messages: list[ModelMessage], info: AgentInfo) -> ModelResponse:
        return ModelResponse(
            parts=[ToolCallPart(info.output_tools[0].name, {"score": score, "reason": reason})],
            usage=RequestUsage(input_tokens=1000, output_tokens=200),
        )

    return fn


def make_router(fn: FunctionDef, **kwargs: object) -> ModelRouter:
    kwargs.setdefault("sleep", lambda _s: None)
    return ModelRouter({"fast": FunctionModel(fn, model_name="m")}, **kwargs)  # type: ignore[arg-type]


def ask(router: ModelRouter, **kwargs: object) -> object:
    params: dict[str, object] = {
        "agent_name": "qualification",
        "tier": "fast",
        "instructions": "Qualify the lead.",
        "prompt": "ACME, 50 seats, budget approved",
        "output_type": Qualification,
    }
    params.update(kwargs)
    return router.run(**params)  # type: ignore[arg-type]


def test_typed_output_tokens_and_instructions() -> None:
    seen: list[str | None] = []

    def fn(messages: list[ModelMessage], info: AgentInfo) -> ModelResponse:
        seen.append(info.instructions)
        return answer()(messages, info)

    with make_router(fn) as router:
        result = router.run(
            agent_name="qualification",
            tier="fast",
            instructions="Qualify the lead.",
            prompt="ACME",
            output_type=Qualification,
        )
    assert result.output == Qualification(score=7, reason="budget confirmed")
    assert result.model_name == "function:m"
    assert (result.input_tokens, result.output_tokens) == (1000, 200)
    assert result.attempts == 1
    assert result.latency_ms >= 0
    assert seen == ["Qualify the lead."]


def test_cost_from_price_table_and_ledger() -> None:
    prices = {"m": ModelPrice(input_per_mtok=2.0, output_per_mtok=10.0)}
    with make_router(answer(), prices=lambda name: prices[name]) as router:
        result = ask(router)
        ask(router, agent_name="closing")
    assert result.cost_usd == pytest.approx((1000 * 2.0 + 200 * 10.0) / 1e6)  # type: ignore[attr-defined]
    summary = router.ledger.summary()
    assert summary.total.calls == 2
    assert summary.total.input_tokens == 2000
    assert summary.total.cost_usd == pytest.approx(0.008)
    assert summary.by_agent["closing"].calls == 1
    assert summary.by_model["function:m"].output_tokens == 400


def test_settings_prices_used_by_from_settings_router() -> None:
    settings = LLMSettings(
        provider="openai",
        api_key="k",
        prices={"gpt-4o-mini": ModelPrice(input_per_mtok=1.0, output_per_mtok=1.0)},
    )
    assert settings.price_for("gpt-4o-mini").cost(500_000, 500_000) == pytest.approx(1.0)
    assert settings.price_for("gpt-4o").cost(1_000_000, 0) == pytest.approx(2.5)
    assert settings.price_for("unknown-model").cost(10**6, 10**6) == 0.0


def test_text_instead_of_structured_output_is_a_model_failure() -> None:
    calls: list[int] = []

    def refuse(messages: list[ModelMessage], info: AgentInfo) -> ModelResponse:
        calls.append(1)
        return ModelResponse(parts=[TextPart("I'm sorry, I can't help with that.")])

    with make_router(refuse, output_retries=2) as router, pytest.raises(ModelFailure, match="unusable"):
        ask(router)
    assert len(calls) == 3  # first answer + 2 output retries, then no transport retry
    assert router.ledger.summary().total.failures == 1


def test_malformed_tool_arguments_are_a_model_failure() -> None:
    def malformed(messages: list[ModelMessage], info: AgentInfo) -> ModelResponse:
        return ModelResponse(parts=[ToolCallPart(info.output_tools[0].name, {"score": "very high"})])

    with make_router(malformed) as router, pytest.raises(ModelFailure):
        ask(router)


def test_malformed_then_valid_output_recovers() -> None:
    replies: Iterator[dict[str, object]] = iter([{"score": "?"}, {"score": 3, "reason": "ok"}])

    def fn(messages: list[ModelMessage], info: AgentInfo) -> ModelResponse:
        return ModelResponse(parts=[ToolCallPart(info.output_tools[0].name, next(replies))])

    with make_router(fn) as router:
        assert ask(router).output == Qualification(score=3, reason="ok")  # type: ignore[attr-defined]


def test_raising_model_is_a_model_failure_and_not_retried() -> None:
    calls: list[int] = []

    def boom(messages: list[ModelMessage], info: AgentInfo) -> ModelResponse:
        calls.append(1)
        raise RuntimeError("kaboom")

    with make_router(boom) as router, pytest.raises(ModelFailure, match="kaboom"):
        ask(router)
    assert calls == [1]


@pytest.mark.parametrize(
    ("status", "expected", "calls"),
    [
        (500, ModelFailure, 3),
        (429, RateLimited, 3),
        (401, AuthFailed, 1),
        (403, AuthFailed, 1),
        (400, ModelFailure, 1),
    ],
)
def test_provider_http_errors_are_translated_and_transient_ones_retried(
    status: int, expected: type[Exception], calls: int
) -> None:
    made: list[int] = []
    sleeps: list[float] = []

    def fail(messages: list[ModelMessage], info: AgentInfo) -> ModelResponse:
        made.append(1)
        raise ModelHTTPError(status, "m", {"message": "nope"})

    router = make_router(fail, max_retries=2, sleep=sleeps.append, jitter=lambda: 1.0, base_delay=0.25)
    with router, pytest.raises(expected):
        ask(router)
    assert len(made) == calls
    assert sleeps == [0.25, 0.5][: calls - 1]


def test_transient_failure_then_success_reports_attempts() -> None:
    outcomes = iter([ModelServerError("m", "overloaded"), None])

    def fn(messages: list[ModelMessage], info: AgentInfo) -> ModelResponse:
        error = next(outcomes)
        if error is not None:
            raise error
        return answer()(messages, info)

    with make_router(fn) as router:
        result = ask(router)
    assert result.attempts == 2  # type: ignore[attr-defined]


def test_slow_model_beyond_timeout_is_a_model_failure() -> None:
    async def slow(messages: list[ModelMessage], info: AgentInfo) -> ModelResponse:
        await asyncio.sleep(5)
        return answer()(messages, info)

    with (
        make_router(slow, max_retries=0) as router,
        pytest.raises(ModelFailure, match=r"timed out after 0\.2s"),
    ):
        ask(router, timeout=0.2)


def test_blocking_model_beyond_timeout_is_a_model_failure() -> None:
    release = threading.Event()

    def blocking(messages: list[ModelMessage], info: AgentInfo) -> ModelResponse:
        release.wait(5)
        return answer()(messages, info)

    router = make_router(blocking, max_retries=0)
    try:
        with pytest.raises(ModelFailure, match="timed out"):
            ask(router, timeout=0.1)
    finally:
        release.set()
        router.close()


def test_breaker_opens_then_fails_fast_then_half_opens() -> None:
    clock = FakeClock()
    breakers = BreakerRegistry(failure_threshold=3, recovery_timeout=30, clock=clock)
    healthy = threading.Event()
    calls: list[int] = []

    def flaky(messages: list[ModelMessage], info: AgentInfo) -> ModelResponse:
        calls.append(1)
        if not healthy.is_set():
            raise ModelServerError("m", "down")
        return answer()(messages, info)

    with make_router(flaky, breakers=breakers, max_retries=0) as router:
        for _ in range(3):
            with pytest.raises(ModelFailure):
                ask(router)
        assert breakers.get("function:m").state is BreakerState.OPEN
        with pytest.raises(CircuitOpen):
            ask(router)
        assert len(calls) == 3  # the open breaker did not call the model

        clock.now += 30
        assert breakers.get("function:m").state is BreakerState.HALF_OPEN
        healthy.set()
        assert ask(router).output.score == 7  # type: ignore[attr-defined]
        assert breakers.get("function:m").state is BreakerState.CLOSED


def test_retries_stop_when_the_breaker_opens() -> None:
    calls: list[int] = []

    def down(messages: list[ModelMessage], info: AgentInfo) -> ModelResponse:
        calls.append(1)
        raise ModelServerError("m", "down")

    breakers = BreakerRegistry(failure_threshold=2, clock=FakeClock())
    with make_router(down, breakers=breakers, max_retries=5) as router, pytest.raises(CircuitOpen):
        ask(router)
    assert len(calls) == 2


def test_unavailable_router_and_unknown_tier() -> None:
    router = ModelRouter()
    assert router.available is False
    with pytest.raises(ModelFailure, match="offline"):
        ask(router)
    with make_router(answer()) as configured:
        assert configured.available and configured.tiers == ("fast",)
        with pytest.raises(ConfigError, match="unknown model tier 'strong'"):
            ask(configured, tier="strong")


def test_from_settings_none_is_unavailable() -> None:
    assert ModelRouter.from_settings(LLMSettings()).available is False


def test_concurrent_calls_from_worker_threads() -> None:
    results: list[int] = []
    errors: list[BaseException] = []

    def fn(messages: list[ModelMessage], info: AgentInfo) -> ModelResponse:
        return answer(score=len(messages))(messages, info)

    with make_router(fn) as router:

        def work() -> None:
            try:
                results.append(ask(router).output.score)  # type: ignore[attr-defined]
            except BaseException as exc:  # pragma: no cover - reported below
                errors.append(exc)

        threads = [threading.Thread(target=work) for _ in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    assert errors == []
    assert len(results) == 8
    assert router.ledger.summary().total.calls == 8


def test_str_output_type() -> None:
    def fn(messages: list[ModelMessage], info: AgentInfo) -> ModelResponse:
        return ModelResponse(parts=[TextPart("Hello Ada")])

    with make_router(fn) as router:
        assert ask(router, output_type=str).output == "Hello Ada"  # type: ignore[attr-defined]
