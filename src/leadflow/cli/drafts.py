"""``leadflow drafts``: the messages held for review before send (a campaign's autonomy mode).

Mounted by the main CLI as ``drafts``::

    leadflow drafts list [--campaign NAME] [--status held|approved|rejected|all]
    leadflow drafts show 12
    leadflow drafts edit 12 --subject "Pricing for Acme" --body-file reply.txt   # or --editor
    leadflow drafts approve 12 --by maria
    leadflow drafts reject 12 --reason "too generic" --by maria

An approved draft is queued as an ordinary send: the worker delivers it through the outbox, in
the lead's send window, after the suppression check. What each command changes is one commit
with its event in the lead's log (``leadflow trace`` shows it), and a line in the workspace's
audit log (``leadflow audit``). See ``leadflow.drafts``.
"""

from __future__ import annotations

import getpass
import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, NoReturn

import click
import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from leadflow.settings import Settings

if TYPE_CHECKING:
    from leadflow.drafts import Drafts, DraftView

drafts_app = typer.Typer(help="messages held for review: list, show, edit, approve, reject", no_args_is_help=True)
console = Console()

DbOpt = Annotated[str | None, typer.Option("--db", help="store URL (sqlite:///path.db or postgresql://...)")]
WsOpt = Annotated[str | None, typer.Option("--workspace", "-w", help="workspace id")]
ById = Annotated[int, typer.Argument(metavar="ID", help="the draft's id (from drafts list)")]
ByOpt = Annotated[str | None, typer.Option("--by", help="who decides (default: your login name)")]


def _open(db: str | None, workspace: str | None) -> tuple[Drafts, str]:
    from leadflow.drafts import Drafts
    from leadflow.orchestrator.clock import SystemClock
    from leadflow.state import open_store

    s = Settings.from_env()
    s = s.model_copy(update={k: v for k, v in (("db_url", db), ("workspace", workspace)) if v})
    return Drafts(store=open_store(s.db_url), clock=SystemClock()), s.workspace


def _who(by: str | None) -> str:
    if by:
        return by
    try:
        return getpass.getuser()
    except Exception:  # no login name (a container): say it came from the command line
        return "cli"


def _audited(service: Drafts, workspace: str, action: str, draft_id: int, by: str) -> None:
    """The decision in the workspace's audit log, as ``cli:<user>`` (``leadflow audit``)."""
    from leadflow.auth import audit, cli_actor

    audit(service.store, actor=cli_actor(), action=action, workspace=workspace, target=("draft", str(draft_id)),
          detail=f"by {by}"[:200])  # fmt: skip


def _fail(exc: Exception) -> NoReturn:
    from leadflow.exceptions import InvalidInput

    console.print(f"[red]{escape(str(exc))}[/red]", highlight=False)
    raise typer.Exit(2 if isinstance(exc, InvalidInput) else 1) from None


def _print(d: DraftView) -> None:
    console.print(f"[bold]draft {d.id}[/bold] ({d.status}) lead {d.lead_id} campaign {d.campaign}", highlight=False)
    lines = [
        ("channel", d.channel),
        ("from", d.sender or "-"),
        ("to", d.to or "-"),
        ("subject", d.subject or "-"),
        ("written by", d.written_by + (f" (agent {d.agent})" if not d.written_by.startswith("person:") else "")),
        ("held because", d.held_because or "-"),
    ]
    if d.decided_by:
        lines.append(("decided by", d.decided_by))
    if d.rejected_because:
        lines.append(("rejected because", d.rejected_because))
    if d.delivery:
        lines.append(("delivery", d.delivery))
    for key, value in lines:
        console.print(f"{key + ':':<17} {escape(value)}", highlight=False)
    console.print()
    console.print(escape(d.body), highlight=False, soft_wrap=True)


