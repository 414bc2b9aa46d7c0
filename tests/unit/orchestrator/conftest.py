"""Fixtures for the orchestrator tests: a whole runtime on the memory store, the demo campaign."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from leadflow.integrations.channels import TranscriptChannel
from leadflow.orchestrator.clock import FixedClock
from leadflow.runtime import Runtime
from leadflow.settings import Settings
from leadflow.sim.run import demo_campaign
from leadflow.state import MemoryStore

WS = "default"
NOW = datetime(2026, 3, 3, 15, 0, tzinfo=UTC)  # a Tuesday, 10:00 in New York


@pytest.fixture
def rt() -> Iterator[Runtime]:
    """The default agents and routes, a fixed clock at ``NOW`` and the demo campaign in ``WS``."""
    channel = TranscriptChannel(":memory:")
    runtime = Runtime.build(
        Settings(db_url="memory://", transcript_path=":memory:", workspace=WS),
        store=MemoryStore(),
        clock=FixedClock(NOW),
        channel=channel,
    )
    runtime.store.save_campaign(WS, demo_campaign())
    yield runtime
    runtime.close()
    channel.close()
