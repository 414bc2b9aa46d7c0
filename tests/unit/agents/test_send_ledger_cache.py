"""The send ledger's count cache is exact for its process, and a run does not depend on wall time.

``_CountCache`` keeps counts read from the store and patches them with the store's
``send_changes`` as this process commits sends, instead of counting again. These tests run a
simulated campaign on SQLite and compare every count the cache answers with a fresh count, and
show that two runs of one seed end alike however long the cache trusts what it read.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from leadflow.agents import send_ledger
from leadflow.agents.send_ledger import _CountCache, _Entry
from leadflow.sim.run import open_simulation
from leadflow.state.sends import SendChange, SendCounts, patch_first

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
HOUR = timedelta(hours=1)


def test_an_entry_patches_the_buckets_it_read_and_knows_the_empty_ones() -> None:
    entry = _Entry(generation=1, born=0.0)
    entry.load(T0, HOUR, [SendCounts(1, 2), SendCounts(), SendCounts(0, 1)])
    assert entry.lookup(T0 + HOUR, HOUR) == SendCounts()  # read, and empty
    assert entry.lookup(T0 + 3 * HOUR, HOUR) is None  # never read
    entry.patch(
        [
            SendChange(T0 + timedelta(minutes=5), scheduled=1),  # new
            SendChange(T0 + timedelta(minutes=20), sent=1, scheduled=-1),  # went out
            SendChange(T0 + HOUR + timedelta(minutes=1), scheduled=1),  # into the empty hour
            SendChange(T0 + 2 * HOUR, scheduled=-1),  # cancelled: that hour is empty again
            SendChange(T0 + 9 * HOUR, scheduled=1),  # outside what was read: nothing to patch
        ]
    )
    assert [
        (c.sent, c.scheduled)
        for c in (entry.lookup(T0 + i * HOUR, HOUR) or SendCounts(-1, -1) for i in range(3))
    ] == [
        (2, 2),
        (0, 1),
        (0, 0),
    ]
    assert entry.lookup(T0 + 9 * HOUR, HOUR) is None
    entry.patch([SendChange(T0 + HOUR, sent=-5)])  # impossible: what was read of that size is dropped
    assert entry.lookup(T0, HOUR) is None


def test_patching_the_first_send() -> None:
    assert patch_first(T0, [SendChange(T0 - HOUR, scheduled=1)]) == (True, T0 - HOUR)
    assert patch_first(T0, [SendChange(T0, scheduled=-1)]) == (False, None)
    assert patch_first(T0, [SendChange(T0 + HOUR, scheduled=-1)]) == (True, T0)
    assert patch_first(None, []) == (True, None)


def _run(tmp_path: Path, name: str, leads: int = 50) -> list[tuple[Any, ...]]:
    run = open_simulation(
        db_url=f"sqlite:///{tmp_path / name}.db", transcript_path=tmp_path / f"{name}.tr", leads=leads
    )
    try:
        run.runtime.worker.run_until_idle()
        run.runtime.worker.run_until_idle(simulate=True)
        return [
            (
                r.seq,
                r.lead_id,
                r.action.idempotency_key,
                r.action.not_before,
                r.status,
                r.action.payload.get("from"),
            )
            for s in run.states()
            for r in run.runtime.store.actions_for(s.workspace_id, s.lead_id)
        ]
    finally:
        run.close()


def test_every_cached_count_equals_counting_again(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    answered = {"hits": 0, "patched": 0}
    original_get, original_catch_up = _CountCache.get, _CountCache._catch_up

    def checked_get(self: _CountCache, key: tuple[Any, ...]) -> SendCounts | None:
        got = original_get(self, key)
        if got is None:
            return None
        answered["hits"] += 1
        store = self._store
        if key[1] == "first":
            assert got.first == store.first_send_time(key[0], key[2]), key
        else:
            kind = {"mailbox": key[2]} if key[1] == "mailbox" else {"domain": key[2]}
            [fresh] = store.send_count_series(key[0], since=key[3], step=key[4], buckets=1, **kind)
            assert (got.sent, got.scheduled) == (fresh.sent, fresh.scheduled), key
        return got

    def counted_catch_up(self: _CountCache, base: Any, entry: Any) -> bool:
        answered["patched"] += 1
        return original_catch_up(self, base, entry)

    monkeypatch.setattr(_CountCache, "get", checked_get)
    monkeypatch.setattr(_CountCache, "_catch_up", counted_catch_up)
    assert _run(tmp_path, "checked")
    assert answered["hits"] > 1000 and answered["patched"] > 100  # the cache was used, and patched


def test_a_run_does_not_depend_on_how_long_counts_are_trusted(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Counts re-read at every use, or trusted for the whole run: the same sends, times and mailboxes."""
    ticks = [0.0]

    def fast_clock() -> float:  # every reading is 10 s later: the cache never trusts a count twice
        ticks[0] += 10.0
        return ticks[0]

    trusting = _run(tmp_path, "trusting")
    monkeypatch.setattr(send_ledger._CountCache, "__init__", _with_clock(fast_clock))
    rereading = _run(tmp_path, "rereading")
    assert trusting == rereading


def _with_clock(clock: Any) -> Any:
    original = _CountCache.__init__

    def init(self: _CountCache, store: Any, max_age: float, monotonic: Any) -> None:
        original(self, store, max_age, clock)

    return init
