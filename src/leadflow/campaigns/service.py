"""Applying, reading back, pausing and resuming campaigns: what the CLI and the API both call.

:func:`plan` compares a file with the stored campaign key by key (like ``terraform plan``);
:func:`apply` writes only when something changed, so applying the same file twice writes
nothing the second time. The stored :class:`~leadflow.domain.models.Campaign` keeps the applied
file (``Campaign.spec``, normalised), which :func:`export` gives back, re-appliable with no
changes. The paused flag is not part of the file: an apply keeps it, :func:`set_paused` sets it.
The campaign is one JSON document in the store, so none of this needs a new table.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from leadflow.campaigns.spec import CampaignFile, knowledge_paths, to_campaign
from leadflow.domain.models import Campaign
from leadflow.exceptions import InvalidInput, NotFound
from leadflow.state.base import Store


@dataclass(frozen=True)
class Change:
    """One key that differs: ``op`` is ``+`` (added), ``-`` (removed) or ``~`` (changed)."""

    op: str
    key: str
    old: Any = None
    new: Any = None

    def line(self) -> str:
        if self.op == "+":
            return f"  + {self.key} = {_short(self.new)}"
        if self.op == "-":
            return f"  - {self.key} (was {_short(self.old)})"
        return f"  ~ {self.key}: {_short(self.old)} -> {_short(self.new)}"


@dataclass(frozen=True)
class Plan:
    """What applying a file would change; ``created`` when there is no such campaign yet."""

    name: str
    created: bool
    changes: list[Change] = field(default_factory=list)
    applied: bool = False

    @property
    def empty(self) -> bool:
        return not self.created and not self.changes

    def text(self) -> str:
        if self.empty:
            return f"campaign {self.name!r}: no changes"
        head = f"campaign {self.name!r}: " + ("create" if self.created else f"{len(self.changes)} change(s)")
        return "\n".join([head, *(c.line() for c in self.changes)])

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "created": self.created,
            "applied": self.applied,
            "changes": [{"op": c.op, "key": c.key, "old": c.old, "new": c.new} for c in self.changes],
        }


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def _flat(value: Any, prefix: str, out: dict[str, Any]) -> None:
    if isinstance(value, dict) and value:
        for k, v in value.items():
            _flat(v, f"{prefix}.{k}" if prefix else str(k), out)
    elif isinstance(value, list) and value and any(isinstance(v, dict) for v in value):
        for i, v in enumerate(value):
            _flat(v, f"{prefix}[{i}]", out)
    else:
        out[prefix] = value


def diff(old: dict[str, Any] | None, new: dict[str, Any]) -> list[Change]:
    """Key-by-key differences between two normalised campaign files."""
    a: dict[str, Any] = {}
    b: dict[str, Any] = {}
    if old:  # a new campaign: nothing was there (an empty document would flatten to one key "")
        _flat(old, "", a)
    _flat(new, "", b)
    changes = [Change("~", k, a[k], b[k]) for k in b if k in a and a[k] != b[k]]
    changes += [Change("+", k, None, b[k]) for k in b if k not in a]
    changes += [Change("-", k, a[k], None) for k in a if k not in b]
    order = list(dict.fromkeys([*b, *a]))
    return sorted(changes, key=lambda c: order.index(c.key))


def resolved(spec: CampaignFile, base: Path | None) -> CampaignFile:
    """The file with its relative knowledge paths read from ``base`` (unchanged without one)."""
    paths = knowledge_paths(spec, base)
    return spec if paths == spec.knowledge else spec.model_copy(update={"knowledge": paths})


def _stored(store: Store, workspace_id: str, name: str) -> Campaign | None:
    try:
        return store.get_campaign(workspace_id, name)
    except NotFound:
        return None


def plan(store: Store, workspace_id: str, spec: CampaignFile, *, base: Path | None = None) -> Plan:
    """What :func:`apply` would do, writing nothing.

    ``base`` is the file's folder: relative knowledge paths are stored read from it (so ``kb
    add`` finds them from anywhere, and an export applies again unchanged from anywhere)."""
    spec = resolved(spec, base)
    current = _stored(store, workspace_id, spec.name)
    new = spec.model_dump(mode="json")
    if current is None:
        return Plan(spec.name, True, diff(None, new))
    changes = diff(current.spec, new)
    if not changes and current != to_campaign(spec, paused=current.paused):
        # the same file, but the campaign was changed some other way (or mapped differently then)
        changes = [Change("~", "(stored campaign)", "changed outside the file", "as the file says")]
    return Plan(spec.name, False, changes)


def apply(
    store: Store, workspace_id: str, spec: CampaignFile, *, dry_run: bool = False, base: Path | None = None
) -> Plan:
    """Create or update the campaign as the file says; nothing is written when nothing changed."""
    p = plan(store, workspace_id, spec, base=base)
    if dry_run or p.empty:
        return p
    current = _stored(store, workspace_id, spec.name)
    spec = resolved(spec, base)
    store.save_campaign(workspace_id, to_campaign(spec, paused=current.paused if current else False))
    return Plan(p.name, p.created, p.changes, applied=True)


def get(store: Store, workspace_id: str, name: str) -> Campaign:
    return store.get_campaign(workspace_id, name)


def export(campaign: Campaign) -> dict[str, Any]:
    """The campaign's file (keys at their defaults left out), or ``InvalidInput`` for a campaign
    that was not applied from one."""
    if campaign.spec is None:
        raise InvalidInput(
            f"campaign {campaign.name!r} was not made from a campaign file (created with `campaigns create` "
            "or in code): `campaigns show` prints what it is"
        )
    spec = CampaignFile.model_validate(campaign.spec)
    out = spec.model_dump(mode="json", exclude_defaults=True)
    out.update({k: out.pop(k) for k in list(out) if k not in ("name", "company", "offer")})  # name first
    return out


def show(campaign: Campaign) -> dict[str, Any]:
    """Everything stored about the campaign (the file it came from under ``spec``)."""
    return campaign.model_dump(mode="json")


def to_yaml(doc: dict[str, Any]) -> str:
    return yaml.safe_dump(doc, sort_keys=False, allow_unicode=True, width=100)


def set_paused(store: Store, workspace_id: str, name: str, paused: bool) -> bool:
    """Pause or resume a campaign; whether that changed anything.

    While paused, the dispatcher postpones every due send of the campaign (no attempt counted)
    and the orchestrator goes on handling events and timers, so decisions are still recorded
    and queued; resuming delivers what waited, in order, and later steps keep their times."""
    current = store.get_campaign(workspace_id, name)
    if current.paused == paused:
        return False
    store.save_campaign(workspace_id, current.model_copy(update={"paused": paused}))
    return True
