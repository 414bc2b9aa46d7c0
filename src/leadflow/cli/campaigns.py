"""``leadflow campaigns``: apply a campaign file (with a plan), show, export, list, pause, resume.

Thin over :mod:`leadflow.campaigns`, which the API calls too.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from leadflow.settings import Settings

if TYPE_CHECKING:
    from leadflow.state.base import Store

app = typer.Typer(help="campaigns: the campaign files you own, applied, shown, paused", no_args_is_help=True)
console = Console()
err = Console(stderr=True)

DbOpt = Annotated[str | None, typer.Option("--db", help="store URL (sqlite:///path.db or postgresql://...)")]
WsOpt = Annotated[str | None, typer.Option("--workspace", "-w", help="workspace id")]


def _settings(db: str | None, workspace: str | None) -> Settings:
    s = Settings.from_env()
    update: dict[str, str] = {}
    if db:
        update["db_url"] = db
    if workspace:
        update["workspace"] = workspace
    return s.model_copy(update=update)


def _store(s: Settings) -> Store:
    from leadflow.state import open_store

    s.ensure_dirs()
    return open_store(s.db_url)


def _echo(text: str) -> None:
    console.print(escape(text), soft_wrap=True, highlight=False)


@app.command("apply")
def campaigns_apply(
    file: Annotated[Path, typer.Argument(help="the campaign file (YAML or JSON)", exists=True, dir_okay=False)],
    dry_run: Annotated[bool, typer.Option("--dry-run", help="print the plan, change nothing")] = False,
    db: DbOpt = None,
    workspace: WsOpt = None,
) -> None:
    """Create or update a campaign from its file: prints what changes, key by key."""
    from leadflow import campaigns

    try:
        spec = campaigns.load_text(file.read_text(encoding="utf-8"), origin=str(file))
    except campaigns.CampaignFileError as exc:
        err.print(escape(str(exc)), soft_wrap=True, highlight=False)
        raise typer.Exit(1) from None
    s = _settings(db, workspace)
    store = _store(s)
    try:
        result = campaigns.apply(store, s.workspace, spec, dry_run=dry_run, base=file.resolve().parent)
    finally:
        store.close()
    _echo(result.text())
    if dry_run and not result.empty:
        _echo("(dry run: nothing written)")
    elif result.applied:
        _echo(f"applied to workspace {s.workspace!r}")


@app.command("show")
def campaigns_show(name: str, db: DbOpt = None, workspace: WsOpt = None) -> None:
    """Everything stored about a campaign, as YAML (its file under ``spec``)."""
    from leadflow import campaigns

    s = _settings(db, workspace)
    store = _store(s)
    try:
        campaign = store.get_campaign(s.workspace, name)
    finally:
        store.close()
    _echo(campaigns.to_yaml(campaigns.show(campaign)))


@app.command("export")
def campaigns_export(name: str, db: DbOpt = None, workspace: WsOpt = None) -> None:
    """The campaign's file, re-appliable with no changes (comments are not kept)."""
    from leadflow import campaigns

    s = _settings(db, workspace)
    store = _store(s)
    try:
        campaign = store.get_campaign(s.workspace, name)
    finally:
        store.close()
    typer.echo(campaigns.to_yaml(campaigns.export(campaign)), nl=False)


@app.command("schema")
def campaigns_schema() -> None:
    """The campaign file's JSON Schema (generated from the model that validates it)."""
    from leadflow.campaigns import json_schema

    typer.echo(json.dumps(json_schema(), indent=2))


def _pause(name: str, paused: bool, db: str | None, workspace: str | None) -> None:
    from leadflow.campaigns import set_paused

    s = _settings(db, workspace)
    store = _store(s)
    try:
        changed = set_paused(store, s.workspace, name, paused)
    finally:
        store.close()
    word = "paused" if paused else "resumed"
    if changed:
        _echo(f"campaign {name!r} {word}" + (": nothing is sent until `campaigns resume`" if paused else
                                            ": what waited is sent in its window"))
    else:
        _echo(f"campaign {name!r} was already {'paused' if paused else 'running'}")


@app.command("pause")
def campaigns_pause(name: str, db: DbOpt = None, workspace: WsOpt = None) -> None:
    """Stop sending for a campaign; replies, decisions and timers go on and wait for resume."""
    _pause(name, True, db, workspace)


@app.command("resume")
def campaigns_resume(name: str, db: DbOpt = None, workspace: WsOpt = None) -> None:
    """Send again: what was held while paused goes out, in order, in each lead's window."""
    _pause(name, False, db, workspace)


@app.command("create")
def campaigns_create(
    name: str,
    industry_pack: Annotated[str, typer.Option(help="qualification pack (agents/packs/*.yaml)")] = "b2b_saas",
    channel: Annotated[list[str] | None, typer.Option(help="channel to use (repeat): email, sms, linkedin")] = None,
    offer: Annotated[str | None, typer.Option(help="what the first touch offers")] = None,
    rep_name: Annotated[str | None, typer.Option(help="the rep's name in messages")] = None,
    company_name: Annotated[str | None, typer.Option(help="your company's name in messages")] = None,
    db: DbOpt = None,
    workspace: WsOpt = None,
) -> None:
    """Create a bare campaign (an existing name is an error); a campaign file says much more."""
    from pydantic import ValidationError

    from leadflow.agents.qualification import load_pack
    from leadflow.domain.models import Campaign
    from leadflow.exceptions import ConfigError, NotFound

    try:
        load_pack(industry_pack)
    except ConfigError as exc:
        console.print(f"[red]{exc}[/red]")
        raise typer.Exit(1) from None
    values: dict[str, object] = {"name": name, "industry_pack": industry_pack, "channels": channel or ["email"]}
    for key, value in (("offer", offer), ("rep_name", rep_name), ("company_name", company_name)):
        if value is not None:
            values[key] = value
    try:
        campaign = Campaign.model_validate(values)
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors())
        console.print(f"[red]invalid campaign: {problems}[/red]")
        raise typer.Exit(1) from None
    s = _settings(db, workspace)
    store = _store(s)
    try:
        try:
            store.get_campaign(s.workspace, name)
        except NotFound:
            store.save_campaign(s.workspace, campaign)
        else:
            console.print(f"[red]campaign {name!r} already exists in workspace {s.workspace!r}[/red]")
            raise typer.Exit(1)
    finally:
        store.close()
    console.print(f"created campaign {name!r} (pack {industry_pack}, channels "
                  f"{', '.join(c.value for c in campaign.channels)}) in workspace {s.workspace!r}")
    if "email" in {c.value for c in campaign.channels}:
        err.print("note: it has no sender mailbox, so its e-mail would name a placeholder sender and postal "
                  "address; give it senders with a campaign file (`leadflow campaigns apply FILE`, see "
                  "examples/campaign.yaml)", soft_wrap=True, highlight=False)


@app.command("list")
def campaigns_list(db: DbOpt = None, workspace: WsOpt = None) -> None:
    """The workspace's campaigns."""
    s = _settings(db, workspace)
    store = _store(s)
    try:
        campaigns = store.list_campaigns(s.workspace)
    finally:
        store.close()
    table = Table(title=f"Campaigns in {s.workspace!r}: {len(campaigns)}")
    for col in ("name", "industry pack", "channels", "offer", "autonomy", "status"):
        table.add_column(col)
    for c in campaigns:
        pack = "own questions" if c.pack is not None else c.industry_pack
        table.add_row(c.name, pack, ", ".join(ch.value for ch in c.channels), c.offer, c.autonomy,
                      "paused" if c.paused else "running")
    console.print(table)
