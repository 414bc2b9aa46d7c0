"""The ``leadflow`` command line: demo, worker, intake, traces, replay and the dead-letter queue."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from leadflow.settings import Settings

if TYPE_CHECKING:
    from collections.abc import Iterator
    from datetime import datetime

    from leadflow.domain.events import Event
    from leadflow.state.base import Store

app = typer.Typer(help="leadflow: multi-agent AI sales development, durable and offline-first.", no_args_is_help=True)
console = Console()

DbOpt = Annotated[str | None, typer.Option("--db", help="store URL (sqlite:///path.db or postgresql://...)")]
WsOpt = Annotated[str | None, typer.Option("--workspace", "-w", help="workspace id")]


def _settings(db: str | None = None, workspace: str | None = None) -> Settings:
    s = Settings.from_env()
    update: dict[str, str] = {}
    if db:
        update["db_url"] = db
    if workspace:
        update["workspace"] = workspace
    return s.model_copy(update=update)


@app.command()
def demo(
    leads: Annotated[int, typer.Option(help="how many simulated leads")] = 60,
    seed: Annotated[int, typer.Option(help="simulation seed")] = 7,
    out: Annotated[Path, typer.Option(help="folder for the demo's database and transcript")] = Path("var/demo"),
    keep: Annotated[bool, typer.Option(help="resume the previous demo instead of starting fresh")] = False,
) -> None:
    """Run a sample campaign end to end, offline, with simulated prospects and a simulated seller.

    Prints the funnel (first touch to won deals) and what each agent did, both read from the
    database, so ``--keep`` on a finished or interrupted demo shows the same.
    """
    from leadflow.orchestrator.intake import recorded_outcome
    from leadflow.sim.run import funnel, open_simulation

    out.mkdir(parents=True, exist_ok=True)
    db, transcript = out / "leadflow.db", out / "transcript.db"
    if not keep:
        for p in out.glob("*.db*"):
            p.unlink()
    started = time.perf_counter()
    run = open_simulation(db_url=f"sqlite:///{db}", transcript_path=transcript, seed=seed, leads=leads)
    run.runtime.worker.run_until_idle(simulate=True)
    elapsed = time.perf_counter() - started
    states = run.states()
    table = Table(title=f"Funnel: {len(states)} leads, seed {seed}, {elapsed:.1f}s of wall time")
    table.add_column("step")
    table.add_column("leads", justify="right")
    for name, n in funnel(states):
        table.add_row(name, str(n))
    console.print(table)
    by_industry: dict[str, dict[str, int]] = {}
    for s in states:
        row = by_industry.setdefault(s.lead.industry or "-", {})
        row[s.stage.value] = row.get(s.stage.value, 0) + 1
    t2 = Table(title="Final stage by industry")
    t2.add_column("industry")
    stages = sorted({st for row in by_industry.values() for st in row})
    for st in stages:
        t2.add_column(st, justify="right")
    for ind, row in sorted(by_industry.items()):
        t2.add_row(ind, *[str(row.get(st, 0)) for st in stages])
    console.print(t2)
    console.print(_team_table(run.runtime.store, run.workspace))
    won = [o for o in map(recorded_outcome, states) if o is not None and o.outcome == "won"]
    console.print(f"Deals won: {len(won)}, worth {sum(o.amount or 0 for o in won):,.0f} in total")
    sent = len(run.world.deliveries())
    console.print(f"Messages delivered: {sent} (delivery attempts {run.world.attempt_count()}); "
                  f"simulated time {run.runtime.clock.now():%Y-%m-%d}; database {db}")
    example = next((s for s in states if s.appointment), states[0] if states else None)
    if example:
        console.print(f"See one lead's story: leadflow trace {example.lead_id} --db sqlite:///{db} -w {run.workspace}")
    run.close()
    console.print("To serve the API: create the first key with `leadflow keys create --workspace default "
                  "--role admin`, then `leadflow serve` (send it as Authorization: Bearer <key>)", soft_wrap=True)


def _team_table(store: Store, workspace: str) -> Table:
    """What each agent did, from the traces, events and actions in the store."""
    from leadflow.agents import default_agents
    from leadflow.sim.report import team_work

    rows = team_work(store, workspace, agents=[a.card.name for a in default_agents()])
    table = Table(title="The team: what each agent did")
    table.add_column("agent")
    table.add_column("steps", justify="right")
    table.add_column("fallbacks", justify="right")
    table.add_column("what it did")
    for row in rows:
        table.add_row(row.agent, str(row.steps), str(row.fallbacks) + (f" ({row.errors} errors)" if row.errors else ""),
                      row.work)
    return table


@app.command()
def trace(
    lead_id: str,
    db: DbOpt = None,
    workspace: WsOpt = None,
    as_json: Annotated[bool, typer.Option("--json")] = False,
    everything: Annotated[bool, typer.Option("--all", help="also the events other rows already show")] = False,
    full: Annotated[bool, typer.Option("--full", help="each message's whole text (drafts always show it)")] = False,
) -> None:
    """Print a lead's whole story: events, agent steps (model, tokens, latency, fallback), messages and held sends.

    Each message says who wrote it (template, model, or the person who edited it); a draft held
    for review shows its whole text, why it was held and what became of it.
    """
    from leadflow.domain.models import LeadState
    from leadflow.drafts import STATUSES as DRAFT_STATUSES
    from leadflow.drafts import writer_of
    from leadflow.exceptions import NotFound, Unreadable
    from leadflow.state import open_store
    from leadflow.state.poison import why

    s = _settings(db, workspace)
    store = open_store(s.db_url)
    state: LeadState | None = None
    unreadable: str | None = None
    try:
        state = store.get_lead(s.workspace, lead_id)
    except NotFound as exc:
        console.print(f"[red]{exc}[/red]")
        raise typer.Exit(1) from exc
    except Unreadable as exc:  # its document cannot be read: say so, and show the log all the same
        unreadable = str(exc)
    events = store.lead_events(s.workspace, lead_id)
    traces = store.traces_for(s.workspace, lead_id)
    if as_json:
        print(json.dumps({"state": state.model_dump(mode="json") if state is not None else None,
                          "unreadable": unreadable, "events": [e.model_dump(mode="json") for e in events],
                          "traces": [t.model_dump(mode="json") for t in traces],
                          "actions": [{"seq": r.seq, "kind": r.action.kind.value, "status": r.status, "detail": r.detail,
                                       "to": r.action.to, "subject": r.action.subject, "body": r.action.body,
                                       "written_by": writer_of(store, r), "created_at": r.created_at.isoformat()}
                                      for r in store.actions_for(s.workspace, lead_id)]}, indent=2))
        return
    if state is None:
        console.print(f"[bold]{escape(lead_id)}[/bold] [red]{escape(unreadable or '')}[/red]", highlight=False)
    else:
        console.print(f"[bold]{state.lead.full_name}[/bold] <{state.lead.email}> {state.lead.company or ''} "
                      f"industry={state.lead.industry} tz={state.lead.timezone} stage=[bold]{state.stage.value}[/bold] "
                      f"score={state.score.value if state.score else '-'} version={state.version}"
                      + (f" owner={state.assigned_to}" if state.assigned_to else ""))
    table = Table(title="Story")
    for col in ("time", "kind", "what", "detail"):
        table.add_column(col)
    # (sort key, row): the full timestamp orders rows; shown to the minute
    rows: list[tuple[str, tuple[str, str, str, str]]] = []
    shown_elsewhere = {"lead.updated", "agent.completed", "message.sent", "lead.created"}
    for e in events:
        reason = why(e)
        if reason is not None:  # a stored event that cannot be read: one line with the reason
            rows.append((e.at.isoformat(), (_minute(e.at), "event:unreadable", escape(e.type), escape(reason[:200]))))
            continue
        if e.type in shown_elsewhere and not everything:
            continue
        rows.append((e.at.isoformat(), (_minute(e.at), "event", e.type, _brief(e.payload))))
    for t in traces:
        extra = f"{t.latency_ms:.1f}ms model={t.model or 'offline'} tokens={t.tokens}" + (" FALLBACK" if t.fallback_used else "")
        rows.append((t.at.isoformat(), (_minute(t.at), f"agent:{t.agent}", t.decision[:60], extra)))
    actions = store.actions_for(s.workspace, lead_id)
    by_key = {r.action.idempotency_key: r for r in actions}
    in_full: list[tuple[str, str, str]] = []  # (sort key, heading, whole text): printed after the table
    for m in state.messages if state is not None else []:
        sent_by = by_key.get(m.id)
        writer = f"written by {writer_of(store, sent_by)}: " if sent_by is not None else ""
        handover = sent_by.action.payload.get("thread_handover") if sent_by is not None else None
        if isinstance(handover, dict):  # the thread's mailbox could not send it (sequencing's rule)
            writer += f"from {handover.get('to')}, not the thread's {handover.get('from')} ({handover.get('why')}): "
        rows.append((m.at.isoformat(), (_minute(m.at), f"{m.direction.value}:{m.channel.value}", (m.subject or "")[:40],
                     escape(writer + m.body.replace("\n", " ")[:90]))))
        if full:
            head = f"{_minute(m.at)} {m.direction.value} {m.channel.value} to {m.to or '-'}; {writer.rstrip(': ')}"
            in_full.append((m.at.isoformat(), f"{head} subject: {m.subject or '-'}", m.body))
    for r in actions:
        if r.status in DRAFT_STATUSES:  # a draft held for review: who wrote it, why, what became of it
            writer = writer_of(store, r)
            rows.append((r.created_at.isoformat(), (_minute(r.created_at), f"{r.action.kind.value}:draft:{r.status}",
                         escape((r.action.subject or r.action.idempotency_key)[:40]),
                         escape(f"draft {r.seq}, written by {writer}: {r.detail or ''}"))))
            head = (f"draft {r.seq} ({r.status}) {r.action.kind.value} to {r.action.to or '-'}; written by {writer}; "
                    f"{r.detail or ''}; subject: {r.action.subject or '-'}")
            in_full.append((r.created_at.isoformat(), head, r.action.body))
        elif r.status not in ("sent", "pending"):  # what was held back, and why
            rows.append((r.created_at.isoformat(), (_minute(r.created_at), f"{r.action.kind.value}:{r.status}",
                         (r.action.subject or r.action.idempotency_key)[:40], r.detail or "")))
        elif r.status == "pending":
            due = r.action.not_before or r.created_at
            rows.append((due.isoformat(), (_minute(due), f"{r.action.kind.value}:pending", (r.action.subject or "")[:40],
                         f"due {due.isoformat(timespec='minutes')}")))
    for _, row in sorted(rows, key=lambda r: r[0]):
        table.add_row(*row)
    console.print(table)
    for _, head, text in sorted(in_full, key=lambda r: r[0]):  # whole texts, never cut by the table
        console.print(f"\n[bold]{escape(head)}[/bold]", highlight=False, soft_wrap=True)
        console.print(escape(text), highlight=False, soft_wrap=True)


def _minute(at: datetime) -> str:
    return at.isoformat(timespec="minutes")


def _brief(payload: dict[str, object], width: int = 90) -> str:
    """An event's payload as ``key=value`` for its short scalar fields."""
    parts = [f"{k}={v}" for k, v in payload.items() if isinstance(v, str | int | float | bool) and len(str(v)) <= 60]
    return " ".join(parts)[:width]


