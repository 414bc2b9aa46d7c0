"""The SQL store's reads of outbox rows by status and by number: what the drafts service lists.

A mixin of :class:`~leadflow.state.sql.SqlStore`. Held drafts are outbox rows whose status is
``held`` (``leadflow.drafts``); the partial index ``ix_actions_held`` (migration 0011) holds
just those, and ``ix_actions_due`` (status first) serves the other statuses.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from sqlalchemy import Connection, select

from leadflow.exceptions import NotFound
from leadflow.state import schema as t
from leadflow.state.base import Store
from leadflow.state.records import ActionRow


class SqlActionReads(Store):
    """Outbox reads for ``SqlStore``; it supplies ``_read`` and ``_action_rows``."""

    def _read(self) -> Any:
        raise NotImplementedError

    def _action_rows(
        self, conn: Connection, statement: Any, params: dict[str, Any], bad: list[tuple[int, str]]
    ) -> list[ActionRow]:
        raise NotImplementedError

    def actions_in(self, workspace_id: str, statuses: Collection[str]) -> list[ActionRow]:
        a = t.actions.c
        q = select(t.actions).where(a.workspace_id == workspace_id, a.status.in_(list(statuses))).order_by(a.seq)
        bad: list[tuple[int, str]] = []
        with self._read() as conn:
            return self._action_rows(conn, q, {}, bad)  # an unreadable row is left out of a listing

    def action_by_seq(self, workspace_id: str, seq: int) -> ActionRow:
        a = t.actions.c
        q = select(t.actions).where(a.workspace_id == workspace_id, a.seq == seq)
        bad: list[tuple[int, str]] = []
        with self._read() as conn:
            rows = self._action_rows(conn, q, {}, bad)
        if not rows:
            raise NotFound(f"no action {seq}" + (f" ({bad[0][1]})" if bad else ""))
        return rows[0]
