"""The HTTP API: an app factory over a ``Runtime``; routes record leads and replies for the worker."""

from __future__ import annotations

from leadflow.api.app import WorkerThread, create_app, create_insecure_app
from leadflow.api.auth import InsecureNoAuth

__all__ = ["InsecureNoAuth", "WorkerThread", "create_app", "create_insecure_app"]
