"""Engine benchmark: throughput of a simulated campaign and lead-created -> first-touch latency.

Not a test: it prints figures. Run from the repository root::

    .venv/bin/python bench/bench_engine.py                 # both parts, defaults
    .venv/bin/python bench/bench_engine.py --leads 500 --latency-leads 1000 --seed 7
    .venv/bin/python bench/bench_engine.py --only throughput   # or --only latency

Both parts run on fresh SQLite files in a temporary directory, in WAL mode with
``synchronous=FULL`` (every commit is on disk when it returns), offline (no LLM), one process.
See bench/README.md for what each figure means.
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import math
import os
import platform
import sqlite3
import statistics
import sys
import tempfile
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from leadflow.domain.actions import OutboundAction
from leadflow.domain.models import TERMINAL_STAGES, Stage
from leadflow.integrations.channels import Receipt, TranscriptChannel
from leadflow.orchestrator.clock import SystemClock
from leadflow.runtime import Runtime
from leadflow.settings import Settings
from leadflow.sim.prospects import generate_prospects
from leadflow.sim.run import CAMPAIGN, START, demo_campaign, open_simulation
from leadflow.state import schema as t

#: Stages where a lead's journey is over: terminal, or handed to a human with a meeting booked.
FINAL_STAGES = frozenset({*TERMINAL_STAGES, Stage.MEETING_BOOKED, Stage.CLOSING})

TARGET_EVENTS_PER_S = 2000.0
TARGET_P99_MS = 50.0


# -- the machine --------------------------------------------------------------------------
def machine() -> str:
    cpu = platform.processor() or platform.machine()
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    return (
        f"machine: nproc={os.cpu_count()} cpu={cpu!r} python={platform.python_version()} "
        f"sqlite={sqlite3.sqlite_version} ({platform.system()} {platform.release()})"
    )


# -- 1. throughput ------------------------------------------------------------------------
def bench_throughput(workdir: Path, *, leads: int, seed: int, profile: str | None) -> None:
    db = workdir / "throughput.db"
    run = open_simulation(
        db_url=f"sqlite:///{db}", transcript_path=workdir / "throughput-transcript.db", seed=seed, leads=leads
    )
    store: Any = run.runtime.store
    routed = run.runtime.routes.listens_to()
    with store.engine.connect() as conn:
        events_before = int(conn.execute(select(func.count()).select_from(t.events)).scalar() or 0)
    # as the worker of `leadflow serve` does at start: the agents load their offline models and data
    w0 = time.perf_counter()
    run.runtime.worker.warm_up()
    warm = time.perf_counter() - w0

    profiler: Any = None
    if profile:
        import cProfile

        profiler = cProfile.Profile()
        profiler.enable()
    # phase A, the burst: everything due at the start (every lead's first touch), no clock jumps
    t0 = time.perf_counter()
    rounds = run.runtime.worker.run_until_idle(simulate=False)
    burst = time.perf_counter() - t0
    with store.engine.connect() as conn:
        events_burst = int(conn.execute(select(func.count()).select_from(t.events)).scalar() or 0) - events_before
    # phase B, the rest of the campaign: the worker jumps the simulated clock from one due thing to the next
    rounds += run.runtime.worker.run_until_idle(simulate=True)
    elapsed = time.perf_counter() - t0
    if profiler is not None:
        profiler.disable()
        profiler.dump_stats(profile)

    with store.engine.connect() as conn:
        by_type = Counter(
            {
                str(type_): int(n)
                for type_, n in conn.execute(select(t.events.c.type, func.count()).group_by(t.events.c.type))
            }
        )
        traces = int(conn.execute(select(func.count()).select_from(t.traces)).scalar() or 0)
        handled = int(
            conn.execute(
                select(func.count()).select_from(t.events).where(t.events.c.queued.is_(True), t.events.c.handled.is_(True))
            ).scalar()
            or 0
        )
        pending = int(
            conn.execute(
                select(func.count()).select_from(t.events).where(
                    t.events.c.queued.is_(True), t.events.c.handled.is_(False), t.events.c.dead.is_(False)
                )
            ).scalar()
            or 0
        )
        active_timers = int(
            conn.execute(select(func.count()).select_from(t.timers).where(t.timers.c.status == "active")).scalar()
            or 0
        )
        pending_actions = int(
            conn.execute(select(func.count()).select_from(t.actions).where(t.actions.c.status == "pending")).scalar()
            or 0
        )
        sent = int(
            conn.execute(select(func.count()).select_from(t.actions).where(t.actions.c.status == "sent")).scalar() or 0
        )
    states = run.states()
    stages = Counter(s.stage.value for s in states)
    final = sum(1 for s in states if s.stage in FINAL_STAGES)
    events_total = sum(by_type.values())
    events_run = events_total - events_before
    routed_run = sum(n for type_, n in by_type.items() if type_ in routed)
    sim_days = (run.runtime.clock.now() - START).total_seconds() / 86400
    run.close()

    print()
    print(f"1. THROUGHPUT: simulated campaign, {leads} leads, seed {seed}, SQLite WAL synchronous=FULL, offline")
    print("   (timed: worker.run_until_idle() then run_until_idle(simulate=True), fresh files, leads created beforehand)")
    print(f"   worker warm-up            {warm:10.2f} s   (before the timed run, once per process: models and parsers loaded)")
    print(f"   wall time                 {elapsed:10.2f} s   ({rounds} worker rounds, {sim_days:.1f} simulated days)")
    print(
        f"   journeys                  {len(states):10d}     "
        f"({final} ended in a final stage, {len(states) - final} at rest in nurture/other; "
        f"left pending: {pending} inbox events, {active_timers} timers, {pending_actions} actions)"
    )
    print(f"   journeys/s                {len(states) / elapsed:10.1f}")
    print(f"   events recorded           {events_run:10d}     (rows added to the events table during the run)")
    print(f"   events/s                  {events_run / elapsed:10.1f}     target >= {TARGET_EVENTS_PER_S:.0f}  "
          f"{'OK' if events_run / elapsed >= TARGET_EVENTS_PER_S else 'BELOW TARGET'}")
    print(f"   of which the burst        {events_burst:10d}     in {burst:.2f} s -> {events_burst / burst:.1f} events/s "
          f"(all {leads} leads created at once, handled to first touch in batches)")
    rest = elapsed - burst
    print(f"   and the rest              {events_run - events_burst:10d}     in {rest:.2f} s -> "
          f"{(events_run - events_burst) / rest:.1f} events/s (clock-driven: few leads per simulated moment)")
    print(f"   routed events handled     {handled:10d}     (inbox events the orchestrator routed, incl. the "
          f"{events_before} lead.created; {routed_run} recorded events have a routed type)")
    print(f"   routed events/s           {handled / elapsed:10.1f}")
    print(f"   agent steps (traces)      {traces:10d}     -> {traces / elapsed:.1f}/s")
    print(f"   messages sent             {sent:10d}     -> {sent / elapsed:.1f}/s")
    print(f"   final stages              {dict(sorted(stages.items()))}")
    top = ", ".join(f"{k}={v}" for k, v in by_type.most_common(8))
    print(f"   events by type (top 8)    {top}")


# -- 2. latency ---------------------------------------------------------------------------
class TimedChannel:
    """A TranscriptChannel that notes when each lead's first delivery returned."""

    def __init__(self, inner: TranscriptChannel) -> None:
        self.inner = inner
        self.first: dict[str, float] = {}

    def deliver(self, action: OutboundAction, *, workspace_id: str, lead_id: str) -> Receipt:
        receipt = self.inner.deliver(action, workspace_id=workspace_id, lead_id=lead_id)
        self.first.setdefault(lead_id, time.perf_counter())
        return receipt


