"""``leadflow webhooks secret``: create, list and revoke the signing secrets of a workspace's webhooks.

Mounted by the main CLI as ``webhooks``::

    leadflow webhooks secret create --workspace default --source replies
    leadflow webhooks secret list --workspace default
    leadflow webhooks secret revoke whk_3f9c0a1b2c3d --workspace default

A source is an endpoint: ``leads`` (``POST /v1/leads``) or ``replies`` (``POST /v1/replies``).
Once a workspace holds an active secret for a source, that endpoint takes only requests signed
with it (``X-Leadflow-Signature``, see ``leadflow.integrations.webhooks.generic``). A secret
is printed once, at creation. To rotate: create a new one, let the sender sign with both,
then revoke the old one.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from leadflow.cli.keys import DbOpt, open_configured
from leadflow.integrations.webhooks import SOURCES, check_source, create_secret, secret_store_for
from leadflow.state import Store

webhooks_app = typer.Typer(help="signed webhooks: per-source signing secrets", no_args_is_help=True)
secret_app = typer.Typer(help="the signing secrets of a workspace's webhook sources", no_args_is_help=True)
webhooks_app.add_typer(secret_app, name="secret")
console = Console()

WorkspaceOpt = Annotated[str, typer.Option("--workspace", "-w", help="the workspace whose webhooks it signs")]



def _audit(store: Store, action: str, workspace: str, secret_id: str, detail: str) -> None:
    """Write the audit entry of a secret change (the audit log is ``leadflow.auth``'s)."""
    from leadflow.auth import audit, cli_actor

    audit(store, actor=cli_actor(), action=action, workspace=workspace, target=("webhook_secret", secret_id),
          detail=detail)


@secret_app.command("create")
def create(
    workspace: WorkspaceOpt,
    source: Annotated[str, typer.Option(help=f"the webhook source: {' or '.join(SOURCES)}")],
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="print only the secret")] = False,
    db: DbOpt = None,
) -> None:
    """Create a signing secret and print it once (it cannot be shown again)."""
    check_source(source)
    if source not in SOURCES:
        console.print(f"[red]unknown source {source!r}: use {' or '.join(SOURCES)}[/red]")
        raise typer.Exit(1)
    store = open_configured(db)
    try:
        secret = create_secret(secret_store_for(store), workspace, source, now=datetime.now(UTC))
        _audit(store, "webhook_secret.create", workspace, secret.secret_id, f"source {source}")
    finally:
        store.close()
    if quiet:
        print(secret.secret)
        return
    console.print(f"created webhook secret [bold]{secret.secret_id}[/bold] for source {source!r} of workspace "
                  f"{workspace!r}; from now on its requests must be signed. It is shown only now:")
    print(secret.secret)
    console.print("sign as: X-Leadflow-Signature: t=<unix seconds>,v1=<hex hmac_sha256(secret, "
                  "\"<t>.<raw body>\")>", soft_wrap=True, highlight=False, markup=False)


@secret_app.command("list")
def list_(
    workspace: WorkspaceOpt,
    source: Annotated[str | None, typer.Option(help="only this source")] = None,
    db: DbOpt = None,
) -> None:
    """The workspace's secrets (ids, never the secrets), revoked ones included."""
    store = open_configured(db)
    try:
        found = secret_store_for(store).list_secrets(workspace, source, include_revoked=True)
    finally:
        store.close()
    table = Table(title=f"Webhook secrets of {workspace!r}: {len(found)}")
    for col in ("id", "source", "format", "created", "revoked"):
        table.add_column(col)
    for s in found:
        table.add_row(s.secret_id, s.source, s.format, s.created_at.isoformat(timespec="seconds"),
                      s.revoked_at.isoformat(timespec="seconds") if s.revoked_at else "")
    console.print(table)


@secret_app.command("revoke")
def revoke(
    secret_id: Annotated[str, typer.Argument(help="the secret's id (from `webhooks secret list`)")],
    workspace: WorkspaceOpt,
    db: DbOpt = None,
) -> None:
    """Revoke a secret: requests signed only with it are refused from now on."""
    store = open_configured(db)
    try:
        done = secret_store_for(store).revoke_secret(workspace, secret_id, datetime.now(UTC))
        if done:
            _audit(store, "webhook_secret.revoke", workspace, secret_id, "revoked")
    finally:
        store.close()
    if not done:
        console.print(f"[red]workspace {workspace!r} has no active webhook secret {secret_id!r}[/red]")
        raise typer.Exit(1)
    console.print(f"revoked webhook secret {secret_id} of workspace {workspace!r}")
