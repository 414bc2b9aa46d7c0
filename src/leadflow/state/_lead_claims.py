"""Per-lead claims, so several worker processes can share one PostgreSQL database.

Every worker runs the orchestrator and the dispatcher over the same inbox and outbox. Left
alone, two workers can take the same lead at once: both run its agents on the same inbox
event (one commit then loses and the work, model calls included, is wasted) or both deliver
its due action (the store refuses the second record, but a real provider has sent twice).

So ``SqlStore`` on PostgreSQL claims a lead before it hands out the lead's inbox event or due
actions: ``pg_try_advisory_lock`` on a 64-bit key derived from the lead, taken on a connection
of its own (autocommit: it never sits idle in a transaction). A worker skips a lead another
one holds and takes the next. The claims a store holds are released at its next ``inbox`` or
``due_actions`` call: the worker loop calls them in turn and has committed what it did with
the previous batch by then. A worker that dies loses its connection, and PostgreSQL drops its
claims with it, so nothing stays claimed after a crash.

The dispatcher claims the same way, on the same connection, the mailboxes and recipient domains
it counts against their caps (``SqlStore.claim_send_keys``; keys ``send\0mailbox\0...``), so
two workers never both count a cap's last free slot as theirs; those go with the next release
too, after the pass has committed what it sent.

Claims spare work and double sends; they are not what keeps the data right. The store's
guards still are (an event is marked handled once, an action finishes once, a stale version
conflicts), so a lead handled twice anyway, say by a process without claims, stays correct.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Iterable
from typing import Any

from sqlalchemy import Connection, Engine, TextClause, text
from sqlalchemy.exc import DBAPIError

Lead = tuple[str, str]  # (workspace_id, lead_id)

_TRY = text("SELECT k, pg_try_advisory_lock(k) FROM unnest(CAST(:keys AS bigint[])) AS k")
_RELEASE = text("SELECT pg_advisory_unlock_all()")


def claim_key(workspace_id: str, lead_id: str) -> int:
    """The advisory-lock key of a lead: a signed 64-bit hash of workspace and lead id."""
    digest = hashlib.blake2b(f"leadflow\0{workspace_id}\0{lead_id}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


class LeadClaims:
    """The leads one store instance (one worker loop) has claimed, on a connection of its own."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._guard = threading.Lock()
        self._conn: Connection | None = None
        self._held = False

    def claim(self, leads: Iterable[Lead]) -> set[Lead]:
        """Try to claim each lead without waiting; returns the ones now held by this store.

        A lead this store already holds is held again (and reported as claimed).
        """
        by_key = {claim_key(ws, lead): (ws, lead) for ws, lead in leads}
        if not by_key:
            return set()
        with self._guard:
            try:
                rows = self._execute(_TRY, {"keys": list(by_key)})
            except DBAPIError as exc:
                if not exc.connection_invalidated:
                    raise
                # the server dropped the connection, and every claim with it: start afresh
                rows = self._execute(_TRY, {"keys": list(by_key)})
            self._held = True
        return {by_key[int(key)] for key, ok in rows if ok}

    def release_all(self) -> None:
        """Give up every lead this store holds (the previous batch is done)."""
        with self._guard:
            if self._held and self._conn is not None:
                try:
                    self._execute(_RELEASE, {})
                except DBAPIError as exc:
                    if not exc.connection_invalidated:
                        raise
                    # a lost connection took its claims with it: nothing is left to release
            self._held = False

    def close(self) -> None:
        """Release every claim, then close the connection for good. (Closing alone releases them
        too, but only once the server has seen the connection end: another worker asking at once
        could still find them held.)"""
        self.release_all()
        with self._guard:
            self._drop()

    def _execute(self, stmt: TextClause, params: dict[str, object]) -> list[tuple[Any, ...]]:
        if self._conn is None:
            self._conn = self.engine.connect().execution_options(isolation_level="AUTOCOMMIT")
        try:
            return [tuple(row) for row in self._conn.execute(stmt, params)]
        except DBAPIError:
            self._drop()
            raise

    def _drop(self) -> None:
        # invalidate, not just close: a closed connection would go back to the pool still
        # holding its session-level claims
        if self._conn is not None:
            self._conn.invalidate()
            self._conn.close()
        self._conn = None
        self._held = False
