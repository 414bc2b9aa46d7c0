"""One worker loop per SQLite database: the worker lease, and a second worker standing by."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

from leadflow.integrations.channels import TranscriptChannel
from leadflow.runtime import Runtime
from leadflow.settings import Settings
from leadflow.state import MemoryStore
from leadflow.state.sql import SqlStore


def test_one_store_at_a_time_holds_a_sqlite_files_lease(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'lf.db'}"
    a, b = SqlStore(url), SqlStore(url)
    try:
        assert a.try_worker_lease() and a.try_worker_lease()  # taken, then still held
        assert not b.try_worker_lease()
        a.close()  # closing gives it up
        assert b.try_worker_lease()
        other = SqlStore(f"sqlite:///{tmp_path / 'other.db'}")
        assert other.try_worker_lease()  # another database, another lease
        other.close()
    finally:
        b.close()


def test_stores_without_a_lease_let_every_worker_in(tmp_path: Path) -> None:
    for store in (MemoryStore(), MemoryStore(), SqlStore("sqlite://"), SqlStore("sqlite://")):
        assert store.try_worker_lease()
        store.close()


def test_a_killed_holder_gives_the_lease_up(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'lf.db'}"
    SqlStore(url).close()  # migrated before the child opens it
    code = (
        "import sys, time\n"
        "from leadflow.state.sql import SqlStore\n"
        f"s = SqlStore({url!r}, migrate=False)\n"
        "assert s.try_worker_lease()\n"
        "print('held', flush=True)\n"
        "time.sleep(60)\n"
    )
    child = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    try:
        assert child.stdout is not None and child.stdout.readline().strip() == "held"
        store = SqlStore(url, migrate=False)
        try:
            assert not store.try_worker_lease()
            os.kill(child.pid, signal.SIGKILL)
            child.wait(10)
            assert store.try_worker_lease()  # the OS dropped the dead holder's lock
        finally:
            store.close()
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()


def _runtime(tmp_path: Path, url: str) -> Runtime:
    settings = Settings(db_url=url, transcript_path=str(tmp_path / "transcript.db"))
    return Runtime.build(settings, channel=TranscriptChannel())


def test_a_second_worker_stands_by_until_the_first_stops(tmp_path: Path) -> None:
    """``leadflow serve`` and ``leadflow work`` on one SQLite file: the second worker does no
    round while the first runs, and takes over when it stops."""
    url = f"sqlite:///{tmp_path / 'lf.db'}"
    first, second = _runtime(tmp_path, url), _runtime(tmp_path, url)
    rounds = {"first": 0, "second": 0}
    for name, rt in (("first", first), ("second", second)):
        tick = rt.worker.tick
        rt.worker.tick = lambda tick=tick, name=name: rounds.__setitem__(name, rounds[name] + 1) or tick()  # type: ignore[method-assign,misc]
    stops = {"first": threading.Event(), "second": threading.Event()}
    threads = {
        name: threading.Thread(target=rt.worker.run_forever, kwargs={"stop": stops[name], "poll_interval": 0.01})
        for name, rt in (("first", first), ("second", second))
    }
    threads["first"].start()
    try:
        _until(lambda: rounds["first"] > 0)
        threads["second"].start()
        time.sleep(0.5)
        assert rounds["second"] == 0  # standing by: not one round while the first runs
        stops["first"].set()
        threads["first"].join(10)
        first.close()  # the process ends: its lease goes
        _until(lambda: rounds["second"] > 0)  # took over
    finally:
        for stop in stops.values():
            stop.set()
        for thread in threads.values():
            if thread.is_alive() or thread.ident is not None:
                thread.join(10)
        first.close()
        second.close()
    assert not any(thread.is_alive() for thread in threads.values())


def test_a_standing_by_worker_stops_when_asked(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'lf.db'}"
    holder, waiting = SqlStore(url), _runtime(tmp_path, url)
    try:
        assert holder.try_worker_lease()
        stop = threading.Event()
        threading.Timer(0.3, stop.set).start()
        started = time.monotonic()
        assert waiting.worker.wait_for_lease(stop=stop, interval=0.05) is False
        assert time.monotonic() - started < 5
    finally:
        holder.close()
        waiting.close()


def _until(check: Callable[[], bool], timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


def test_a_symlink_to_the_database_shares_its_lease(tmp_path: Path) -> None:
    """Issue 10, finding 7: a second name for the same file got its own lock and a second worker loop."""
    real = tmp_path / "data" / "lf.db"
    real.parent.mkdir()
    link = tmp_path / "link.db"
    first = SqlStore(f"sqlite:///{real}")
    link.symlink_to(real)
    second = SqlStore(f"sqlite:///{link}")
    relative = SqlStore(f"sqlite:///{os.path.relpath(tmp_path / 'data' / '..' / 'data' / 'lf.db')}")
    try:
        assert first.try_worker_lease()
        assert not second.try_worker_lease()  # the symlinked name stands by
        assert not relative.try_worker_lease()  # and so does a relative path through '..'
        first.close()
        assert second.try_worker_lease()  # and takes over once the first lets go
    finally:
        second.close()
        relative.close()


def test_a_worker_on_a_symlinked_path_stands_by(tmp_path: Path) -> None:
    """The finding as seen from the worker loop: a second name for the file got a second loop."""
    real, link = tmp_path / "lf.db", tmp_path / "alias.db"
    first = _runtime(tmp_path, f"sqlite:///{real}")
    link.symlink_to(real)
    second = _runtime(tmp_path, f"sqlite:///{link}")
    rounds = {"second": 0}
    tick = second.worker.tick
    second.worker.tick = lambda: rounds.__setitem__("second", rounds["second"] + 1) or tick()  # type: ignore[method-assign,func-returns-value]
    stop = threading.Event()
    thread = threading.Thread(target=second.worker.run_forever, kwargs={"stop": stop, "poll_interval": 0.01})
    try:
        assert first.store.try_worker_lease()  # the first worker's loop holds the lease
        thread.start()
        time.sleep(0.5)
        assert rounds["second"] == 0  # standing by behind the real path's lease
        first.close()
        _until(lambda: rounds["second"] > 0)  # and takes over once it is free
    finally:
        stop.set()
        thread.join(10)
        first.close()
        second.close()
    assert not thread.is_alive()
