"""``python -m leadflow.sim``: run (or resume) a simulated campaign on durable files until idle.

Every step is a durable row in the store or the world's database, so the process can be
killed at any moment and started again with the same arguments: it carries on where it was
and ends in the same state as an uninterrupted run. The crash-safety test does exactly that.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Sequence

from leadflow.sim.run import open_simulation


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m leadflow.sim", description=__doc__.splitlines()[0] if __doc__ else None)
    p.add_argument("--db", required=True, help="store file (a path) or URL (sqlite:///path.db)")
    p.add_argument("--transcript", required=True, help="the simulated world's SQLite file")
    p.add_argument("--seed", type=int, default=7, help="simulation seed")
    p.add_argument("--leads", type=int, default=60, help="how many simulated leads")
    return p


def _db_url(db: str) -> str:
    return db if "://" in db else f"sqlite:///{db}"


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    started = time.perf_counter()
    run = open_simulation(db_url=_db_url(args.db), transcript_path=args.transcript, seed=args.seed, leads=args.leads)
    # a line for whoever watches the process (the crash test): set-up is over, the campaign runs
    print(f"running from sim_now={run.runtime.clock.now().isoformat()}", flush=True)
    try:
        rounds = run.runtime.worker.run_until_idle(simulate=True)
        states = run.states()
        delivered = len(run.world.deliveries())
        attempts = run.world.attempt_count()
        now = run.runtime.clock.now()
    finally:
        run.close()
    stages: dict[str, int] = {}
    for s in states:
        stages[s.stage.value] = stages.get(s.stage.value, 0) + 1
    by_stage = " ".join(f"{k}={v}" for k, v in sorted(stages.items()))
    print(
        f"leads={len(states)} delivered={delivered} attempts={attempts} rounds={rounds} "
        f"sim_now={now.isoformat()} wall={time.perf_counter() - started:.1f}s {by_stage}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
