"""State as a fold over events: patches between states and the replay that applies them.

Every commit that changes a lead records a ``lead.updated`` event whose payload is the patch
from the old state to the new one. Replaying ``lead.created`` (the initial state) and then
every patch rebuilds the current-state tables exactly; ``leadflow replay`` checks this.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from leadflow.domain.events import Event, EventType
from leadflow.domain.limits import READ_BACK
from leadflow.domain.models import LeadState

_SKIP = {"version"}


def state_patch(old: LeadState | None, new: LeadState) -> dict[str, Any]:
    """A JSON patch: ``set`` replaces top-level fields, ``append`` extends grown lists."""
    return doc_patch(None if old is None else old.model_dump(mode="json"), new.model_dump(mode="json"))


def doc_patch(old_doc: dict[str, Any] | None, new_doc: dict[str, Any]) -> dict[str, Any]:
    """:func:`state_patch` on JSON documents (what the SQL store holds), sparing a parse."""
    if old_doc is None:
        return {"set": {k: v for k, v in new_doc.items() if k not in _SKIP}, "append": {}}
    sets: dict[str, Any] = {}
    appends: dict[str, Any] = {}
    for key, value in new_doc.items():
        if key in _SKIP:
            continue
        before = old_doc.get(key)
        if before == value:
            continue
        if isinstance(before, list) and isinstance(value, list) and value[: len(before)] == before:
            appends[key] = value[len(before) :]
        else:
            sets[key] = value
    return {"set": sets, "append": appends}


def apply_patch(doc: dict[str, Any], patch: dict[str, Any]) -> dict[str, Any]:
    out = dict(doc)
    out.update(patch.get("set", {}))
    for key, items in patch.get("append", {}).items():
        out[key] = list(out.get(key, [])) + list(items)
    return out


def fold(events: Iterable[Event]) -> dict[str, LeadState]:
    """Rebuild every lead's state from its log."""
    docs: dict[str, dict[str, Any]] = {}
    for event in events:
        if event.type == EventType.LEAD_CREATED:
            docs[event.lead_id] = dict(event.payload["state"])
            docs[event.lead_id]["version"] = int(event.payload.get("version", 1))
        elif event.type == EventType.LEAD_UPDATED and event.lead_id in docs:
            doc = apply_patch(docs[event.lead_id], event.payload["patch"])
            doc["version"] = int(event.payload["version"])
            docs[event.lead_id] = doc
    return {lead_id: LeadState.model_validate(doc, context=READ_BACK) for lead_id, doc in docs.items()}


def merge_parallel(base: LeadState, results: list[LeadState]) -> LeadState:
    """Merge the states parallel agents returned from the same ``base``.

    Changed scalar fields take the later agent's value; grown lists get every agent's new
    items; dict fields are merged key by key, so two agents filling different answers both land.
    """
    base_doc = base.model_dump(mode="json")
    merged = dict(base_doc)
    for result in results:
        doc = result.model_dump(mode="json")
        for key, value in doc.items():
            before = base_doc.get(key)
            if value == before:
                continue
            if isinstance(before, dict) and isinstance(value, dict):
                current = dict(merged.get(key) or {})
                current.update({k: v for k, v in value.items() if before.get(k) != v})
                for gone in set(before) - set(value):
                    current.pop(gone, None)
                merged[key] = current
            elif isinstance(before, list) and isinstance(value, list) and value[: len(before)] == before:
                merged[key] = list(merged.get(key) or []) + value[len(before) :]
            else:
                merged[key] = value
    return LeadState.model_validate(merged, context=READ_BACK)  # made of states already accepted