class ShiftedClock(SystemClock):
    """The system clock, moved to a Tuesday morning in the campaign's time zone: real time passes,
    but send windows (no first touch at night or on a weekend) never defer the first touch."""

    ANCHOR = datetime(2026, 3, 3, 15, 0, tzinfo=UTC)  # Tue 10:00 America/New_York

    def __init__(self) -> None:
        self.offset = self.ANCHOR - super().now()

    def now(self) -> datetime:
        return super().now() + self.offset


def pct(sorted_ms: list[float], p: float) -> float:
    """Nearest-rank percentile."""
    k = max(0, min(len(sorted_ms) - 1, math.ceil(p / 100 * len(sorted_ms)) - 1))
    return sorted_ms[k]


def warmed_campaign() -> Any:
    """The demo campaign with warmed-up mailboxes whose daily caps exceed the benchmark's volume:
    latency is measured on the engine, not on sequencing holding sends for tomorrow."""
    campaign = demo_campaign()
    senders = [s.model_copy(update={"mailbox_daily_cap": 100_000}) for s in campaign.senders]
    sending = {**(campaign.settings.get("sending") or {}), "ramp_start": 100_000, "domain_hourly_cap": 100_000}
    return campaign.model_copy(update={"senders": senders, "settings": {**campaign.settings, "sending": sending}})


