"""Crash safety: a campaign SIGKILLed at random moments and restarted ends exactly like an uninterrupted one.

The reference runs ``python -m leadflow.sim`` once on fresh files. The crashy run starts the
same command on other fresh files, kills it after a seeded random delay, starts it again,
and so on until a run exits on its own. Then every lead, every delivery and every reply
must match the reference: nothing sent twice, nothing lost, replay equal to live state.
"""

from __future__ import annotations

import os
import random
import select
import signal
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from leadflow.domain.events import EventType
from leadflow.domain.models import LeadState
from leadflow.state import open_store
from leadflow.state.patch import fold

SEED = 11
LEADS = 200
KILLS = 12
MIN_KILLS = 8


def _cmd(db: Path, world: Path) -> list[str]:
    return [sys.executable, "-m", "leadflow.sim", "--db", str(db), "--transcript", str(world),
            "--seed", str(SEED), "--leads", str(LEADS)]


def _env() -> dict[str, str]:
    src = str(Path(__file__).resolve().parents[2] / "src")
    return {**os.environ, "PYTHONPATH": src + os.pathsep + os.environ.get("PYTHONPATH", "")}


def _run_to_end(db: Path, world: Path) -> None:
    done = subprocess.run(_cmd(db, world), env=_env(), capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]


def _wait_running(proc: subprocess.Popen[str], timeout: float) -> bool:
    """Wait until the process says set-up is over (its first line); False if it ended first."""
    assert proc.stdout is not None
    ready, _, _ = select.select([proc.stdout], [], [], timeout)
    return bool(ready) and proc.stdout.readline().startswith("running")


def _crashy_run(db: Path, world: Path, rng: random.Random) -> tuple[int, int]:
    """Run with ``KILLS`` random SIGKILLs, then let a last run exit 0; returns (kills, runs).

    Every fourth kill lands during start-up (migrations, lead creation, the first batch);
    the rest land 0.2-2 s after set-up, which spreads them over the whole campaign. The
    kills are counted, not timed, so a slow machine tests as much as a fast one.
    """
    kills = runs = 0
    while True:
        runs += 1
        proc = subprocess.Popen(_cmd(db, world), env=_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        if kills >= KILLS:
            _, err = proc.communicate(timeout=300)
            assert proc.returncode == 0, err[-3000:]
            return kills, runs
        if kills % 4 != 0 and not _wait_running(proc, 120):
            _, err = proc.communicate(timeout=300)
            assert proc.returncode == 0, err[-3000:]
            return kills, runs
        try:
            _, err = proc.communicate(timeout=rng.uniform(0.2, 2.0))
        except subprocess.TimeoutExpired:
            proc.send_signal(signal.SIGKILL)
            proc.communicate()
            kills += 1
            continue
        assert proc.returncode == 0, err[-3000:]
        return kills, runs


def _lead_view(s: LeadState) -> dict[str, Any]:
    """The fields that matter; no ids or wall-clock timestamps."""
    return {
        "lead_id": s.lead_id,
        "stage": s.stage.value,
        "score": s.score.value if s.score else None,
        "score_value": s.score_value,
        "qualification": s.qualification,
        "appointment": s.appointment.start.isoformat() if s.appointment is not None else None,
        "nurture_step": s.nurture_step,
        "touches": s.touches,
        "replies": s.replies,
        "messages": [(m.direction.value, m.channel.value, m.subject, m.body) for m in s.messages],
        "version": s.version,
    }


def _world(path: Path) -> tuple[dict[str, int], int, list[tuple[str, int]]]:
    db = sqlite3.connect(str(path))
    try:
        counts = dict(db.execute("SELECT key, count(*) FROM deliveries GROUP BY key").fetchall())
        attempts = int(db.execute("SELECT count(*) FROM attempts").fetchone()[0])
        inbound = db.execute("SELECT key, ingested FROM inbound ORDER BY key").fetchall()
    finally:
        db.close()
    return counts, attempts, inbound


@pytest.mark.slow
def test_sigkill_anywhere_ends_like_an_uninterrupted_run(tmp_path: Path) -> None:
    started = time.monotonic()
    ref_db, ref_world = tmp_path / "ref.db", tmp_path / "ref-world.db"
    _run_to_end(ref_db, ref_world)
    ref_elapsed = time.monotonic() - started

    db, world = tmp_path / "crash.db", tmp_path / "crash-world.db"
    kills, runs = _crashy_run(db, world, random.Random(int(os.environ.get("LEADFLOW_CRASH_SEED", SEED))))
    crash_elapsed = time.monotonic() - started - ref_elapsed
    print(f"crash safety: {kills} kills over {runs} runs in {crash_elapsed:.1f}s (reference {ref_elapsed:.1f}s)")
    assert kills >= MIN_KILLS, f"only {kills} kills: the run finished too fast to test much"

    ref_store, store = open_store(f"sqlite:///{ref_db}"), open_store(f"sqlite:///{db}")
    try:
        ref_states = {s.lead_id: s for s in ref_store.list_leads("demo", limit=1_000_000)}
        states = {s.lead_id: s for s in store.list_leads("demo", limit=1_000_000)}
        assert len(ref_states) == LEADS
        assert set(states) == set(ref_states)
        diffs = [lid for lid in ref_states if _lead_view(ref_states[lid]) != _lead_view(states[lid])]
        assert not diffs, (
            f"{len(diffs)} leads differ, e.g. {diffs[0]}:\n"
            f"reference {_lead_view(ref_states[diffs[0]])}\ncrashy    {_lead_view(states[diffs[0]])}"
        )

        # deliveries: the same keys, each delivered once, though attempts may be more
        ref_counts, _, ref_inbound = _world(ref_world)
        counts, attempts, inbound = _world(world)
        assert set(counts) == set(ref_counts)
        assert all(n == 1 for n in counts.values())
        assert attempts >= len(counts)

        # every reply the world produced was ingested and recorded, once
        assert [k for k, _ in inbound] == [k for k, _ in ref_inbound]
        assert all(ingested == 1 for _, ingested in inbound), "a reply was never ingested"
        replies = Counter(
            e.payload.get("in_reply_to") for e in store.all_events() if e.type == EventType.REPLY_RECEIVED
        )
        missing = [k for k, _ in inbound if replies[k] != 1]
        assert not missing, f"{len(missing)} replies not recorded exactly once, e.g. {missing[:3]}"

        # no action left behind, nothing dead, and the log folds back into the live state
        assert store.inbox(limit=10) == []
        assert store.list_dead() == []
        assert store.due_actions(store_now(store), limit=10) == []
        replayed = fold(store.all_events())
        assert {k: v.model_dump(mode="json") for k, v in replayed.items()} == {
            k: v.model_dump(mode="json") for k, v in states.items()
        }
    finally:
        ref_store.close()
        store.close()


def store_now(store: Any) -> Any:
    from datetime import datetime

    saved = store.get_meta("sim_now")
    assert saved is not None
    return datetime.fromisoformat(saved)