@app.command()
def replay(db: DbOpt = None, check: Annotated[bool, typer.Option(help="compare only, change nothing")] = False) -> None:
    """Rebuild the current-state tables from the event log and check they equal the live ones."""
    from leadflow.exceptions import Unreadable
    from leadflow.state import open_store
    from leadflow.state.common import held_slot
    from leadflow.state.patch import fold
    from leadflow.state.poison import why

    s = _settings(db)
    store = open_store(s.db_url)
    # an event that cannot be read leaves its lead out of the replay (its state cannot be rebuilt,
    # so it is neither compared nor rewritten): one line each, with the reason
    skipped: dict[str, str] = {}

    def readable(events: Iterator[Event]) -> Iterator[Event]:
        for e in events:
            reason = why(e)
            if reason is None:
                yield e
            else:
                skipped.setdefault(e.lead_id, f"event {e.id} ({e.type}): {reason}")

    rebuilt = {lead_id: st for lead_id, st in fold(readable(store.all_events())).items() if lead_id not in skipped}
    mismatched = []
    for lead_id, state in rebuilt.items():
        try:
            live = store.get_lead(state.workspace_id, lead_id)
        except Unreadable as exc:  # the live document is the broken one: the log can rewrite it
            console.print(f"lead {lead_id}: {exc}", markup=False, highlight=False)
            mismatched.append(lead_id)
            continue
        if live.model_dump(mode="json") != state.model_dump(mode="json"):
            mismatched.append(lead_id)
    for lead_id, reason in skipped.items():
        console.print(f"lead {lead_id} not replayed: {reason}", markup=False, highlight=False)
    console.print(f"replayed {len(rebuilt)} leads from the log: {len(rebuilt) - len(mismatched)} equal, {len(mismatched)} differ"
                  + (f", {len(skipped)} with unreadable events left as they are" if skipped else ""))
    # the one-lead-per-slot guard rows follow from the states: the meetings they hold
    slots = {(st.workspace_id, *slot): st.lead_id for st in rebuilt.values() if (slot := held_slot(st)) is not None}
    bookings = store.bookings()
    wrong = len(set(slots.items()) ^ set(bookings.items()))
    console.print(f"calendar slots held: {len(slots)} in the log, {wrong} bookings differ")
    if not check and mismatched:
        store.replace_states([rebuilt[i] for i in mismatched])
        console.print("state tables rewritten from the log")
    if not check and wrong:
        store.replace_bookings(list(rebuilt.values()))
        console.print("bookings rewritten from the log")
    if (mismatched or wrong) and check:
        raise typer.Exit(1)