def bench_latency(workdir: Path, *, leads: int, seed: int, warmup: int) -> None:
    settings = Settings(
        db_url=f"sqlite:///{workdir / 'latency.db'}",
        transcript_path=str(workdir / "latency-transcript.db"),
        workspace="bench",
    )
    channel = TimedChannel(TranscriptChannel(settings.transcript_path))
    runtime = Runtime.build(settings, clock=ShiftedClock(), channel=channel)  # type: ignore[arg-type]
    runtime.store.save_campaign("bench", warmed_campaign())
    prospects = generate_prospects(seed=seed, n=leads + warmup)
    latencies: list[float] = []
    ticks = 0
    started = time.perf_counter()
    for i, p in enumerate(prospects):
        # an inbound lead (speed-to-lead) in the rep's zone, in business hours: nothing defers its first touch
        lead = p.lead.model_copy(update={"timezone": "America/New_York", "source": "web_form"})
        runtime.intake.create_lead("bench", CAMPAIGN, lead, lead_id=p.id)
        accepted = time.perf_counter()
        for _ in range(100):
            runtime.worker.tick()
            ticks += 1
            if p.id in channel.first:
                break
        else:
            raise RuntimeError(f"lead {p.id}: no first touch after 100 ticks")
        if i >= warmup:
            latencies.append((channel.first[p.id] - accepted) * 1000)
    total = time.perf_counter() - started
    runtime.close()

    latencies.sort()
    print()
    print(f"2. LATENCY: lead created -> first touch delivered, {leads} leads one at a time "
          f"(+{warmup} warm-up not counted), SystemClock shifted to a Tuesday 10:00, SQLite WAL synchronous=FULL, TranscriptChannel")
    print("   (from intake.create_lead returning (accepted, durable) to channel.deliver returning, "
          "driven by worker.tick())")
    print(
        f"   p50 {pct(latencies, 50):7.2f} ms   p95 {pct(latencies, 95):7.2f} ms   "
        f"p99 {pct(latencies, 99):7.2f} ms   max {latencies[-1]:7.2f} ms   "
        f"mean {statistics.fmean(latencies):7.2f} ms"
    )
    print(f"   p99 target < {TARGET_P99_MS:.0f} ms: {'OK' if pct(latencies, 99) < TARGET_P99_MS else 'ABOVE TARGET'}"
          f"   ({ticks / (leads + warmup):.2f} ticks per lead, {(leads + warmup) / total:.1f} leads/s end to end)")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--leads", type=int, default=500, help="leads in the simulated campaign (throughput)")
    ap.add_argument("--latency-leads", type=int, default=1000, help="leads created one at a time (latency)")
    ap.add_argument("--warmup", type=int, default=20, help="latency leads run first and not counted")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--only", choices=["throughput", "latency"], default=None)
    ap.add_argument("--profile", metavar="FILE", help="write a cProfile of the throughput run to FILE")
    ap.add_argument("--dir", help="work in this directory instead of a fresh temporary one")
    args = ap.parse_args(argv)
    logging.basicConfig(level=logging.ERROR)

    print(machine())
    with contextlib.ExitStack() as stack:
        if args.dir:
            workdir = Path(args.dir)
            workdir.mkdir(parents=True, exist_ok=True)
            for f in workdir.glob("*.db*"):
                f.unlink()
        else:
            workdir = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="leadflow-bench-")))
        if args.only in (None, "throughput"):
            bench_throughput(workdir, leads=args.leads, seed=args.seed, profile=args.profile)
        if args.only in (None, "latency"):
            bench_latency(workdir, leads=args.latency_leads, seed=args.seed, warmup=args.warmup)
    return 0


if __name__ == "__main__":
    sys.exit(main())
