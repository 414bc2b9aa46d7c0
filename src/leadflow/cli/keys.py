"""``leadflow keys``: create, list and revoke a workspace's API keys (every change is audited).

Mounted by the main CLI as ``keys``::

    leadflow keys create --workspace default --role admin --name laptop
    leadflow keys list --workspace default
    leadflow keys revoke 3f9c0a1b2c3d4e5f

A key is printed once, at creation; only its argon2 hash is stored. Roles: ``admin``
(everything), ``member`` (read and write leads, replies, outcomes), ``viewer`` (read only),
``ingest`` (only ``POST /v1/leads`` and ``POST /v1/replies``).
"""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from leadflow.auth import KeyRing, Role, cli_actor, keyring_for
from leadflow.settings import Settings
from leadflow.state import Store, open_store

keys_app = typer.Typer(help="API keys: one workspace and one role each.", no_args_is_help=True)
console = Console()

DbOpt = Annotated[str | None, typer.Option("--db", help="store URL (sqlite:///path.db or postgresql://...)")]
WorkspaceOpt = Annotated[str, typer.Option("--workspace", "-w", help="the workspace the key opens")]


def open_configured(db: str | None) -> Store:
    """The store of ``--db``, else of ``LEADFLOW_DB_URL`` (the default SQLite file)."""
    settings = Settings.from_env()
    if db:
        settings = settings.model_copy(update={"db_url": db})
    settings.ensure_dirs()
    return open_store(settings.db_url)


@keys_app.callback()
def _group() -> None:
    """API keys: one workspace and one role each."""


@keys_app.command("create")
def create(
    workspace: WorkspaceOpt,
    role: Annotated[str, typer.Option(help="admin, member, viewer or ingest")],
    name: Annotated[str, typer.Option(help="what the key is for (a label for `keys list`)")] = "",
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="print only the key")] = False,
    db: DbOpt = None,
) -> None:
    """Create an API key and print it once (it cannot be shown again)."""
    store = open_configured(db)
    try:
        record, key = KeyRing(store).create(workspace, Role.parse(role), name=name, actor=cli_actor())
    finally:
        store.close()
    if quiet:
        print(key)
        return
    console.print(f"created API key [bold]{record.key_id}[/bold] ({record.role.value}, workspace "
                  f"{record.workspace_id!r}). It is shown only now; keep it secret:")
    print(key)
    console.print(f'use it as: curl -H "Authorization: Bearer {key}" http://127.0.0.1:8000/v1/agents',
                  soft_wrap=True, highlight=False)


@keys_app.command("list")
def list_(workspace: WorkspaceOpt, db: DbOpt = None) -> None:
    """The workspace's keys, revoked ones included."""
    store = open_configured(db)
    try:
        keys = keyring_for(store).list(workspace)
    finally:
        store.close()
    table = Table(title=f"API keys of {workspace!r}: {len(keys)}")
    for col in ("id", "name", "role", "created", "last used", "revoked"):
        table.add_column(col)
    for k in keys:
        table.add_row(k.key_id, k.name, k.role.value, f"{k.created_at:%Y-%m-%d %H:%M}",
                      f"{k.last_used_at:%Y-%m-%d %H:%M}" if k.last_used_at else "-",
                      f"{k.revoked_at:%Y-%m-%d %H:%M}" if k.revoked_at else "")
    console.print(table)


@keys_app.command("revoke")
def revoke(key_id: Annotated[str, typer.Argument(help="the key's id (the part after lf_)")], db: DbOpt = None) -> None:
    """Revoke a key: refused from now on (a running server notices within 10 seconds)."""
    store = open_configured(db)
    try:
        record = keyring_for(store).revoke(key_id.strip(), actor=cli_actor())
    finally:
        store.close()
    console.print(f"revoked API key {record.key_id} ({record.role.value}, workspace {record.workspace_id!r})")
