"""Shared fixtures for the lead simulator tests: one seeded population, generated once."""

from __future__ import annotations

import pytest

from leadflow.sim import SimProspect, generate_prospects

SEED = 20250304


@pytest.fixture(scope="session")
def population() -> list[SimProspect]:
    """Five hundred prospects over the three default industries."""
    return generate_prospects(seed=SEED, n=500)