dlq_app = typer.Typer(help="the dead-letter queue")
app.add_typer(dlq_app, name="dlq")


@dlq_app.command("list")
def dlq_list(db: DbOpt = None, workspace: WsOpt = None) -> None:
    """Events that failed too often to handle."""
    from leadflow.state import open_store
    from leadflow.state.poison import why

    s = _settings(db, workspace)
    dead = open_store(s.db_url).list_dead(s.workspace if workspace else None)
    table = Table(title=f"Dead letters: {len(dead)}")
    for col in ("id", "workspace", "lead", "event", "attempts", "error"):
        table.add_column(col)
    for d in dead:
        kind = d.event.type + (" (unreadable)" if why(d.event) is not None else "")
        table.add_row(str(d.id), escape(d.workspace_id), escape(d.lead_id), escape(kind), str(d.attempts),
                      escape(d.error[:80]))
    console.print(table)


@dlq_app.command("retry")
def dlq_retry(ids: Annotated[list[int] | None, typer.Argument(help="dead-letter ids (default: all)")] = None,
              db: DbOpt = None) -> None:
    """Put dead letters back in the inbox; the next worker round handles them."""
    from leadflow.state import open_store

    s = _settings(db)
    store = open_store(s.db_url)
    targets = ids or [d.id for d in store.list_dead()]
    for i in targets:
        store.retry_dead(i)
    console.print(f"requeued {len(targets)} dead letter(s)")


