"""``leadflow eval``: measure reply understanding on the public evaluation data in ``../shared/eval``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

console = Console()


def find_eval_root(start: Path | None = None) -> Path | None:
    """``shared/eval`` beside the repository (or any parent of the working directory)."""
    here = (start or Path.cwd()).resolve()
    for folder in [here, *here.parents]:
        for candidate in (folder / "shared" / "eval", folder / ".." / "shared" / "eval"):
            if (candidate / "README.md").exists():
                return candidate.resolve()
    return None


def evaluate(
    root: Annotated[Path | None, typer.Option("--data", help="the eval folder (default: ../shared/eval)")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="print JSON instead of tables")] = False,
) -> None:
    """Score reply trimming, bounce detection and date/time resolution against the public sets."""
    from leadflow.reply.evaluation import eval_bounces, eval_trimming
    from leadflow.reply.time_eval import eval_datetime

    data = root or find_eval_root()
    if data is None or not data.exists():
        console.print("[red]no evaluation data found: pass --data PATH (the shared/eval folder)[/red]")
        raise typer.Exit(2)
    trimming = eval_trimming(data)
    bounces = eval_bounces(data)
    dates = eval_datetime(data)
    if as_json:
        print(json.dumps({"trimming": trimming, "bounces": bounces, "datetime": dates}, indent=2))
        return
    t = Table(title="Reply trimming (new text without quotes, signatures, forwards)")
    for col in ("set", "items", "exact match", "mean similarity"):
        t.add_column(col)
    for name, row in trimming.items():
        t.add_row(name, str(row.get("items")), f"{float(row.get('exact_match_rate', 0)):.3f}",
                  f"{float(row.get('mean_similarity', 0)):.3f}")
    console.print(t)
    b = Table(title="Bounces (flufl)")
    for col in bounces:
        b.add_column(col)
    b.add_row(*[f"{v:.3f}" if isinstance(v, float) else str(v) for v in bounces.values()])
    console.print(b)
    d = Table(title="Date/time resolution (Recognizers), share of sentences resolved exactly")
    cols = sorted({k for row in dates.values() for k in row})
    d.add_column("type")
    for col in cols:
        d.add_column(col)
    for name, row in dates.items():
        d.add_row(name, *[f"{row[c]:.3f}" if isinstance(row.get(c), float) else str(row.get(c, "")) for c in cols])
    console.print(d)
