"""The webhook and reject settings: read from the environment, validated, turned into ``RejectLimits``."""

from __future__ import annotations

from datetime import timedelta

import pytest
from pydantic import ValidationError

from leadflow.settings import Settings
from leadflow.state.rejects import DEFAULT_LIMITS, RejectLimits


def test_defaults_are_the_stores_defaults() -> None:
    s = Settings()
    assert (s.require_signatures, s.webhook_tolerance) == (False, 300)
    assert s.reject_limits() == DEFAULT_LIMITS


def test_read_from_the_environment() -> None:
    s = Settings.from_env({"LEADFLOW_REQUIRE_SIGNATURES": "1", "LEADFLOW_WEBHOOK_TOLERANCE": "120",
                           "LEADFLOW_REJECT_MAX_BYTES": "4096", "LEADFLOW_REJECT_KEEP": "50",
                           "LEADFLOW_REJECT_MAX_AGE_DAYS": "7", "LEADFLOW_REJECT_BURST": "5",
                           "LEADFLOW_REJECT_BURST_SECONDS": "10"})
    assert s.require_signatures is True and s.webhook_tolerance == 120
    assert s.reject_limits() == RejectLimits(max_bytes=4096, keep=50, max_age=timedelta(days=7), burst=5,
                                             window=timedelta(seconds=10))


@pytest.mark.parametrize("env", [{"LEADFLOW_WEBHOOK_TOLERANCE": "0"}, {"LEADFLOW_WEBHOOK_TOLERANCE": "7200"},
                                 {"LEADFLOW_REJECT_KEEP": "0"}, {"LEADFLOW_REQUIRE_SIGNATURES": "maybe"}])
def test_bad_values_are_refused_at_start(env: dict[str, str]) -> None:
    with pytest.raises(ValidationError):
        Settings.from_env(env)
