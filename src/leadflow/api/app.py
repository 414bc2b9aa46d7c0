"""The app factory: ``create_app(runtime)`` wires routers, error mapping and, optionally, the worker.

The API only records (leads, replies, deal outcomes) and reads; the worker does the work. ``leadflow serve``
passes ``worker=True`` so one process runs both: the worker loop in a background thread that
starts with the app and is stopped and joined when the app shuts down.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import Depends, FastAPI

from leadflow.api import errors
from leadflow.api.deps import require_token
from leadflow.api.metrics import ApiMetrics
from leadflow.api.routes import health, leads, outcomes, replies
from leadflow.runtime import Runtime

log = logging.getLogger(__name__)


class WorkerThread:
    """``runtime.worker.run_forever`` in a daemon thread with a stop event."""

    def __init__(self, runtime: Runtime, *, poll_interval: float = 0.2) -> None:
        self.stop = threading.Event()
        self._thread = threading.Thread(
            target=runtime.worker.run_forever, kwargs={"stop": self.stop, "poll_interval": poll_interval},
            name="leadflow-worker", daemon=True,
        )

    def start(self) -> None:
        self._thread.start()

    def close(self, timeout: float = 30.0) -> None:
        self.stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout)
            if self._thread.is_alive():
                log.warning("worker did not stop within %.0fs", timeout)

    @property
    def alive(self) -> bool:
        return self._thread.is_alive()


def create_app(
    runtime: Runtime, *, api_token: str | None = None, worker: bool = False, poll_interval: float = 0.2
) -> FastAPI:
    """Build the HTTP API over ``runtime``.

    Args:
        runtime: the wired store, intake, registry and worker.
        api_token: when set, ``/v1`` routes need ``Authorization: Bearer <api_token>``.
        worker: also run the worker loop in a background thread for the app's lifetime.
        poll_interval: the worker's sleep when idle.
    """

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        thread = WorkerThread(runtime, poll_interval=poll_interval) if worker else None
        app.state.worker_thread = thread
        if thread:
            thread.start()
        try:
            yield
        finally:
            if thread:
                thread.close()

    app = FastAPI(title="leadflow", version="0.1.0", lifespan=lifespan,
                  description="Leads, replies and deal outcomes in; the worker and its agents do the rest.")
    app.state.runtime = runtime
    app.state.api_token = api_token
    app.state.metrics = ApiMetrics()
    errors.install(app)
    guarded = [Depends(require_token)]
    app.include_router(leads.router, dependencies=guarded)
    app.include_router(outcomes.router, dependencies=guarded)
    app.include_router(replies.router, dependencies=guarded)
    app.include_router(health.agents_router, dependencies=guarded)
    app.include_router(health.router)
    return app
