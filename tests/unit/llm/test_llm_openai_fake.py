"""End-to-end over real loopback HTTP: the router against a fake OpenAI-compatible server."""

from __future__ import annotations

from collections.abc import Iterator

import httpx2
import pytest
from pydantic import BaseModel

from fakes import FakeLLMServer, Reply
from leadflow.exceptions import AuthFailed, ModelFailure, RateLimited
from leadflow.llm import LLMSettings, ModelPrice, ModelRouter, build_model

pytestmark = pytest.mark.usefixtures("allow_model_requests")

SECRET = "sk-fake-DO-NOT-LEAK-42"


class Meeting(BaseModel):
    day: str
    hour: int


def settings_for(server: FakeLLMServer, provider: str = "openai", **overrides: object) -> LLMSettings:
    values: dict[str, object] = {
        "provider": provider,
        "api_key": SECRET,
        "base_url": server.openai_base_url,
        "fast_model": "gpt-4o-mini",
        "strong_model": "gpt-4o",
        "timeout": 5.0,
        "max_retries": 2,
    }
    values.update(overrides)
    return LLMSettings.model_validate(values)


@pytest.fixture
def router(fake_llm: FakeLLMServer) -> Iterator[ModelRouter]:
    with ModelRouter.from_settings(settings_for(fake_llm), sleep=lambda _s: None) as r:
        yield r


def book(router: ModelRouter, *, timeout: float | None = None) -> Meeting:
    return router.run(
        agent_name="appointment",
        tier="fast",
        instructions="Propose a slot.",
        prompt="Tuesday afternoon works",
        output_type=Meeting,
        timeout=timeout,
    ).output


def test_structured_output_over_http(fake_llm: FakeLLMServer, router: ModelRouter) -> None:
    fake_llm.script(Reply.tool_call({"day": "Tuesday", "hour": 15}, usage=(120, 30)))
    result = router.run(
        agent_name="appointment",
        tier="fast",
        instructions="Propose a slot.",
        prompt="Tuesday afternoon works",
        output_type=Meeting,
    )
    assert result.output == Meeting(day="Tuesday", hour=15)
    assert result.model_name == "openai:gpt-4o-mini"
    assert (result.input_tokens, result.output_tokens) == (120, 30)
    assert result.cost_usd == pytest.approx((120 * 0.15 + 30 * 0.60) / 1e6)  # default table

    (request,) = fake_llm.requests
    assert request.path == "/v1/chat/completions"
    assert request.headers["authorization"] == f"Bearer {SECRET}"
    assert request.body["model"] == "gpt-4o-mini"
    assert request.body["messages"][0] == {"role": "system", "content": "Propose a slot."}
    assert request.body["tools"][0]["function"]["parameters"]["properties"].keys() == {"day", "hour"}


def test_strong_tier_uses_strong_model(fake_llm: FakeLLMServer, router: ModelRouter) -> None:
    fake_llm.script(Reply.tool_call({"day": "Mon", "hour": 9}))
    router.run(agent_name="closing", tier="strong", instructions="i", prompt="p", output_type=Meeting)
    assert fake_llm.requests[0].body["model"] == "gpt-4o"


def test_429_is_retried_then_rate_limited(fake_llm: FakeLLMServer, router: ModelRouter) -> None:
    fake_llm.script(*[Reply.failure(429, "slow down", headers={"retry-after": "1"})] * 3)
    with pytest.raises(RateLimited, match="rate limited"):
        book(router)
    assert len(fake_llm.requests) == 3  # max_retries=2: no SDK retries on top of ours


def test_500_is_retried_then_model_failure(fake_llm: FakeLLMServer, router: ModelRouter) -> None:
    fake_llm.script(*[Reply.failure(500, "internal")] * 3)
    with pytest.raises(ModelFailure, match="provider error"):
        book(router)
    assert len(fake_llm.requests) == 3
    assert router.ledger.summary().total.failures == 1


def test_500_then_success(fake_llm: FakeLLMServer, router: ModelRouter) -> None:
    fake_llm.script(Reply.failure(503, "busy"), Reply.tool_call({"day": "Fri", "hour": 11}))
    assert book(router) == Meeting(day="Fri", hour=11)
    assert len(fake_llm.requests) == 2


