"""A worker whose start-up fails (the database restarting while it takes its lease or warms up)
retries with backoff instead of ending its thread, and then does its work."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest
from sqlalchemy.exc import OperationalError
from tests.unit.orchestrator.conftest import NOW, WS

from leadflow.domain.models import Lead
from leadflow.integrations.channels import TranscriptChannel
from leadflow.orchestrator.clock import FixedClock
from leadflow.runtime import Runtime
from leadflow.settings import Settings
from leadflow.sim.run import CAMPAIGN, demo_campaign
from leadflow.state.sql import SqlStore


@pytest.mark.parametrize("failing", ["try_worker_lease", "warm_up"])
def test_a_failed_start_up_is_retried_and_the_worker_then_works(tmp_path: Path, failing: str) -> None:
    url = f"sqlite:///{tmp_path / 'leadflow.db'}"
    channel = TranscriptChannel(":memory:")
    rt = Runtime.build(Settings(db_url=url, transcript_path=":memory:", workspace=WS), store=SqlStore(url),
                       clock=FixedClock(NOW), channel=channel)
    try:
        rt.store.save_campaign(WS, demo_campaign())
        state, _ = rt.intake.create_lead(WS, CAMPAIGN, Lead(first_name="Ada", email="ada@acme.com",
                                                             timezone="America/New_York", inquiry="pricing?"))
        owner = rt.store if failing == "try_worker_lease" else rt.worker
        real = getattr(owner, failing)
        calls = {"n": 0}

        def flaky(*args: object, **kwargs: object) -> object:
            calls["n"] += 1
            if calls["n"] <= 2:
                raise OperationalError("SELECT 1", {}, Exception("database is restarting"))
            return real(*args, **kwargs)

        setattr(owner, failing, flaky)
        stop = threading.Event()
        thread = threading.Thread(target=rt.worker.run_forever, kwargs={"stop": stop, "poll_interval": 0.01})
        thread.start()
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and not rt.store.actions_for(WS, state.lead_id):
            time.sleep(0.05)
        stop.set()
        thread.join(10)
        assert not thread.is_alive()
        assert calls["n"] >= 3  # failed twice, then went through
        assert rt.store.actions_for(WS, state.lead_id), "the worker never handled the lead after its start-up"
    finally:
        rt.close()
        channel.close()
