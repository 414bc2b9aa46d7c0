"""Shared lead state: the store interface, its backends and the factory that picks one by URL."""

from __future__ import annotations

from leadflow.exceptions import ConfigError
from leadflow.state.base import Store
from leadflow.state.memory import MemoryStore
from leadflow.state.records import ActionRow, Commit, DeadLetter, InboxItem, Reject, TimerRow, TraceRecord


def open_store(url: str) -> Store:
    """``memory://``, ``sqlite:///path.db`` or ``postgresql+psycopg://user@host/db``."""
    if url.startswith("memory:"):
        return MemoryStore()
    if url.startswith(("sqlite:", "postgresql")):
        from leadflow.state.sql import SqlStore

        if url.startswith("postgresql://"):
            url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
        return SqlStore(url)
    raise ConfigError(
        f"unsupported store URL scheme in {url.split(':', 1)[0]!r}; use sqlite:///, postgresql:// or memory://"
    )


__all__ = [
    "ActionRow",
    "Commit",
    "DeadLetter",
    "InboxItem",
    "MemoryStore",
    "Reject",
    "Store",
    "TimerRow",
    "TraceRecord",
    "open_store",
]
