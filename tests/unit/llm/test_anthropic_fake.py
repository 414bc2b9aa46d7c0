"""End-to-end over loopback HTTP: the router against a minimal fake of Anthropic's Messages API."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from pydantic import BaseModel

from fakes import FakeLLMServer, Reply
from leadflow.exceptions import AuthFailed, ModelFailure, RateLimited
from leadflow.llm import LLMSettings, ModelRouter

pytestmark = pytest.mark.usefixtures("allow_model_requests")

SECRET = "sk-ant-fake-DO-NOT-LEAK"


class Verdict(BaseModel):
    qualified: bool
    reason: str


@pytest.fixture
def router(fake_llm: FakeLLMServer) -> Iterator[ModelRouter]:
    settings = LLMSettings(
        provider="anthropic", api_key=SECRET, base_url=fake_llm.url, timeout=5, max_retries=1
    )
    with ModelRouter.from_settings(settings, sleep=lambda _s: None) as r:
        yield r


def judge(router: ModelRouter) -> Verdict:
    return router.run(
        agent_name="qualification",
        tier="strong",
        instructions="Decide if the lead is qualified.",
        prompt="CTO, budget approved, 3 months",
        output_type=Verdict,
    ).output


def test_tool_use_answer_is_parsed(fake_llm: FakeLLMServer, router: ModelRouter) -> None:
    fake_llm.script(Reply.tool_call({"qualified": True, "reason": "budget"}, usage=(1000, 100)))
    result = router.run(
        agent_name="qualification",
        tier="strong",
        instructions="Decide if the lead is qualified.",
        prompt="CTO, budget approved",
        output_type=Verdict,
    )
    assert result.output == Verdict(qualified=True, reason="budget")
    assert result.model_name == "anthropic:claude-sonnet-4-6"
    assert result.cost_usd == pytest.approx((1000 * 3.0 + 100 * 15.0) / 1e6)

    (request,) = fake_llm.requests
    assert request.path == "/v1/messages"
    # The SDK sends the key as x-api-key or as a bearer token, depending on its version.
    sent = request.headers.get("x-api-key") or request.headers.get("authorization", "").removeprefix(
        "Bearer "
    )
    assert sent == SECRET
    assert request.body["model"] == "claude-sonnet-4-6"
    assert "Decide if the lead is qualified." in str(request.body["system"])
    assert request.body["tools"][0]["input_schema"]["properties"].keys() == {"qualified", "reason"}


def test_429_is_rate_limited(fake_llm: FakeLLMServer, router: ModelRouter) -> None:
    fake_llm.script(Reply.failure(429, "slow down"), Reply.failure(429, "slow down"))
    with pytest.raises(RateLimited):
        judge(router)
    assert len(fake_llm.requests) == 2


def test_401_is_auth_failed(fake_llm: FakeLLMServer, router: ModelRouter) -> None:
    fake_llm.script(Reply.failure(401, "invalid x-api-key"))
    with pytest.raises(AuthFailed) as info:
        judge(router)
    assert SECRET not in str(info.value)


def test_overloaded_then_success(fake_llm: FakeLLMServer, router: ModelRouter) -> None:
    fake_llm.script(
        Reply.failure(529, "overloaded"), Reply.tool_call({"qualified": False, "reason": "no budget"})
    )
    assert judge(router) == Verdict(qualified=False, reason="no budget")


def test_text_refusal_is_model_failure(fake_llm: FakeLLMServer, router: ModelRouter) -> None:
    fake_llm.script(Reply.plain_text("I won't judge people."), Reply.plain_text("Still won't."))
    with pytest.raises(ModelFailure):
        judge(router)
