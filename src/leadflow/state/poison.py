"""Rows the store cannot read back, and what a reader gets for them instead of an exception.

A stored event, lead document, action or timer may fail to parse (nested past the parser's
limit, written before the input limits existed, edited by hand). One such row must not stop a
whole read: the store's read paths parse row by row and, only when a row fails, put in its place
a stand-in built from the row's plain columns (:func:`unreadable_event`), or leave it out, with
the reason in words (:func:`reason`): "unreadable event: recursion limit exceeded". The worker
then retries and dead-letters the event, or fails the action or timer, like any other failure.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from pydantic import ValidationError

from leadflow.domain.events import Event

UNREADABLE = "unreadable"
"""The ``source`` of a stand-in event, and the key of its payload (the reason)."""

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def reason(what: str, exc: BaseException, *, width: int = 300) -> str:
    """``"unreadable <what>: <first problem>"``, one line, at most about ``width`` characters."""
    if isinstance(exc, ValidationError):
        errors = exc.errors(include_url=False, include_input=False)
        if errors:
            loc = ".".join(str(p) for p in errors[0]["loc"])
            problem = errors[0]["msg"] + (f" at {loc}" if loc else "")
        else:
            problem = "invalid"
    elif isinstance(exc, RecursionError):
        problem = "nested too deep to parse"
    else:
        problem = f"{type(exc).__name__}: {exc}"
    text = " ".join(f"unreadable {what}: {problem}".split())
    return text if len(text) <= width else text[: width - 1] + "…"


def unreadable_event(
    *, event_id: Any, workspace_id: Any, lead_id: Any, type_: Any, at: datetime | None, why: str
) -> Event:
    """The stand-in for an event row whose document cannot be read: its columns, and the reason."""
    when = at if at is None or at.tzinfo is not None else at.replace(tzinfo=UTC)
    return Event(
        id=str(event_id),
        type=str(type_),
        lead_id=str(lead_id),
        workspace_id=str(workspace_id),
        at=when or _EPOCH,
        source=UNREADABLE,
        payload={UNREADABLE: why},
    )


def is_unreadable(event: Event) -> bool:
    """Whether ``event`` is a stand-in from :func:`unreadable_event`."""
    return event.source == UNREADABLE and UNREADABLE in event.payload


def why(event: Event) -> str | None:
    """The reason a stand-in event carries, or ``None`` for a real event."""
    return str(event.payload[UNREADABLE]) if is_unreadable(event) else None
