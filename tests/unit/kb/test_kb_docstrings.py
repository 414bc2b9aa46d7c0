"""The examples in the knowledge-base docstrings run and stay true."""

from __future__ import annotations

import doctest
import importlib

import pytest

MODULES = [
    "leadflow.kb",
    "leadflow.kb.sanitize",
    "leadflow.kb.chunk",
    "leadflow.kb.ingest",
    "leadflow.kb.index",
    "leadflow.kb.store",
]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name: str) -> None:
    result = doctest.testmod(importlib.import_module(name))
    assert result.failed == 0
    assert result.attempted > 0
