"""``leadflow person``: a person's GDPR requests, export and erasure (both written to the audit log).

Mounted by the main CLI as ``person``::

    leadflow person export jane@acme.com --out jane.json
    leadflow person erase "+1 415 555 0100" --yes

The argument is an e-mail address or a phone number, recognised and normalised as leads are
(``domain.identity``), so any spelling of it finds the same person. What is found, and what an
erasure keeps and removes, is ``state.privacy``; the transcript database (what the transcript
channel delivered) is searched and erased too.
"""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from leadflow.settings import Settings

person_app = typer.Typer(help="a person's data: export it, or erase it (GDPR)", no_args_is_help=True)
console = Console()

Who = Annotated[
    str, typer.Argument(metavar="EMAIL|PHONE", help="the person's e-mail address or phone number")
]
DbOpt = Annotated[str | None, typer.Option("--db", help="store URL (sqlite:///path.db or postgresql://...)")]
WsOpt = Annotated[str | None, typer.Option("--workspace", "-w", help="workspace id")]
CountryOpt = Annotated[
    str | None, typer.Option("--country", help="region a number without a country code is read in (e.g. GB)")
]
TranscriptOpt = Annotated[
    str | None, typer.Option("--transcript", help="the transcript database (default: LEADFLOW_TRANSCRIPT)")
]


def _settings(db: str | None, workspace: str | None, transcript: str | None) -> Settings:
    s = Settings.from_env()
    update = {
        k: v for k, v in (("db_url", db), ("workspace", workspace), ("transcript_path", transcript)) if v
    }
    return s.model_copy(update=update)


def _keys(who: str, country: str | None) -> set[str]:
    from leadflow.exceptions import InvalidInput
    from leadflow.state.privacy import person_keys

    try:
        return person_keys(who, region=country)
    except InvalidInput as exc:
        console.print(f"[red]{exc}[/red]")
        raise typer.Exit(2) from None


def _transcript(path: str) -> Any | None:
    """The transcript channel's database, if there is one (never created here)."""
    from leadflow.integrations.channels import TranscriptChannel

    if path == ":memory:" or not Path(path).is_file():
        return None
    return TranscriptChannel(path)


def _reference(salt: str, keys: set[str]) -> str:
    """How the audit log names the person: a salted hash, never the address itself."""
    from leadflow.state.privacy import hashed_key

    return hashed_key(salt, sorted(keys)[0])


@person_app.command("export")
def export(
    who: Who,
    db: DbOpt = None,
    workspace: WsOpt = None,
    transcript: TranscriptOpt = None,
    country: CountryOpt = None,
    out: Annotated[
        Path | None, typer.Option("--out", "-o", help="write the JSON here instead of stdout")
    ] = None,
) -> None:
    """Print everything held about a person as JSON: leads, messages, events, traces, actions,
    timers, suppressions, bookings, dead letters, rejects mentioning them, deliveries."""
    from leadflow.auth import audit, cli_actor
    from leadflow.state import open_store
    from leadflow.state.privacy import workspace_salt

    s = _settings(db, workspace, transcript)
    keys = _keys(who, country)
    store = open_store(s.db_url)
    try:
        records = store.person_records(s.workspace, keys)
        ids = [lead["lead_id"] for lead in records["leads"]]
        channel = _transcript(s.transcript_path)
        delivered: list[dict[str, str]] = []
        if channel is not None:
            try:
                delivered = channel.deliveries_for(s.workspace, ids)
            finally:
                channel.close()
        messages = [
            {"lead_id": lead["lead_id"], **m} for lead in records["leads"] for m in lead.get("messages", [])
        ]
        document = {
            "workspace": s.workspace,
            "keys": sorted(keys),
            "exported_at": datetime.now(UTC).isoformat(),
            "leads": records["leads"],
            "messages": messages,
            **{k: v for k, v in records.items() if k != "leads"},
            "transcript": delivered,
        }
        audit(
            store,
            actor=cli_actor(),
            action="person.export",
            workspace=s.workspace,
            target=("person", _reference(workspace_salt(store, s.workspace), keys)),
            detail=f"leads={len(ids)} events={len(records['events'])}",
        )
    finally:
        store.close()
    text = json.dumps(document, indent=2, ensure_ascii=False, default=str)
    if out is None:
        print(text)
    else:
        # personal data: readable by its owner only (a new file; an existing one is narrowed too)
        fd = os.open(out, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        os.fchmod(fd, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text + "\n")
        console.print(
            f"wrote {out}: {len(ids)} lead(s), {len(messages)} message(s), {len(document['events'])} event(s)"
        )


@person_app.command("erase")
def erase(
    who: Who,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="do not ask for confirmation")] = False,
    db: DbOpt = None,
    workspace: WsOpt = None,
    transcript: TranscriptOpt = None,
    country: CountryOpt = None,
) -> None:
    """Erase a person's data (leads kept, redacted, do not contact; their address stays suppressed
    as a salted hash) and print what was erased, per table."""
    from leadflow.auth import audit, cli_actor
    from leadflow.state import open_store
    from leadflow.state.privacy import workspace_salt

    s = _settings(db, workspace, transcript)
    keys = _keys(who, country)
    store = open_store(s.db_url)
    try:
        found = store.person_records(s.workspace, keys)
        ids = [lead["lead_id"] for lead in found["leads"]]
        if not yes:
            what = f"{len(ids)} lead(s) ({', '.join(ids) or 'none'}), {len(found['rejects'])} reject(s)"
            if not typer.confirm(
                f"Erase {what} of this person in workspace {s.workspace!r}? This cannot be undone"
            ):
                console.print("nothing erased")
                raise typer.Exit(1)
        salt = workspace_salt(store, s.workspace)
        actor, reference = cli_actor(), _reference(salt, keys)
        try:
            report = store.erase_person(s.workspace, keys, salt=salt)
            counts = dict(report.counts)
            channel = _transcript(s.transcript_path)
            if channel is not None:
                try:
                    counts["transcript"] = channel.erase(s.workspace, report.lead_ids)
                finally:
                    channel.close()
        except Exception:
            audit(store, actor=actor, action="person.erase", workspace=s.workspace, target=("person", reference),
                  result="error")  # fmt: skip
            raise
        audit(
            store,
            actor=actor,
            action="person.erase",
            workspace=s.workspace,
            target=("person", reference),
            detail=" ".join(f"{k}={v}" for k, v in counts.items() if v),
        )
    finally:
        store.close()
    table = Table(title=f"Erased in workspace {s.workspace!r}: {len(report.lead_ids)} lead(s)")
    table.add_column("table")
    table.add_column("rows", justify="right")
    for name, n in counts.items():
        table.add_row(name, str(n))
    console.print(table)
    console.print(
        "the person stays suppressed (as a salted hash); leads are kept, redacted, as do-not-contact"
    )
