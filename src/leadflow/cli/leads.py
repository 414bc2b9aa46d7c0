"""``leadflow leads``: the workspace's leads, listed or exported as CSV.

Mounted by the main CLI as ``leads``::

    leadflow leads list --campaign spring
    leadflow leads export --campaign spring --out leads.csv

The export has one row per lead: where it is (campaign, stage, score, tier, owner), its contact
fields, its place and time zone (and where the zone came from), and its source and source id.
Its contact columns use the names ``leadflow import`` reads, so an exported file imports again
(into the same workspace: every lead is already known; elsewhere: the same people).
"""

from __future__ import annotations

import csv
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import Annotated, Any, TextIO

import typer
from rich.console import Console
from rich.table import Table

from leadflow.domain.models import LeadState
from leadflow.settings import Settings

leads_app = typer.Typer(help="the workspace's leads: list them, export them as CSV", no_args_is_help=True)
console = Console()

DbOpt = Annotated[str | None, typer.Option("--db", help="store URL (sqlite:///path.db or postgresql://...)")]
WsOpt = Annotated[str | None, typer.Option("--workspace", "-w", help="workspace id")]
CampaignOpt = Annotated[str | None, typer.Option("--campaign", "-c", help="only this campaign's leads")]

#: The export's columns, in order.
COLUMNS = (
    "leadflow_id", "campaign", "stage", "score", "score_value", "tier", "owner",
    "first_name", "last_name", "email", "phone", "title", "company", "company_domain", "industry",
    "city", "region", "country", "timezone", "timezone_source", "source", "source_lead_id",
    "created_at", "updated_at",
)
_ALL = 10_000_000  # list_leads' limit: every lead


def row(state: LeadState) -> dict[str, str]:
    """One lead as the export's row (empty strings for what it does not have)."""
    lead, attrs = state.lead, state.lead.attributes
    values: dict[str, Any] = {
        "leadflow_id": state.lead_id,
        "campaign": state.campaign,
        "stage": state.stage.value,
        "score": state.score.value if state.score is not None else "",
        "score_value": f"{state.score_value:g}",
        "tier": state.tier,
        "owner": state.assigned_to or attrs.get("owner"),
        "first_name": lead.first_name,
        "last_name": lead.last_name,
        "email": lead.email,
        "phone": lead.phone,
        "title": lead.title,
        "company": lead.company,
        "company_domain": lead.company_domain,
        "industry": lead.industry,
        "city": attrs.get("city"),
        "region": attrs.get("region"),
        "country": attrs.get("country"),
        "timezone": lead.timezone,
        "timezone_source": attrs.get("timezone_source"),
        "source": lead.source,
        "source_lead_id": lead.source_lead_id,
        "created_at": state.created_at.isoformat(),
        "updated_at": state.updated_at.isoformat(),
    }
    return {k: "" if v is None else str(v) for k, v in values.items()}


def write_csv(states: Iterable[LeadState], out: TextIO) -> int:
    """Write the export to ``out`` (a text file opened with ``newline=""``); the rows written."""
    writer = csv.DictWriter(out, fieldnames=COLUMNS, lineterminator="\r\n")
    writer.writeheader()
    n = 0
    for state in states:
        writer.writerow(row(state))
        n += 1
    return n


def _settings(db: str | None, workspace: str | None) -> Settings:
    s = Settings.from_env()
    update = {k: v for k, v in (("db_url", db), ("workspace", workspace)) if v}
    return s.model_copy(update=update)


def _leads(s: Settings, campaign: str | None) -> list[LeadState]:
    from leadflow.exceptions import NotFound
    from leadflow.state import open_store

    store = open_store(s.db_url)
    try:
        if campaign is not None:
            try:
                store.get_campaign(s.workspace, campaign)
            except NotFound:
                console.print(f"[red]no campaign {campaign!r} in workspace {s.workspace!r}[/red]")
                raise typer.Exit(1) from None
        states = store.list_leads(s.workspace, limit=_ALL)
    finally:
        store.close()
    return [st for st in states if campaign is None or st.campaign == campaign]


@leads_app.command("export")
def export(
    campaign: CampaignOpt = None,
    out: Annotated[Path | None, typer.Option("--out", "-o", help="CSV file to write (default: standard output)")] = None,
    db: DbOpt = None,
    workspace: WsOpt = None,
) -> None:
    """Export leads as CSV: campaign, stage, score, owner, contact fields, place and zone, source ids."""
    s = _settings(db, workspace)
    states = _leads(s, campaign)
    if out is None:
        write_csv(states, sys.stdout)
        return
    with out.open("w", encoding="utf-8", newline="") as f:
        n = write_csv(states, f)
    console.print(f"wrote {n} lead{'s' if n != 1 else ''} to {out}", markup=False, highlight=False)


@leads_app.command("list")
def list_(
    campaign: CampaignOpt = None,
    limit: Annotated[int, typer.Option(help="at most this many")] = 100,
    db: DbOpt = None,
    workspace: WsOpt = None,
) -> None:
    """List leads: name, company, campaign, stage, score and time zone."""
    s = _settings(db, workspace)
    states = _leads(s, campaign)
    table = Table(title=f"{len(states)} lead{'s' if len(states) != 1 else ''}")
    for column in ("id", "name", "company", "campaign", "stage", "score", "time zone"):
        table.add_column(column)
    for st in states[:limit]:
        table.add_row(
            st.lead_id[:12], f"{st.lead.first_name} {st.lead.last_name}".strip(), st.lead.company or "",
            st.campaign, st.stage.value, st.score.value if st.score is not None else "",
            st.lead.timezone or f"unknown ({st.lead.attributes.get('timezone_source', 'not derived')})",
        )
    console.print(table)
