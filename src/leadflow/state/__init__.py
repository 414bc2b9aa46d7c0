"""Shared lead state: the store interface, its backends and the factory that picks one by URL."""

from __future__ import annotations

from leadflow.exceptions import ConfigError
from leadflow.state.base import Store
from leadflow.state.memory import MemoryStore
from leadflow.state.records import ActionRow, Commit, DeadLetter, InboxItem, Reject, TimerRow, TraceRecord


def open_store(url: str) -> Store:
    """``memory://``, ``sqlite:///path.db`` or ``postgresql+psycopg://user@host/db``.

    A URL that cannot work raises ``ConfigError`` and an unreachable database ``Unavailable``,
    both as ``cannot open the database <url, password masked>: <reason>`` (``_opening``).
    """
    from leadflow.state._opening import OPEN_ERRORS, cannot_open, check_url, redact_url

    if url.startswith("memory:"):
        return MemoryStore()
    if url.startswith(("sqlite:", "postgresql")):
        from leadflow.state.sql import SqlStore

        given = url  # errors name the URL as the user wrote it
        if url.startswith("postgresql://"):
            url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
        check_url(given)
        try:
            return SqlStore(url)
        except OPEN_ERRORS as exc:
            raise cannot_open(given, exc) from exc
    raise ConfigError(
        f"cannot open the database {redact_url(url)}: unsupported URL scheme {url.split(':', 1)[0]!r}; "
        "use sqlite:///, postgresql:// or memory://"
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
