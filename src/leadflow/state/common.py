"""Pieces every store backend shares: the lead.updated event a state change records, timer names."""

from __future__ import annotations

import fnmatch
import hashlib

from leadflow.domain.events import Event, EventType
from leadflow.domain.models import LeadState
from leadflow.state.patch import state_patch


def lead_updated_event(old: LeadState, new: LeadState, *, cause: str | None) -> Event:
    """The log record of a state change: the patch from ``old`` to ``new`` and the new version.

    Its id is derived from the lead and version, so a state version is recorded once.
    """
    version = old.version + 1
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
        payload={"patch": state_patch(old, new), "version": version, "stage": new.stage.value},
    )


def timer_matches(name: str, pattern: str) -> bool:
    """Timer cancellation takes exact names or glob patterns (``route:*``, ``*``)."""
    return name == pattern or fnmatch.fnmatchcase(name, pattern)
