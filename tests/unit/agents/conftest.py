"""Fixtures shared by the agents' tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from leadflow.llm import ModelRouter


@pytest.fixture
def routers() -> Iterator[list[ModelRouter]]:
    """Routers made by ``scripted.make_router`` in a test, closed after it."""
    made: list[ModelRouter] = []
    yield made
    for router in made:
        router.close()