@app.command()
def agents() -> None:
    """List the agent cards (A2A style)."""
    from leadflow.agents import default_agents

    for agent in default_agents():
        print(json.dumps(agent.card.to_a2a(), indent=2))


from leadflow.cli.audit import audit_log as _audit_log  # noqa: E402
from leadflow.cli.campaigns import app as campaigns_app  # noqa: E402
from leadflow.cli.drafts import drafts_app  # noqa: E402
from leadflow.cli.evaluate import evaluate as _evaluate  # noqa: E402
from leadflow.cli.kb import kb_app  # noqa: E402
from leadflow.cli.keys import keys_app  # noqa: E402
from leadflow.cli.leads import leads_app  # noqa: E402
from leadflow.cli.person import person_app  # noqa: E402
from leadflow.cli.replies import replies_app  # noqa: E402
from leadflow.cli.simulate import simulate as _simulate  # noqa: E402
from leadflow.cli.webhooks import webhooks_app  # noqa: E402

app.add_typer(replies_app, name="replies")
app.add_typer(campaigns_app, name="campaigns")
app.add_typer(drafts_app, name="drafts")
app.add_typer(keys_app, name="keys")
app.add_typer(kb_app, name="kb")
app.add_typer(leads_app, name="leads")
app.add_typer(person_app, name="person")
app.add_typer(webhooks_app, name="webhooks")
app.command("audit")(_audit_log)
app.command("eval")(_evaluate)
app.command("simulate")(_simulate)


# -- intake, serving and campaigns ------------------------------------------------------


