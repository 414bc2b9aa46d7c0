"""Pieces every store backend shares: the lead.updated event a state change records, timer
names, and the calendar slot a lead's state holds."""

from __future__ import annotations

import fnmatch
import hashlib
from datetime import datetime
from typing import Any

from leadflow.domain.events import Event, EventType
from leadflow.domain.models import LeadState
from leadflow.state.patch import doc_patch, state_patch


def lead_updated_event(old: LeadState, new: LeadState, *, cause: str | None) -> Event:
    """The log record of a state change: the patch from ``old`` to ``new`` and the new version.

    Its id is derived from the lead and version, so a state version is recorded once.
    """
    return _lead_updated(new, old.version + 1, state_patch(old, new), cause)


def lead_updated_from_docs(
    old_doc: dict[str, Any], new: LeadState, new_doc: dict[str, Any], *, cause: str | None
) -> Event:
    """:func:`lead_updated_event` from the stored JSON documents (the SQL store's fast path)."""
    return _lead_updated(new, int(old_doc["version"]) + 1, doc_patch(old_doc, new_doc), cause)


def _lead_updated(new: LeadState, version: int, patch: dict[str, Any], cause: str | None) -> Event:
    eid = hashlib.sha1(f"{new.lead_id}:v{version}".encode()).hexdigest()
    return Event(
        id=eid,
        type=EventType.LEAD_UPDATED,
        lead_id=new.lead_id,
        workspace_id=new.workspace_id,
        at=new.updated_at,
        causation_id=cause,
        correlation_id=new.lead_id,
        source="store",
        payload={"patch": patch, "version": version, "stage": new.stage.value},
    )


def timer_matches(name: str, pattern: str) -> bool:
    """Timer cancellation takes exact names or glob patterns (``route:*``, ``*``)."""
    return name == pattern or fnmatch.fnmatchcase(name, pattern)


def held_slot(state: LeadState) -> tuple[str, datetime] | None:
    """``(calendar, start)`` of the meeting ``state`` holds (scheduled or confirmed), if any: what
    the store's one-lead-per-slot bookings record, so they can be rebuilt from the log."""
    a = state.appointment
    return (a.with_rep, a.start) if a is not None and a.status in ("scheduled", "confirmed") else None
