"""The app factory: ``create_app(runtime)`` wires routers, API keys, the audit log, error mapping and,
optionally, the worker.

The API only records (leads, replies, deal outcomes) and reads; the worker does the work. ``leadflow serve``
passes ``worker=True`` so one process runs both: the worker loop in a background thread that
starts with the app and is stopped and joined when the app shuts down.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware

from leadflow.api import errors
from leadflow.api.audit import AuditMiddleware
from leadflow.api.auth import AuthMode, InsecureNoAuth, check_guarded
from leadflow.api.metrics import WorkspaceMetrics
from leadflow.api.routes import campaigns, docs, drafts, health, knowledge, leads, outcomes, replies
from leadflow.auth import keyring_for
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
    runtime: Runtime, *, auth: AuthMode | None = None, worker: bool = False, poll_interval: float = 0.2
) -> FastAPI:
    """Build the HTTP API over ``runtime``: every route but ``/healthz`` needs an API key.

    Args:
        runtime: the wired store, intake, registry and worker (and ``settings.cors_origins``).
        auth: how callers are known: the store's API keys (``keyring_for(runtime.store)``, the
            default), or ``InsecureNoAuth`` (see ``create_insecure_app``).
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

    # the documents are routes of our own (routes/docs.py), behind a key like the rest
    app = FastAPI(title="leadflow", version="0.1.0", lifespan=lifespan, docs_url=None, redoc_url=None,
                  openapi_url=None,
                  description="Leads, replies and deal outcomes in; the worker and its agents do the rest.")
    app.state.runtime = runtime
    app.state.auth = auth if auth is not None else keyring_for(runtime.store)
    app.state.metrics = WorkspaceMetrics()
    errors.install(app)
    app.include_router(leads.router)
    app.include_router(campaigns.router)
    app.include_router(knowledge.router)
    app.include_router(drafts.router)
    app.include_router(outcomes.router)
    app.include_router(replies.router)
    app.include_router(health.agents_router)
    app.include_router(health.router)
    app.include_router(docs.router)
    app.state.audit_actions = check_guarded(app)
    app.add_middleware(AuditMiddleware, store=runtime.store)
    if runtime.settings.cors_origins:  # off unless configured: no browser page may call us otherwise
        app.add_middleware(CORSMiddleware, allow_origins=list(runtime.settings.cors_origins),
                           allow_methods=["GET", "POST"], allow_headers=["*"])
    return app


def create_insecure_app(runtime: Runtime, *, hosts: tuple[str, ...] | None = None, **kwargs: Any) -> FastAPI:
    """``create_app`` WITHOUT API keys: every request is the admin of ``runtime.settings.workspace``.

    For ``leadflow serve --insecure-no-auth`` on loopback and for tests about something else;
    never on a shared network. ``hosts``: answer only requests whose ``Host`` is a loopback name
    or one of these (``serve`` passes its bind address; against DNS rebinding), ``None`` for any.
    """
    return create_app(runtime, auth=InsecureNoAuth(runtime.settings.workspace, hosts=hosts), **kwargs)