@drafts_app.command("list")
def list_(
    campaign: Annotated[str | None, typer.Option("--campaign", help="only this campaign's drafts")] = None,
    status: Annotated[str | None, typer.Option("--status", help="held (default), approved, rejected or all")] = None,
    as_json: Annotated[bool, typer.Option("--json")] = False,
    db: DbOpt = None,
    workspace: WsOpt = None,
) -> None:
    """The drafts waiting for a person (or those approved or rejected), oldest first."""
    from leadflow.exceptions import LeadflowError

    service, ws = _open(db, workspace)
    try:
        found = service.list(ws, campaign=campaign, status=status)
    except LeadflowError as exc:
        _fail(exc)
    if as_json:
        print(json.dumps([d.model_dump(mode="json") for d in found], indent=2))
        return
    table = Table(title=f"Drafts ({status or 'held'})")
    for col in ("id", "status", "campaign", "lead", "channel", "to", "subject", "written by", "why"):
        table.add_column(col)
    for d in found:
        table.add_row(str(d.id), d.status, d.campaign, d.lead_id[:12], d.channel, d.to or "-",
                      escape((d.subject or "")[:40]), d.written_by, escape((d.held_because or "")[:50]))  # fmt: skip
    console.print(table)
    if not found:
        console.print("no drafts")


@drafts_app.command()
def show(draft_id: ById, as_json: Annotated[bool, typer.Option("--json")] = False, db: DbOpt = None,
         workspace: WsOpt = None) -> None:  # fmt: skip
    """One draft in full: sender, recipient, subject, the whole text, who wrote it and why it was held."""
    from leadflow.exceptions import LeadflowError

    service, ws = _open(db, workspace)
    try:
        d = service.get(ws, draft_id)
    except LeadflowError as exc:
        _fail(exc)
    if as_json:
        print(d.model_dump_json(indent=2))
    else:
        _print(d)


@drafts_app.command()
def edit(
    draft_id: ById,
    subject: Annotated[str | None, typer.Option("--subject", help="the new subject")] = None,
    body: Annotated[str | None, typer.Option("--body", help="the new text")] = None,
    body_file: Annotated[Path | None, typer.Option("--body-file", help="read the new text from this file")] = None,
    editor: Annotated[bool, typer.Option("--editor", help="edit the text in $EDITOR")] = False,
    by: ByOpt = None,
    db: DbOpt = None,
    workspace: WsOpt = None,
) -> None:
    """Change a held draft's subject or text; it stays held until approved, and you are its writer."""
    from leadflow.exceptions import InvalidInput, LeadflowError

    service, ws = _open(db, workspace)
    try:
        if (body is not None) + (body_file is not None) + editor > 1:
            raise InvalidInput("give one of --body, --body-file and --editor")
        if body_file is not None:
            body = body_file.read_text(encoding="utf-8")
        elif editor:
            current = service.get(ws, draft_id)
            body = click.edit(current.body)
            if body is None or body == current.body:
                console.print("unchanged")
                if subject is None:
                    return
                body = None
        d = service.edit(ws, draft_id, by=_who(by), subject=subject, body=body)
        _audited(service, ws, "draft.edit", draft_id, d.edited_by or "")
    except (LeadflowError, OSError) as exc:
        _fail(exc)
    console.print(f"draft {d.id} edited by {escape(d.edited_by or '')}; still held until approved", highlight=False)


@drafts_app.command()
def approve(draft_id: ById, by: ByOpt = None, db: DbOpt = None, workspace: WsOpt = None) -> None:
    """Approve a held draft: it is queued and sent in the lead's window (suppression still checked)."""
    from leadflow.exceptions import LeadflowError

    service, ws = _open(db, workspace)
    try:
        d = service.approve(ws, draft_id, by=_who(by))
        _audited(service, ws, "draft.approve", draft_id, d.decided_by or "")
    except LeadflowError as exc:
        _fail(exc)
    console.print(f"draft {d.id} approved by {escape(d.decided_by or '')}: queued to send", highlight=False)


@drafts_app.command()
def reject(
    draft_id: ById,
    reason: Annotated[str, typer.Option("--reason", help="why: the agent reads it when it writes again")],
    by: ByOpt = None,
    db: DbOpt = None,
    workspace: WsOpt = None,
) -> None:
    """Reject a held draft: it is never sent; the agent writes again, or the lead goes to a human."""
    from leadflow.exceptions import LeadflowError

    service, ws = _open(db, workspace)
    try:
        d = service.reject(ws, draft_id, reason=reason, by=_who(by))
        _audited(service, ws, "draft.reject", draft_id, d.decided_by or "")
    except LeadflowError as exc:
        _fail(exc)
    console.print(f"draft {d.id} rejected by {escape(d.decided_by or '')}: {escape(reason)}", highlight=False)
