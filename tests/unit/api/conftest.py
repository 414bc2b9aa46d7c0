"""Fixtures for the API tests: an in-memory runtime, a TestClient and a real uvicorn on loopback."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest
import uvicorn
from fastapi.testclient import TestClient
from tests.services import free_port

from leadflow.api import create_app
from leadflow.domain.models import Campaign
from leadflow.integrations.channels import TranscriptChannel
from leadflow.orchestrator.clock import FixedClock
from leadflow.runtime import Runtime
from leadflow.settings import Settings
from leadflow.state import MemoryStore

CAMPAIGN = "spring"
# A Tuesday, 10:00 in New York: inside every send window, so the first touch goes at once.
NOW = datetime(2024, 3, 5, 15, 0, tzinfo=UTC)


@pytest.fixture
def channel() -> Iterator[TranscriptChannel]:
    ch = TranscriptChannel()
    yield ch
    ch.close()


@pytest.fixture
def runtime(tmp_path: Path, channel: TranscriptChannel) -> Iterator[Runtime]:
    settings = Settings(db_url="memory://", transcript_path=str(tmp_path / "transcript.db"))
    rt = Runtime.build(settings, store=MemoryStore(), channel=channel, clock=FixedClock(NOW))
    rt.store.save_campaign("default", Campaign(name=CAMPAIGN))
    rt.store.save_campaign("other", Campaign(name=CAMPAIGN))
    yield rt
    rt.close()


@pytest.fixture
def client(runtime: Runtime) -> Iterator[TestClient]:
    with TestClient(create_app(runtime)) as c:
        yield c


@dataclass
class LiveServer:
    url: str
    server: uvicorn.Server


@pytest.fixture
def live_server(runtime: Runtime) -> Iterator[LiveServer]:
    """The app served by uvicorn on 127.0.0.1 in a thread, with the worker running beside it."""
    port = free_port()
    app = create_app(runtime, worker=True, poll_interval=0.01)
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        assert time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.01)
    yield LiveServer(f"http://127.0.0.1:{port}", server)
    server.should_exit = True
    thread.join(10)
    assert not thread.is_alive()
