"""``leadflow simulate FILE``: a dry run of the user's own campaign file, offline, before anything is sent.

Prints the funnel, a few full drafts of each agent and what the campaign's autonomy mode would
hold for review. Nothing leaves the machine (see :mod:`leadflow.sim.own_campaign`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.panel import Panel
from rich.table import Table

console = Console()
SHOW_HELD = 10


def simulate(
    file: Annotated[Path, typer.Argument(help="the campaign file (YAML), as `campaigns apply` takes it")],
    leads: Annotated[Path | None, typer.Option("--leads", help="your own leads (a CSV export) instead of "
                                               "synthetic prospects; their replies are simulated")] = None,
    n: Annotated[int, typer.Option("--count", "-n", help="how many synthetic prospects (without --leads)")] = 25,
    days: Annotated[int, typer.Option("--days", help="how many simulated days the campaign runs")] = 30,
    seed: Annotated[int, typer.Option("--seed", help="the same seed gives the same run")] = 7,
) -> None:
    """Dry-run a campaign file on simulated prospects (or your own leads) and print what would happen.

    Uses the campaign's ICP, copy, sequence, senders and local knowledge documents; a temporary
    database and the simulated world only: no message, page fetch or model call leaves the machine.
    """
    from leadflow.exceptions import InvalidInput
    from leadflow.sim.own_campaign import load_campaign_file, simulate_campaign

    try:
        campaign, knowledge = load_campaign_file(file)
        report = simulate_campaign(campaign, leads=n, csv=leads, days=days, seed=seed, knowledge=knowledge,
                                   knowledge_base=file.resolve().parent)
    except InvalidInput as exc:
        console.print(f"[red]cannot simulate {escape(str(file))}:[/red] {escape(str(exc))}", soft_wrap=True)
        raise typer.Exit(1) from None
    for note in report.notes:
        console.print(f"[yellow]note:[/yellow] {escape(note)}", soft_wrap=True)
    table = Table(title=f"Funnel of campaign {report.campaign!r}: {report.leads} leads ({report.source}), "
                        f"{(report.ended - report.started).days} simulated days, seed {seed}")
    table.add_column("step")
    table.add_column("leads", justify="right")
    for step, count in report.funnel:
        table.add_row(step, str(count))
    console.print(table)
    console.print(f"Knowledge: {report.documents} document(s) of the campaign in its knowledge base")
    if report.tiers:
        console.print("Tiers: " + ", ".join(f"{t} {c}" for t, c in sorted(report.tiers.items())))
    console.print(f"\n[bold]Drafts: a sample of each agent's messages[/bold] ({report.messages} written in all)")
    for agent, drafts in sorted(report.drafts.items()):
        for d in drafts:
            head = f"{agent} -> {d.lead} ({d.channel}, {d.status}" + (f", from {d.sender}" if d.sender else "") + \
                   (f", written by {d.written_by}" if d.written_by else "") + ")"
            body = (f"Subject: {d.subject}\n\n" if d.subject else "") + d.text
            console.print(Panel(escape(body), title=escape(head), title_align="left"))
    if report.autonomy == "autopilot":
        console.print("Review: autopilot, nothing would be held for review (every message goes on its own).")
    else:
        console.print(f"\n[bold]Would be held for review[/bold] (autonomy: {report.autonomy}): "
                      f"{len(report.held)} of {report.messages} messages")
        reasons: dict[str, int] = {}
        for _, why in report.held:
            reasons[why] = reasons.get(why, 0) + 1
        for why, count in reasons.items():
            console.print(f"  {count} held: {escape(why)}")
        for d, _ in report.held[:SHOW_HELD]:
            console.print(f"  - {d.agent} -> {escape(d.lead)}: {escape(d.subject or d.text[:60])}", soft_wrap=True)
        if len(report.held) > SHOW_HELD:
            console.print(f"  ... and {len(report.held) - SHOW_HELD} more")
    console.print("Nothing was sent: a temporary database and the simulated world only.")
