"""One worker loop per SQLite database: a lease held as an OS file lock beside the database file.

On PostgreSQL several worker processes share the work, each claiming the leads it handles
(``_lead_claims``). SQLite has no such claims: two worker loops on one file would both run a
lead's agents (one commit then loses) and both deliver its due actions, counting the same free
slot of a sending cap twice. So a worker loop on SQLite first takes this lease, an exclusive
``flock`` on ``<database>-worker.lock``, and a second one waits for it (``leadflow serve``
and ``leadflow work`` on one file: the second stands by). The operating system drops the lock
when its process ends, however it ends (SIGKILL included), so a restarted worker takes over at
once. Everything else (the API, the CLI, imports) reads and writes the database as before.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path

try:
    import fcntl
except ImportError:  # pragma: no cover - not on POSIX: no lease, as before
    fcntl = None  # type: ignore[assignment]


class FileLease:
    """An exclusive, non-blocking lock on one file, held until ``release`` (or the process ends)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._fd: int | None = None
        self._lock = threading.Lock()

    @property
    def held(self) -> bool:
        return self._fd is not None

    def try_acquire(self) -> bool:
        """Take the lease if it is free; True when this object holds it (taken now or before)."""
        if fcntl is None:
            return True
        with self._lock:
            if self._fd is not None:
                return True
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                os.close(fd)
                return False
            except BaseException:
                os.close(fd)
                raise
            os.ftruncate(fd, 0)
            os.write(fd, f"{os.getpid()}\n".encode())  # who holds it, for a person looking
            self._fd = fd
            return True

    def release(self) -> None:
        with self._lock:
            if self._fd is not None:
                os.close(self._fd)  # closing the descriptor drops the lock
                self._fd = None


def sqlite_lease_path(database: str | None) -> Path | None:
    """Where the lease of a SQLite database file lives; None for an in-memory database.

    Derived from the file's real path (symlinks and ``..`` resolved), so two names of one
    database (a symlink, a relative and an absolute path) share one lease.
    """
    if not database or database == ":memory:" or database.startswith("file::memory:"):
        return None
    return Path(f"{os.path.realpath(database)}-worker.lock")
