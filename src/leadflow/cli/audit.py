"""``leadflow audit``: read a workspace's audit log (who did what to which object, and how it went)."""

from __future__ import annotations

import json
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from leadflow.auth import auth_store_for
from leadflow.cli.keys import DbOpt, WorkspaceOpt, open_configured

console = Console()


def audit_log(
    workspace: WorkspaceOpt,
    limit: Annotated[int, typer.Option(min=1, max=100_000, help="how many entries, newest first")] = 50,
    as_json: Annotated[bool, typer.Option("--json", help="one JSON object per line")] = False,
    db: DbOpt = None,
) -> None:
    """The workspace's latest audit entries: key operations, changes through the API, refusals."""
    store = open_configured(db)
    try:
        entries = auth_store_for(store).list_audit(workspace, limit=limit)
    finally:
        store.close()
    if as_json:
        for e in entries:
            print(json.dumps({"id": e.id, "at": e.at.isoformat(), "workspace": e.workspace_id, "actor": e.actor,
                              "role": e.role, "action": e.action, "target_kind": e.target_kind,
                              "target_id": e.target_id, "result": e.result, "detail": e.detail}))
        return
    table = Table(title=f"Audit log of {workspace!r}: latest {len(entries)}")
    for col in ("time", "actor", "role", "action", "target", "result", "detail"):
        table.add_column(col)
    for e in entries:
        target = f"{e.target_kind}:{e.target_id}" if e.target_kind else ""
        table.add_row(e.at.isoformat(timespec="seconds"), e.actor, e.role or "", e.action, target, e.result,
                      e.detail or "")
    console.print(table)