@app.command("import")
def import_(
    path: Annotated[Path, typer.Argument(help="CSV file with a header row (first_name, email, ...)")],
    campaign: Annotated[str, typer.Option("--campaign", "-c", help="campaign the leads join")],
    db: DbOpt = None,
    workspace: WsOpt = None,
    create_campaign: Annotated[bool, typer.Option(help="create the campaign with defaults if it is missing")] = False,
    map_: Annotated[list[str] | None, typer.Option(
        "--map", help="COLUMN=field for a column the format does not know (repeatable), e.g. 'Cell=phone'")] = None,
    map_file: Annotated[Path | None, typer.Option(help="YAML file of 'Column: field' lines")] = None,
    format_: Annotated[str | None, typer.Option(
        "--format", help="apollo, hubspot, salesforce, salesnav or csv (default: recognised by the header)")] = None,
    move: Annotated[bool, typer.Option(
        help="move leads already in another campaign into this one (a lead.moved event in their trace)")] = False,
) -> None:
    """Import leads from a CSV export (Apollo, HubSpot, Salesforce, Sales Navigator or any CSV);
    bad rows are reported by line and kept as rejects."""
    from leadflow.domain.models import Campaign
    from leadflow.exceptions import InvalidInput, NotFound
    from leadflow.orchestrator.clock import SystemClock
    from leadflow.orchestrator.csv_formats import by_name, read_map
    from leadflow.orchestrator.csv_import import import_csv
    from leadflow.orchestrator.intake import Intake
    from leadflow.state import open_store

    try:
        mapping = read_map(map_ or (), map_file)
        fmt = by_name(format_) if format_ else None
    except InvalidInput as exc:
        console.print(f"[red]{exc}[/red]")
        raise typer.Exit(2) from None
    s = _settings(db, workspace)
    s.ensure_dirs()
    store = open_store(s.db_url)
    try:
        try:
            store.get_campaign(s.workspace, campaign)
        except NotFound:
            if not create_campaign:
                console.print(f"[red]no campaign {campaign!r} in workspace {s.workspace!r}[/red]; create it with "
                              f"`leadflow campaigns create {campaign}` or pass --create-campaign")
                raise typer.Exit(1) from None
            store.save_campaign(s.workspace, Campaign(name=campaign))
            console.print(f"created campaign {campaign!r} with default settings")
        try:
            report = import_csv(Intake(store=store, clock=SystemClock()), store, s.workspace, campaign, path,
                                reject_limits=s.reject_limits(), mapping=mapping, fmt=fmt, move=move)
        except InvalidInput as exc:
            console.print(f"[red]cannot import {path}: {exc}[/red]")
            raise typer.Exit(1) from None
    finally:
        store.close()
    for note in report.notes:
        console.print(f"[yellow]note:[/yellow] {note}")
    console.print(f"{path}: {report.summary()} (campaign {campaign!r}, workspace {s.workspace!r})",
                  markup=False, highlight=False)
    if report.rejected:
        table = Table(title="Rejected rows (kept verbatim: see the store's rejects)")
        table.add_column("line", justify="right")
        table.add_column("problem")
        for r in report.rejected:
            table.add_row(str(r.line), r.message)
        console.print(table)


@app.command()
def outcome(
    lead_id: Annotated[str, typer.Argument(help="the lead whose deal ended")],
    result: Annotated[str, typer.Argument(metavar="won|lost", help="how the deal ended")],
    amount: Annotated[float | None, typer.Option(help="deal value (won deals)")] = None,
    reason: Annotated[str | None, typer.Option(help="why, in your words")] = None,
    outcome_id: Annotated[str | None, typer.Option("--id", help="idempotency key, e.g. the CRM deal id")] = None,
    db: DbOpt = None,
    workspace: WsOpt = None,
) -> None:
    """Mark a deal won or lost; a won deal starts post-sale onboarding on the worker's next round."""
    from leadflow.exceptions import Conflict, InvalidInput, NotFound
    from leadflow.orchestrator.clock import SystemClock
    from leadflow.orchestrator.intake import Intake
    from leadflow.state import open_store

    s = _settings(db, workspace)
    store = open_store(s.db_url)
    try:
        recorded, fresh = Intake(store=store, clock=SystemClock()).record_outcome(
            s.workspace, lead_id, outcome=result.strip().lower(), outcome_id=outcome_id, amount=amount,
            reason=reason, source="cli")
    except (InvalidInput, NotFound, Conflict) as exc:
        console.print(f"[red]{exc}[/red]")
        raise typer.Exit(1) from None
    finally:
        store.close()
    what = "recorded" if fresh else "already recorded"
    money = f" ({recorded.amount:,.2f})" if recorded.amount is not None else ""
    console.print(f"{lead_id}: {recorded.outcome}{money} {what} (outcome id {recorded.outcome_id!r}, "
                  f"workspace {s.workspace!r})")


