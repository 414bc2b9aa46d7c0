"""Scripted models for the agents' LLM-mode tests: a pydantic-ai ``FunctionModel`` behind a real
``ModelRouter`` (nothing leaves the process), and the three failures every model mode must survive:
malformed output, a timeout and a refusal."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from pydantic_ai.messages import (
    ModelMessage,
    ModelRequest,
    ModelResponse,
    TextPart,
    ToolCallPart,
    UserPromptPart,
)
from pydantic_ai.models.function import AgentInfo, FunctionModel

from leadflow.llm import ModelRouter

Fn = Callable[[list[ModelMessage], AgentInfo], ModelResponse | Awaitable[ModelResponse]]


def make_router(made: list[ModelRouter], fn: Fn) -> ModelRouter:
    """A router whose every tier is ``fn``, with a short timeout and no retries; closed by ``routers``."""
    model = FunctionModel(fn, model_name="scripted")
    router = ModelRouter({"fast": model, "strong": model}, timeout=0.3, max_retries=0, sleep=lambda _s: None)
    made.append(router)
    return router


def prompt_of(messages: list[ModelMessage]) -> str:
    """The user prompt(s) the agent sent."""
    return " ".join(
        str(p.content)
        for m in messages
        if isinstance(m, ModelRequest)
        for p in m.parts
        if isinstance(p, UserPromptPart)
    )


def malformed(messages: list[ModelMessage], info: AgentInfo) -> ModelResponse:
    return ModelResponse(parts=[ToolCallPart(info.output_tools[0].name, {"nonsense": [1, 2, 3]})])


def refusal(messages: list[ModelMessage], info: AgentInfo) -> ModelResponse:
    return ModelResponse(parts=[TextPart("I'm sorry, but I can't help with that request.")])


async def slow(messages: list[ModelMessage], info: AgentInfo) -> ModelResponse:
    await asyncio.sleep(5)  # the router's timeout is 0.3 s
    return ModelResponse(parts=[TextPart("too late")])


FAILURES: list[tuple[str, Fn]] = [("malformed", malformed), ("timeout", slow), ("refusal", refusal)]
