"""Fixtures for the LLM tests: a fake provider server on loopback, and permission to call it."""

from __future__ import annotations

from collections.abc import Iterator

import pydantic_ai.models
import pytest

from fakes import FakeLLMServer


@pytest.fixture
def fake_llm() -> Iterator[FakeLLMServer]:
    """A started :class:`FakeLLMServer` on 127.0.0.1, stopped after the test."""
    with FakeLLMServer() as server:
        yield server


@pytest.fixture
def allow_model_requests() -> Iterator[None]:
    """Let pydantic-ai's real models send requests (to the loopback fake only), then forbid again."""
    before = pydantic_ai.models.ALLOW_MODEL_REQUESTS
    pydantic_ai.models.ALLOW_MODEL_REQUESTS = True
    try:
        yield
    finally:
        pydantic_ai.models.ALLOW_MODEL_REQUESTS = before
