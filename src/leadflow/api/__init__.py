"""The HTTP API: an app factory over a ``Runtime``; routes record leads and replies for the worker."""

from __future__ import annotations

from leadflow.api.app import WorkerThread, create_app

__all__ = ["WorkerThread", "create_app"]