@app.command()
def work(db: DbOpt = None, workspace: WsOpt = None,
         poll: Annotated[float, typer.Option(help="seconds to sleep when idle")] = 0.5) -> None:
    """Run the worker loop (agents, timers, deliveries) until Ctrl-C."""
    from leadflow.api.app import WorkerThread
    from leadflow.runtime import Runtime

    runtime = Runtime.build(_settings(db, workspace))
    thread = WorkerThread(runtime, poll_interval=poll)
    thread.start()
    from leadflow.state._opening import redact_url

    console.print(f"worker running on {redact_url(runtime.settings.db_url)}; Ctrl-C to stop")
    try:
        while thread.alive:
            thread.stop.wait(0.5)
    except KeyboardInterrupt:
        console.print("stopping the worker...")
    finally:
        thread.close()
        runtime.close()


@app.command()
def serve(
    db: DbOpt = None,
    workspace: WsOpt = None,
    host: Annotated[str, typer.Option(help="address to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port")] = 8000,
    worker: Annotated[bool, typer.Option(help="also run the worker loop in this process")] = True,
    insecure_no_auth: Annotated[bool, typer.Option(
        "--insecure-no-auth", help="check no API keys: every request is admin of the workspace (loopback only)")] = False,
    cors_origin: Annotated[list[str] | None, typer.Option(
        "--cors-origin", help="an origin browsers may call the API from (repeat; or LEADFLOW_CORS_ORIGINS)")] = None,
    require_signatures: Annotated[bool, typer.Option(
        "--require-signatures", help="refuse unsigned lead and reply webhooks, also from sources without a "
        "secret (or LEADFLOW_REQUIRE_SIGNATURES=1)")] = False,
) -> None:
    """Serve the HTTP API (and, by default, the worker in a background thread).

    Every request needs an API key (``leadflow keys create``) as ``Authorization: Bearer <key>``,
    except ``/healthz``. ``--insecure-no-auth`` turns keys off, and only on a loopback address.
    """
    import sys

    import uvicorn

    from leadflow.api import create_app, create_insecure_app
    from leadflow.api.auth import is_loopback
    from leadflow.auth import keyring_for
    from leadflow.runtime import Runtime

    if insecure_no_auth and not is_loopback(host):
        print(f"leadflow: --insecure-no-auth is allowed only on a loopback address (127.0.0.1, ::1), "
              f"not {host!r}", file=sys.stderr)
        raise typer.Exit(2)
    settings = _settings(db, workspace)
    if cors_origin:
        settings = settings.model_copy(update={"cors_origins": tuple(cors_origin)})
    if require_signatures:
        settings = settings.model_copy(update={"require_signatures": True})
    runtime = Runtime.build(settings)
    try:
        if insecure_no_auth:
            err = Console(stderr=True)
            err.print(f"[bold red]WARNING: --insecure-no-auth: no API keys are checked. Every request to "
                      f"{host}:{port} acts as admin of workspace {settings.workspace!r}. Never expose this server."
                      "[/bold red]")
            app_ = create_insecure_app(runtime, worker=worker, hosts=(host,))
        else:
            if not keyring_for(runtime.store).list():
                console.print("no API keys yet: every request will be refused. Create one with "
                              f"`leadflow keys create --workspace {settings.workspace} --role admin`", soft_wrap=True)
            app_ = create_app(runtime, worker=worker)
        uvicorn.Server(uvicorn.Config(app_, host=host, port=port, log_level="info")).run()
    finally:
        runtime.close()


def main(argv: list[str] | None = None) -> None:
    """The ``leadflow`` entry point: the app, with leadflow's errors as one line on stderr.

    A ``LeadflowError`` (a bad or unreachable database included: ``open_store`` translates those)
    or a database error SQLAlchemy raises later prints ``leadflow: <message>`` and exits 1.
    Anything else is a bug and keeps its traceback; ``LEADFLOW_DEBUG=1`` keeps it for all.
    """
    import os
    import sys

    from sqlalchemy.exc import ArgumentError, DatabaseError

    from leadflow.exceptions import LeadflowError
    from leadflow.state._opening import first_line

    try:
        app(args=argv, prog_name="leadflow")
    except (LeadflowError, DatabaseError, ArgumentError) as exc:
        if os.environ.get("LEADFLOW_DEBUG", "") not in ("", "0"):
            raise
        message = str(exc).strip().splitlines()[0] if isinstance(exc, LeadflowError) and str(exc).strip() else None
        if message is None:
            message = f"database error: {first_line(exc)}"
        print(f"leadflow: {message}", file=sys.stderr)
        raise SystemExit(1) from None