def test_401_is_auth_failed_without_retry_or_key(fake_llm: FakeLLMServer, router: ModelRouter) -> None:
    fake_llm.script(Reply.failure(401, f"Incorrect API key provided: {SECRET}"), Reply.failure(401))
    with pytest.raises(AuthFailed) as info:
        book(router)
    assert len(fake_llm.requests) == 1
    assert SECRET not in str(info.value)
    assert info.value.__cause__ is None  # the provider's message, which echoes the key, is dropped


def test_secret_is_redacted_from_other_errors_and_logs(
    fake_llm: FakeLLMServer, router: ModelRouter, caplog: pytest.LogCaptureFixture
) -> None:
    fake_llm.script(*[Reply.failure(500, f"key {SECRET} broke us")] * 3)
    with pytest.raises(ModelFailure) as info:
        book(router)
    assert SECRET not in str(info.value)
    assert SECRET not in caplog.text
    assert "***" in str(info.value)


def test_malformed_json_is_model_failure(
    fake_llm: FakeLLMServer, fake_and_router_no_retry: ModelRouter
) -> None:
    fake_llm.script(Reply.malformed())
    with pytest.raises(ModelFailure):
        book(fake_and_router_no_retry)


def test_text_answer_instead_of_tool_call_is_model_failure(
    fake_llm: FakeLLMServer, router: ModelRouter
) -> None:
    fake_llm.script(Reply.plain_text("I can't help with that."), Reply.plain_text("Still no."))
    with pytest.raises(ModelFailure, match="unusable"):
        book(router)
    assert len(fake_llm.requests) == 2  # one output retry inside pydantic-ai, no transport retry


def test_slow_server_times_out(fake_llm: FakeLLMServer, fake_and_router_no_retry: ModelRouter) -> None:
    fake_llm.script(Reply.tool_call({"day": "Mon", "hour": 9}, delay=2.0))
    with pytest.raises(ModelFailure, match="timed out"):
        book(fake_and_router_no_retry, timeout=0.3)


@pytest.fixture
def fake_and_router_no_retry(fake_llm: FakeLLMServer) -> Iterator[ModelRouter]:
    with ModelRouter.from_settings(settings_for(fake_llm, max_retries=0), sleep=lambda _s: None) as r:
        yield r


def test_openai_compatible_local_server_is_free_and_keyless(fake_llm: FakeLLMServer) -> None:
    settings = settings_for(fake_llm, provider="openai-compatible", api_key=None, fast_model="llama3.2")
    fake_llm.script(Reply.tool_call({"day": "Wed", "hour": 10}, usage=(5000, 5000)))
    with ModelRouter.from_settings(settings) as router:
        result = router.run(
            agent_name="response", tier="fast", instructions="i", prompt="p", output_type=Meeting
        )
    assert result.output.day == "Wed"
    assert result.model_name == "openai-compatible:llama3.2"
    assert result.cost_usd == 0.0
    assert fake_llm.requests[0].headers["authorization"] == "Bearer not-needed"


def test_configured_price_for_local_model(fake_llm: FakeLLMServer) -> None:
    settings = settings_for(
        fake_llm,
        provider="openai-compatible",
        fast_model="llama3.2",
        prices={"llama3.2": ModelPrice(input_per_mtok=1.0, output_per_mtok=1.0)},
    )
    fake_llm.script(Reply.tool_call({"day": "Wed", "hour": 10}, usage=(500_000, 500_000)))
    with ModelRouter.from_settings(settings) as router:
        assert router.run(
            agent_name="response", tier="fast", instructions="i", prompt="p", output_type=Meeting
        ).cost_usd == pytest.approx(1.0)


def test_injected_http_client_is_used(fake_llm: FakeLLMServer) -> None:
    seen: list[str] = []

    async def on_request(request: httpx2.Request) -> None:
        seen.append(str(request.url))

    client = httpx2.AsyncClient(event_hooks={"request": [on_request]})
    model = build_model(settings_for(fake_llm), "fast", http_client=client)
    assert model is not None
    fake_llm.script(Reply.tool_call({"day": "Thu", "hour": 14}))
    with ModelRouter({"fast": model}, resources=[client]) as router:
        assert book(router).day == "Thu"
    assert seen == [f"{fake_llm.openai_base_url}/chat/completions"]
    assert client.is_closed  # the router closed it on its own loop


def test_build_model_none_provider() -> None:
    assert build_model(LLMSettings(), "fast") is None
