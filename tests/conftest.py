"""Test-wide settings: no test may reach a real model provider."""

from __future__ import annotations

import pydantic_ai.models

pydantic_ai.models.ALLOW_MODEL_REQUESTS = False

# Service fixtures (pg_url, redis_url) and free_port(): see tests/services.py.
# `tests` is imported as a package from the repository root, whichever way pytest was started.
import sys as _sys  # noqa: E402
from pathlib import Path as _Path  # noqa: E402

if str(_Path(__file__).resolve().parent.parent) not in _sys.path:
    _sys.path.insert(0, str(_Path(__file__).resolve().parent.parent))

pytest_plugins = ["tests.services"]
