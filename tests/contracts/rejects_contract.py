"""Bounded rejects, for every store backend: a cap per reject, retention per workspace, a count past a burst.

Subclassed by ``test_rejects_memory`` / ``test_rejects_sqlite`` (and PostgreSQL when a server is given).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from leadflow.state.base import Store
from leadflow.state.rejects import RejectLimits

T0 = datetime(2025, 3, 3, 9, 0, tzinfo=UTC)


class RejectsContract:
    def make_store(self) -> Store:
        raise NotImplementedError

    @pytest.fixture
    def store(self) -> Iterator[Store]:
        s = self.make_store()
        yield s
        s.close()

    def test_a_big_body_keeps_its_first_bytes_its_size_and_its_hash(self, store: Store) -> None:
        raw = "é" * 20_000 + "tail"  # 40,004 bytes; the cut must not split a character
        limits = RejectLimits(max_bytes=1001)
        rid = store.add_reject("ws", "api:leads", raw, "too big", T0, limits=limits)
        [rej] = store.list_rejects("ws")
        assert rej.id == rid and rej.error == "too big" and rej.at == T0
        assert rej.raw == "é" * 500  # 1,000 bytes: the 1,001st would split a character
        assert rej.size == len(raw.encode()) and rej.truncated
        assert rej.sha256 == hashlib.sha256(raw.encode()).hexdigest()
        assert rej.count is None

    def test_a_small_body_is_kept_whole(self, store: Store) -> None:
        store.add_reject("ws", "csv:a.csv", "a,b\r\n\t c ☃", "bad", T0)
        [rej] = store.list_rejects("ws")
        assert rej.raw == "a,b\r\n\t c ☃" and not rej.truncated and rej.size == len(rej.raw.encode())

    def test_only_the_newest_rejects_of_a_workspace_are_kept(self, store: Store) -> None:
        limits = RejectLimits(keep=5, burst=1000)
        for n in range(12):
            store.add_reject("ws", "api:leads", f"body {n}", "bad", T0 + timedelta(seconds=n), limits=limits)
        store.add_reject("other", "api:leads", "theirs", "bad", T0, limits=limits)
        assert [r.raw for r in store.list_rejects("ws")] == [f"body {n}" for n in range(7, 12)]
        assert [r.raw for r in store.list_rejects("other")] == ["theirs"]  # pruning is per workspace

    def test_old_rejects_are_dropped(self, store: Store) -> None:
        limits = RejectLimits(max_age=timedelta(days=2))
        store.add_reject("ws", "a", "old", "bad", T0, limits=limits)
        store.add_reject("ws", "a", "recent", "bad", T0 + timedelta(days=1), limits=limits)
        store.add_reject("ws", "a", "new", "bad", T0 + timedelta(days=3), limits=limits)
        assert [r.raw for r in store.list_rejects("ws")] == ["recent", "new"]

    def test_past_the_burst_only_a_count_is_kept(self, store: Store) -> None:
        limits = RejectLimits(burst=3, window=timedelta(minutes=1))
        ids = [store.add_reject("ws", "api:replies", f"flood {n}", f"error {n}", T0 + timedelta(seconds=n),
                                limits=limits) for n in range(10)]
        store.add_reject("ws", "csv:x.csv", "another source", "bad", T0 + timedelta(seconds=10), limits=limits)
        rejects = store.list_rejects("ws")
        assert [r.raw for r in rejects] == ["flood 0", "flood 1", "flood 2", "", "another source"]
        counting = rejects[3]
        assert counting.count == 7 and counting.source == "api:replies"
        assert "error 9" in counting.error and "7 more" in counting.error
        assert len(set(ids[3:])) == 1 and ids[3] == counting.id  # one row stands for them all
        # once the window has passed, bodies are kept again
        store.add_reject("ws", "api:replies", "later", "bad", T0 + timedelta(minutes=5), limits=limits)
        assert store.list_rejects("ws")[-1].raw == "later"
