"""Every SQLite connection of the store is durable (WAL, fsync on commit) and keeps its
savepoint journal in memory: checked on the kept write connection and on a pooled reader."""

from __future__ import annotations

from pathlib import Path

from leadflow.state.sql import SqlStore


def test_every_connection_is_durable_and_journals_savepoints_in_memory(tmp_path: Path) -> None:
    store = SqlStore(f"sqlite:///{tmp_path / 'lf.db'}")
    try:
        with store._write() as conn:  # the kept connection, in a write transaction
            raw = conn.connection.dbapi_connection
            kept = [raw.execute(f"PRAGMA {p}").fetchone()[0] for p in ("journal_mode", "synchronous", "temp_store")]
            cache = raw.execute("PRAGMA cache_size").fetchone()[0]
        with store.engine.connect() as other:  # a pooled connection
            raw = other.connection.dbapi_connection
            pooled = [raw.execute(f"PRAGMA {p}").fetchone()[0] for p in ("journal_mode", "synchronous", "temp_store")]
    finally:
        store.close()
    # WAL; synchronous=FULL (2): a commit is on disk when it returns; temp_store=MEMORY (2)
    assert kept == pooled == ["wal", 2, 2]
    assert cache <= -16384  # given in KiB: at least 16 MiB of pages
