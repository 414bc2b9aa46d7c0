"""Fixtures for the API tests: an in-memory runtime, API keys, a TestClient and a real uvicorn on loopback.

``client`` and ``live_server`` carry an admin key of the ``default`` workspace; ``key_for``
makes others (another workspace, a weaker role).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import pytest
import uvicorn
from fastapi.testclient import TestClient
from tests.services import free_port

from leadflow.api import create_app
from leadflow.auth import keyring_for
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


KeyFactory = Callable[..., str]


@pytest.fixture
def key_for(runtime: Runtime) -> KeyFactory:
    """``key_for("other", "viewer")``: a new API key of that workspace and role."""

    def make(workspace: str = "default", role: str = "admin") -> str:
        return keyring_for(runtime.store).create(workspace, role, name="tests", actor="tests")[1]

    return make


def bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


@pytest.fixture
def client(runtime: Runtime, key_for: KeyFactory) -> Iterator[TestClient]:
    with TestClient(create_app(runtime), headers=bearer(key_for())) as c:
        yield c


@dataclass
class LiveServer:
    url: str
    server: uvicorn.Server
    headers: dict[str, str] = field(default_factory=dict)  # an admin key of ``default``


@pytest.fixture
def live_server(runtime: Runtime, key_for: KeyFactory) -> Iterator[LiveServer]:
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
    yield LiveServer(f"http://127.0.0.1:{port}", server, bearer(key_for()))
    server.should_exit = True
    thread.join(10)
    assert not thread.is_alive()
