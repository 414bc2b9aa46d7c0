"""Personalisation: templates, the validation gate's reasons, and the model path with fallbacks."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from pydantic_ai.messages import ModelMessage, ModelResponse, TextPart, ToolCallPart
from pydantic_ai.models.function import AgentInfo, FunctionModel
from tests.unit.agents.agent_helpers import created, make_campaign, make_ctx, make_state

from leadflow.agents.personalisation import Draft, Rejection, personalise, template_draft, validate
from leadflow.agents.response import ResponseAgent
from leadflow.domain.models import Channel
from leadflow.llm import ModelRouter

SIGNALS: list[dict[str, Any]] = [
    {"kind": "funding", "text": "Acme raised $12M in a Series A.", "source": "https://acme.com/", "confidence": 0.9},
    {"kind": "tech_stack", "text": "HubSpot", "source": "https://acme.com/about", "confidence": 0.8},
]
CAMPAIGN = make_campaign()
FOOTER = template_draft(Channel.EMAIL, make_state(), CAMPAIGN, SIGNALS).footer
Fn = Callable[[list[ModelMessage], AgentInfo], ModelResponse]


def email(body: str, *, footer: str = FOOTER, used: str = "Acme raised $12M in a Series A.",
          subject: str = "Dana, congrats") -> Draft:
    return Draft(channel=Channel.EMAIL, subject=subject, body=body, footer=footer, signal_used=used)


def check(draft: Draft) -> list[Rejection]:
    return validate(draft, campaign=CAMPAIGN, signals=SIGNALS, evidence=["Leadflow answers new leads in 60 seconds."])


GOOD = "Hi Dana, congrats on the $12M Series A. Want to see how Leadflow helps?"


def test_a_good_draft_passes() -> None:
    assert check(email(GOOD)) == []


@pytest.mark.parametrize("body", ["Hi {name}, congrats on the Series A raise.", "Hi Dana, congrats on [Company]'s raise.",
                                  "Hi {{first_name}}, congrats on the Series A raise."])
def test_placeholders_are_rejected(body: str) -> None:
    assert Rejection.PLACEHOLDER in check(email(body))


@pytest.mark.parametrize("body", [
    "Hi Dana, congrats on the raise. Teams cut costs by 40% with Leadflow.",
    "Hi Dana, congrats on the Series A. Customers like Globex love Leadflow.",
    "Hi Dana, after the Series A, 3x more pipeline is possible.",
])
def test_unbacked_claims_are_rejected(body: str) -> None:
    assert Rejection.UNBACKED_CLAIM in check(email(body))


def test_claims_backed_by_signals_or_kb_pass() -> None:
    assert check(email("Hi Dana, congrats on the $12M Series A. Leadflow answers leads in 60 seconds.")) == []


def test_missing_unsubscribe_or_sender_address_is_rejected() -> None:
    no_unsub = FOOTER.replace("Reply STOP or 'unsubscribe' to opt out.", "")
    assert check(email(GOOD, footer=no_unsub)) == [Rejection.NO_UNSUBSCRIBE]
    no_address = FOOTER.replace("sam@northwind.example", "").replace("1 Market St, San Francisco, CA 94105", "")
    assert check(email(GOOD, footer=no_address)) == [Rejection.NO_SENDER_ADDRESS]


def test_over_length_is_rejected_per_channel() -> None:
    assert Rejection.TOO_LONG in check(email(GOOD + " more" * 100))
    sms = Draft(channel=Channel.SMS, body="Saw the Series A raise. " + "x" * 150, footer=" Reply STOP to opt out.",
                signal_used=SIGNALS[0]["text"])
    assert check(sms) == [Rejection.TOO_LONG]
    li = Draft(channel=Channel.LINKEDIN, body="Saw the Series A raise. " + "y" * 290, signal_used=SIGNALS[0]["text"])
    assert check(li) == [Rejection.TOO_LONG]


def test_a_draft_that_uses_no_signal_is_rejected() -> None:
    assert Rejection.NO_SIGNAL in check(email("Hi Dana, want to chat about Leadflow?", used="made up"))
    assert Rejection.NO_SIGNAL in check(email("Hi Dana, want to chat about Leadflow?"))


@pytest.mark.parametrize("channel", [Channel.EMAIL, Channel.SMS, Channel.LINKEDIN])
@pytest.mark.parametrize("signals", [SIGNALS, SIGNALS[1:], []])
def test_templates_pass_their_own_gate(channel: Channel, signals: list[dict[str, Any]]) -> None:
    draft = template_draft(channel, make_state(), CAMPAIGN, signals)
    assert validate(draft, campaign=CAMPAIGN, signals=signals) == []
    if signals:
        assert draft.signal_used == signals[0]["text"]


# -- the model path -------------------------------------------------------------------------------


def reply(*outputs: dict[str, Any]) -> tuple[Fn, list[str]]:
    prompts: list[str] = []
    queue = list(outputs)

    def fn(messages: list[ModelMessage], info: AgentInfo) -> ModelResponse:
        prompts.append(str(messages[-1].parts[-1]))
        out = queue.pop(0) if len(queue) > 1 else queue[0]
        return ModelResponse(parts=[ToolCallPart(info.output_tools[0].name, out)])

    return fn, prompts


def router(fn: Fn) -> ModelRouter:
    model = FunctionModel(fn, model_name="m")
    return ModelRouter({"fast": model, "strong": model}, sleep=lambda _s: None, max_retries=0)


def good_output() -> dict[str, Any]:
    return {"subject": "Dana, congrats", "body": GOOD, "signal_used": SIGNALS[0]["text"]}


def test_llm_draft_passes_the_gate() -> None:
    fn, prompts = reply(good_output())
    with router(fn) as r:
        result = personalise(Channel.EMAIL, make_state(), CAMPAIGN, SIGNALS, router=r, tier="strong")
    assert result.draft.source == "llm"
    assert result.draft.body == GOOD and result.draft.text.endswith(FOOTER)
    assert result.model == "function:m"
    assert "<signals>" in prompts[0] and "Series A" in prompts[0]


def test_a_rejected_llm_draft_is_rewritten_once() -> None:
    bad = {"subject": "Hi", "body": "Hi {name}, customers like Globex grew 300%.", "signal_used": "HubSpot"}
    fn, prompts = reply(bad, good_output())
    with router(fn) as r:
        result = personalise(Channel.EMAIL, make_state(), CAMPAIGN, SIGNALS, router=r, tier="fast")
    assert result.draft.source == "llm_rewrite"
    assert result.rejections == [[Rejection.PLACEHOLDER, Rejection.UNBACKED_CLAIM, Rejection.NO_SIGNAL]]
    assert "rejected for: placeholder, unbacked_claim" in prompts[1]


def test_two_rejections_fall_back_to_the_template() -> None:
    fn, _ = reply({"subject": "Hi", "body": "We boost revenue 50%!", "signal_used": "nothing"})
    with router(fn) as r:
        result = personalise(Channel.EMAIL, make_state(), CAMPAIGN, SIGNALS, router=r, tier="fast")
    assert result.draft.source == "template"
    assert len(result.rejections) == 2


def malformed(messages: list[ModelMessage], info: AgentInfo) -> ModelResponse:
    return ModelResponse(parts=[ToolCallPart(info.output_tools[0].name, {"headline": 3})])


def timeout(messages: list[ModelMessage], info: AgentInfo) -> ModelResponse:
    raise TimeoutError("model took too long")


def refusal(messages: list[ModelMessage], info: AgentInfo) -> ModelResponse:
    return ModelResponse(parts=[TextPart("I'm sorry, I can't help with writing sales emails.")])


@pytest.mark.parametrize("fn", [malformed, timeout, refusal], ids=["malformed", "timeout", "refusal"])
def test_model_failures_fall_back_to_the_template(fn: Fn) -> None:
    with router(fn) as r:
        result = personalise(Channel.EMAIL, make_state(), CAMPAIGN, SIGNALS, router=r, tier="strong")
    assert result.draft.source == "template"
    assert result.error is not None and result.error.startswith("ModelFailure")
    assert validate(result.draft, campaign=CAMPAIGN, signals=SIGNALS) == []


def test_response_agent_tier_picks_the_model_and_tier_c_never_calls_one() -> None:
    calls: list[str] = []

    def fn(messages: list[ModelMessage], info: AgentInfo) -> ModelResponse:
        calls.append("x")
        return ModelResponse(parts=[ToolCallPart(info.output_tools[0].name, good_output())])

    with router(fn) as r:
        ctx = make_ctx(llm=r)
        state = make_state()
        state.signals = SIGNALS
        state.tier = "A"
        decision = ResponseAgent().handle_llm(ctx, state, created(state))
        assert calls == ["x"] and decision.model == "function:m"
        assert decision.actions[0].payload["draft"] == "llm"
        assert decision.actions[0].body.startswith(GOOD)
        state.tier = "C"
        decision = ResponseAgent().handle_llm(ctx, state, created(state))
        assert calls == ["x"] and decision.model is None
        assert decision.actions[0].payload["draft"] == "template"
    assert r.ledger.summary().by_agent["response"].calls == 1
