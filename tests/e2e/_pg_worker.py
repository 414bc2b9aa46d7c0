"""One worker process for the several-workers test: the runtime ``leadflow work`` builds, on a shared clock.

    python tests/e2e/_pg_worker.py --db URL --transcript PATH --workspace WS --epoch SECONDS [--batch N]

It differs from ``leadflow work`` in two ways only: the clock is real time moved to a Tuesday
morning (``SharedClock``; every process given the same ``--epoch`` reads the same time, and
send windows never defer a first touch), and the worker's batch is small so that several
workers share a burst of leads. It prints ``ready`` once running, works until SIGTERM, then
prints one JSON line of what it did and exits 0.
"""

from __future__ import annotations

import argparse
import json
import signal
import sys
import threading
import time
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from leadflow.domain.actions import OutboundAction
from leadflow.integrations.channels import TranscriptChannel
from leadflow.integrations.channels.base import Receipt
from leadflow.runtime import Runtime
from leadflow.settings import Settings


class SharedClock:
    """Real time, shifted so that the moment ``epoch`` (a ``time.time()`` value) reads ``ANCHOR``."""

    ANCHOR = datetime(2026, 3, 3, 15, 0, tzinfo=UTC)  # Tuesday 10:00 in America/New_York

    def __init__(self, epoch: float) -> None:
        self.epoch = epoch

    def now(self) -> datetime:
        return self.ANCHOR + timedelta(seconds=time.time() - self.epoch)


class CountingChannel:
    """The transcript channel, counting the deliveries this process made."""

    name = "transcript"

    def __init__(self, inner: TranscriptChannel) -> None:
        self.inner = inner
        self.count = 0

    def deliver(self, action: OutboundAction, *, workspace_id: str, lead_id: str) -> Receipt:
        receipt = self.inner.deliver(action, workspace_id=workspace_id, lead_id=lead_id)
        self.count += 1
        return receipt


def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    p.add_argument("--db", required=True)
    p.add_argument("--transcript", required=True)
    p.add_argument("--workspace", required=True)
    p.add_argument("--epoch", type=float, required=True)
    p.add_argument("--batch", type=int, default=10)
    args = p.parse_args(argv)

    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    settings = Settings(db_url=args.db, transcript_path=args.transcript, workspace=args.workspace)
    channel = CountingChannel(TranscriptChannel(args.transcript))
    runtime = Runtime.build(settings, clock=SharedClock(args.epoch), channel=channel)
    runtime.worker.batch = args.batch
    handled = 0
    process = runtime.orchestrator.process

    def counted(**kwargs: Any) -> int:
        nonlocal handled
        n = process(**kwargs)
        handled += n
        return n

    runtime.orchestrator.process = counted  # type: ignore[method-assign]
    print("ready", flush=True)
    report: dict[str, Any] = {}
    try:
        runtime.worker.run_forever(poll_interval=0.05, stop=stop)
        report = {"events": handled, "deliveries": channel.count}
    finally:
        runtime.close()
        channel.inner.close()
    print(json.dumps(report), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
