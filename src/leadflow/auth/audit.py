"""The audit log's one writer: ``audit(store, actor=..., action=..., workspace=..., target=...)``.

Every state-changing request, every refused one and every key operation is written here (the
API's middleware in ``leadflow.api.audit``, the key commands in ``leadflow.cli.keys``), and any
other code that acts on a person's data calls it too (``person export|erase``). Actors are
named ``key:<key id>`` (with the key's role), ``cli:<os user>``, or ``insecure`` (a server
started with ``--insecure-no-auth``).
"""

from __future__ import annotations

import getpass
from dataclasses import replace
from datetime import UTC, datetime

from leadflow.auth._backends import auth_store_for
from leadflow.auth.base import AuditEntry
from leadflow.state.base import Store


def audit(
    store: Store,
    *,
    actor: str,
    action: str,
    workspace: str,
    target: tuple[str, str] | None = None,
    result: str = "ok",
    role: str | None = None,
    detail: str | None = None,
    at: datetime | None = None,
) -> AuditEntry:
    """Append one entry to ``workspace``'s audit log and return it (with its id).

    Args:
        store: the lead store; the log lives beside it (same database).
        actor: who: ``key:<id>``, ``cli:<user>`` (see ``cli_actor``) or ``insecure``.
        action: what, as ``noun.verb``: ``lead.create``, ``person.erase``, ``key.revoke``.
        workspace: the workspace the object belongs to.
        target: the object as ``(kind, id)``, e.g. ``("lead", "L-1")``.
        result: how it went: ``ok``, ``duplicate``, ``refused``, ``not_found``, ``invalid``, ``error``.
        role: the actor's role, when it has one.
        detail: a short free-text note (never personal data: ids, counts, reasons).
        at: when (now, by default).
    """
    kind, target_id = target if target is not None else (None, None)
    entry = AuditEntry(workspace_id=workspace, at=at or datetime.now(UTC), actor=actor, action=action,
                       result=result, role=role, target_kind=kind, target_id=target_id, detail=detail)
    entry_id = auth_store_for(store).append_audit(entry)
    return replace(entry, id=entry_id)


def cli_actor() -> str:
    """``cli:<os user>``: how the audit log names a person at the command line."""
    try:
        user = getpass.getuser()
    except (KeyError, OSError):
        user = "unknown"
    return f"cli:{user}"
