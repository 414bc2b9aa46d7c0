"""The SQL store's send counts: what sequencing's caps and rotation read (see ``state/sends.py``).

A mixin of :class:`~leadflow.state.sql.SqlStore`: counts per sending mailbox and recipient
domain over the send-time expression indexes (migration 0003), whole horizons in one grouped
query, and the per-mailbox/domain generations that let the send ledger reuse counts exactly.
"""

from __future__ import annotations

from collections import deque
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select

from leadflow.state import _stmts as stmts
from leadflow.state import schema as t
from leadflow.state._sql_commit import db_time, utc
from leadflow.state.base import Store
from leadflow.state.sends import COUNTED_STATUSES, SendChange, SendCounts, check_keys


class SqlSendCounts(Store):
    """Send counts for ``SqlStore``; it supplies ``_read``, ``is_sqlite`` and the two dicts below."""

    is_sqlite: bool
    _series_stmts: dict[str, Any]
    _send_generations: dict[tuple[str, str, str], int]
    _send_log: dict[tuple[str, str, str], deque[tuple[int, list[SendChange] | None]]]
    _fast: Any  # the SQLite fast path's statements, or None

    def _read(self) -> Any:
        raise NotImplementedError

    def send_counts(
        self,
        workspace_id: str,
        *,
        mailbox: str | None = None,
        domain: str | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
    ) -> SendCounts:
        check_keys(mailbox, domain, since, until)
        if (
            since is not None and until is not None and bool(mailbox) != bool(domain)
        ):  # the planners' question
            stmt = stmts.SENDS_BY_MAILBOX if mailbox else stmts.SENDS_BY_DOMAIN
            params = {"ws": workspace_id, "key": (mailbox or domain or "").lower()}
            with self._read() as conn:
                found = conn.execute(stmt, {**params, "since": db_time(since), "until": db_time(until)}).all()
            return self._send_counts({str(status): (int(n), utc(first)) for status, n, first in found})
        a = t.actions.c
        # a send's time; ix_actions_mailbox_at / ix_actions_domain_at index this very expression
        when = t.SEND_TIME
        q = select(a.status, func.count(), func.min(when)).where(
            a.workspace_id == workspace_id, a.status.in_(COUNTED_STATUSES)
        )
        if mailbox:
            q = q.where(a.mailbox == mailbox.lower())
        if domain:
            q = q.where(a.domain == domain.lower())
        if since is not None:
            q = q.where(when >= db_time(since))
        if until is not None:
            q = q.where(when < db_time(until))
        with self._read() as conn:
            rows = {
                str(status): (int(n), utc(first)) for status, n, first in conn.execute(q.group_by(a.status))
            }
        return self._send_counts(rows)

    def send_generation(self, workspace_id: str, kind: str, key: str) -> int | None:
        return self._send_generations.get((workspace_id, kind, key.lower()), 0)

    #: Commits of one mailbox or domain whose changes are kept for ``send_changes``, and how
    #: many mailboxes and domains have such a log before all are dropped (readers count again).
    SEND_LOG = 64
    SEND_LOG_KEYS = 20_000

    def send_changes(
        self, workspace_id: str, kind: str, key: str, since_generation: int
    ) -> tuple[int, list[SendChange]] | None:
        name = (workspace_id, kind, key.lower())
        current = self._send_generations.get(name, 0)
        if since_generation == current:
            return current, []
        log = list(self._send_log.get(name, ()))  # a copy: the writer appends while we read
        wanted = [(g, changes) for g, changes in log if since_generation < g <= current]
        if len(wanted) != current - since_generation or any(changes is None for _, changes in wanted):
            return None  # older than the log keeps, or a change of unknown time
        return current, [change for _, changes in wanted for change in changes or ()]

    def _bump_send_keys(self, touched: dict[tuple[str, str, str], list[SendChange] | None]) -> None:
        """After a commit: the generation of each key it changed moves on, and its changes are logged."""
        for key, changes in touched.items():
            generation = self._send_generations.get(key, 0) + 1
            log = self._send_log.get(key)
            if log is None and len(self._send_log) >= self.SEND_LOG_KEYS:
                self._send_log.clear()
            if log is None:
                log = self._send_log[key] = deque(maxlen=self.SEND_LOG)
            log.append((generation, changes))
            self._send_generations[key] = generation  # last: a reader seeing it finds its changes

    def first_send_time(self, workspace_id: str, mailbox: str) -> datetime | None:
        with self._read() as conn:
            first = conn.execute(stmts.FIRST_SEND, {"ws": workspace_id, "key": mailbox.lower()}).scalar()
        return utc(first)

    def send_count_series(
        self,
        workspace_id: str,
        *,
        mailbox: str | None = None,
        domain: str | None = None,
        since: datetime,
        step: timedelta,
        buckets: int,
    ) -> list[SendCounts]:
        check_keys(mailbox, domain, since, since)
        if bool(mailbox) == bool(domain) or step.total_seconds() % 1 or step.total_seconds() < 1:
            return super().send_count_series(
                workspace_id, mailbox=mailbox, domain=domain, since=since, step=step, buckets=buckets
            )
        column = "mailbox" if mailbox else "domain"
        stmt = self._series_stmts.get(column)
        if stmt is None:
            stmt = self._series_stmts[column] = stmts.send_series(
                "sqlite" if self.is_sqlite else "postgresql", column
            )
            if self._fast is not None:
                self._fast.add(stmt)
        params = {
            "ws": workspace_id,
            "key": (mailbox or domain or "").lower(),
            "since": db_time(since),
            "until": db_time(since + step * buckets),
            "step": max(1, int(step.total_seconds())),
        }
        with self._read() as conn:
            rows = conn.execute(stmt, params).all()
        sent, pending = [0] * buckets, [0] * buckets
        first: list[datetime | None] = [None] * buckets
        for status, i, n, at in rows:
            if i is None or not 0 <= int(i) < buckets:
                continue
            i = int(i)
            if status == "sent":
                sent[i] += int(n)
            else:
                pending[i] += int(n)
            when = utc(at)
            if when is not None and (first[i] is None or when < first[i]):  # type: ignore[operator]
                first[i] = when
        empty = SendCounts()  # frozen: one instance serves every empty bucket
        return [
            SendCounts(sent[i], pending[i], first[i]) if sent[i] or pending[i] else empty
            for i in range(buckets)
        ]

    @staticmethod
    def _send_counts(rows: dict[str, tuple[int, datetime | None]]) -> SendCounts:
        firsts = [f for _, f in rows.values() if f is not None]
        sent, scheduled = rows.get("sent", (0, None))[0], rows.get("pending", (0, None))[0]
        return SendCounts(sent, scheduled, min(firsts, default=None))
