"""The durable send ledger: mailbox and domain caps counted from the store, shared by every process.

:class:`StoreSendLedger` is the :class:`~leadflow.agents.sequencing.SendLedger` of the running
system. Its source of truth is the outbox (``Store.send_counts``), so counts survive restarts and
every worker process sees the same ones. A plan is recorded in the store only when the decision
that made it commits, so sends planned in this process but not yet committed (an orchestrator
pass plans a whole batch of leads before committing it) are held in a small in-process overlay:
a bucket's count is ``max(store count, store count when first planned + plans since)``, which does
not count a plan twice once it lands, and expires after ``ttl`` seconds if its commit never does.

:class:`StoreSendLedgers` hands out one ledger per workspace (``ctx.extras["send_ledger"]``);
:func:`ledger_for` resolves whatever is there, a single ledger or such a factory, for a context.
"""

from __future__ import annotations

import threading
import time as _time
from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, Protocol, runtime_checkable

from leadflow.agents.sequencing import SendLedger
from leadflow.state.base import Store
from leadflow.state.sends import SendChange, SendCounts, patch_first

_Key = tuple[str, str, str, datetime]  # (workspace, "mailbox" | "domain", address, bucket start)


@runtime_checkable
class SendLedgers(Protocol):
    """Something that hands out the send ledger of a workspace."""

    def scoped(self, workspace_id: str) -> SendLedger: ...


class _Overlay:
    """Plans recorded in this process, per bucket: (store count at the first, plans since, when)."""

    def __init__(self, ttl: float, monotonic: Callable[[], float]) -> None:
        self._lock = threading.Lock()
        self._ttl = ttl
        self._monotonic = monotonic
        self._items: dict[_Key, tuple[int, int, float]] = {}
        self._first: dict[tuple[str, str], date] = {}  # (workspace, mailbox) -> first planned day

    def count(self, key: _Key, stored: int) -> int:
        with self._lock:
            item = self._items.get(key)
            if item is None:
                return stored
            base, n, at = item
            if stored >= base + n or self._monotonic() - at > self._ttl:
                del self._items[key]  # landed in the store (or never will): the store is right again
                return stored
            return base + n

    def add(self, key: _Key, stored: int) -> None:
        with self._lock:
            now = self._monotonic()
            base, n, at = self._items.get(key, (stored, 0, now))
            if now - at > self._ttl:
                base, n = stored, 0  # the earlier plans expired: start again from the store
            self._items[key] = (max(base, stored - n), n + 1, now)
            if key[1] == "mailbox":
                box = (key[0], key[2])
                day = key[3].date()
                self._first[box] = min(day, self._first.get(box, day))

    def first_day(self, workspace_id: str, mailbox: str) -> date | None:
        with self._lock:
            return self._first.get((workspace_id, mailbox))

    def clear(self) -> None:
        with self._lock:
            self._items.clear()
            self._first.clear()


class _Entry:
    """What was read of one mailbox or domain under one generation: ranges of buckets per bucket
    size (``windows``; their starts on that size's grid from the epoch, as UTC hours and days
    are), the non-empty buckets in them (``counts``, sent and scheduled only), and its first
    send ever (``first``). A bucket in a window but not in ``counts`` is empty."""

    __slots__ = ("born", "counts", "first", "generation", "windows")

    MAX_COUNTS = 4096  # buckets kept, and ranges read of one size, before the entry starts again
    MAX_WINDOWS = 64

    def __init__(self, generation: int, born: float) -> None:
        self.generation = generation
        self.born = born
        self.counts: dict[tuple[datetime, timedelta], SendCounts] = {}
        self.windows: dict[timedelta, list[tuple[datetime, datetime]]] = {}
        self.first: SendCounts | None = None

    def lookup(self, start: datetime, step: timedelta) -> SendCounts | None:
        hit = self.counts.get((start, step))
        if hit is not None:
            return hit
        return _EMPTY if self._covered(start, step) else None

    def _covered(self, start: datetime, step: timedelta) -> bool:
        return any(lo <= start < hi for lo, hi in self.windows.get(step, ()))

    def load(self, start: datetime, step: timedelta, series: list[SendCounts]) -> None:
        if (
            len(self.counts) + len(series) > self.MAX_COUNTS
            or len(self.windows.get(step, ())) >= self.MAX_WINDOWS
        ):
            self.counts.clear()
            self.windows.clear()
        for i, c in enumerate(series):
            if c.total:
                self.counts[(start + step * i, step)] = SendCounts(c.sent, c.scheduled)
        self.windows.setdefault(step, []).append((start, start + step * len(series)))

    def patch(self, changes: list[SendChange]) -> None:
        if self.first is not None:
            known, first = patch_first(self.first.first, changes)
            self.first = SendCounts(first=first) if known else None
        for change in changes:
            for step in list(self.windows):
                start = change.at - (change.at - _EPOCH) % step
                if not self._covered(start, step):
                    continue
                was = self.counts.get((start, step), _EMPTY)
                sent, scheduled = was.sent + change.sent, was.scheduled + change.scheduled
                if sent < 0 or scheduled < 0:  # cannot be: read these again
                    del self.windows[step]
                    self.counts = {k: v for k, v in self.counts.items() if k[1] != step}
                elif sent or scheduled:
                    self.counts[(start, step)] = SendCounts(sent, scheduled)
                else:
                    self.counts.pop((start, step), None)


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_EMPTY = SendCounts()
FIRST = "first"


def on_grid(start: datetime, step: timedelta) -> bool:
    """Whether ``start`` is a multiple of ``step`` from the epoch (a UTC hour or day is)."""
    return not (start - _EPOCH) % step


class _CountCache:
    """Store counts, kept exact for this process: when the store's
    :meth:`~leadflow.state.base.Store.send_generation` of their mailbox or domain moves (this
    process committed a send of it), they are patched with the store's
    :meth:`~leadflow.state.base.Store.send_changes` instead of being counted again. Whatever is
    read is trusted for at most ``max_age`` seconds (another process's sends show up within that).
    So a planner scanning day after day while caps bind reads the days ahead in one query, and
    later plans go on from there as sends are planned and go out. Stores without send
    generations are always asked.

    Keys are ``(workspace, kind, address, ...)`` with ``kind`` "mailbox", "domain" or "first"
    (a mailbox's first send)."""

    MAX_ENTRIES = 4096

    def __init__(self, store: Store, max_age: float, monotonic: Callable[[], float]) -> None:
        self._store = store
        self._max_age = max_age
        self._monotonic = monotonic
        self._lock = threading.Lock()
        self._entries: dict[tuple[str, str, str], _Entry] = {}

    @staticmethod
    def _split(key: tuple[Any, ...]) -> tuple[tuple[str, str, str], Any]:
        workspace_id, kind, address = key[0], key[1], key[2]
        base = (workspace_id, "domain" if kind == "domain" else "mailbox", address)
        return base, (FIRST if kind == FIRST else (key[3], key[4]))

    def generation(self, key: tuple[Any, ...]) -> int | None:
        """Read it before fetching: a count fetched after a commit must not be kept under the old one."""
        return self._store.send_generation(*self._split(key)[0])

    def get(self, key: tuple[Any, ...]) -> SendCounts | None:
        base, sub = self._split(key)
        generation = self._store.send_generation(*base)
        with self._lock:
            entry = self._entries.get(base)
            if generation is None or entry is None:
                return None
            if self._monotonic() - entry.born > self._max_age:
                del self._entries[base]
                return None
            if entry.generation != generation and not self._catch_up(base, entry):
                return None
            return entry.first if sub == FIRST else entry.lookup(*sub)

    def drop(self, base: tuple[str, str, str]) -> None:
        with self._lock:
            self._entries.pop(base, None)

    def _catch_up(self, base: tuple[str, str, str], entry: _Entry) -> bool:
        """Patch ``entry`` with the changes committed since it was read (the lock is held)."""
        found = self._store.send_changes(*base, entry.generation)
        if found is None:
            del self._entries[base]
            return False
        entry.generation, changes = found
        if changes:
            entry.patch(changes)
        return True

    def _entry(self, base: tuple[str, str, str], generation: int) -> _Entry:
        """The entry to add what was read under ``generation`` to (the lock is held)."""
        entry = self._entries.get(base)
        if entry is None or entry.generation != generation:
            if len(self._entries) >= self.MAX_ENTRIES:
                self._entries.clear()
            entry = self._entries[base] = _Entry(generation, self._monotonic())
        return entry

    def put(self, key: tuple[Any, ...], series: list[SendCounts], generation: int | None) -> None:
        """Remember ``series``, read under ``generation``: consecutive buckets from ``key``'s
        (bucket start, step), or, for a ``FIRST`` key, one ``SendCounts`` with its first send."""
        if generation is None or not series:
            return
        base, sub = self._split(key)
        if sub != FIRST and not on_grid(*sub):
            return  # off the grid: patches could not find its buckets, so it is not kept
        with self._lock:
            entry = self._entry(base, generation)
            if sub == FIRST:
                entry.first = series[0]
            else:
                entry.load(sub[0], sub[1], series)


class StoreSendLedger:
    """The send ledger of one workspace, read from the store.

    Args:
        store: Where the outbox lives.
        workspace_id: Whose sends are counted.
        include_scheduled: Count pending sends as well as sent ones (planning); the dispatcher
            counts what went out only, since the send it is about to make is itself pending.
        overlay: Shared by the ledgers of one :class:`StoreSendLedgers`.
    """

    def __init__(
        self,
        store: Store,
        workspace_id: str,
        *,
        include_scheduled: bool = True,
        overlay: _Overlay | None = None,
        cache: _CountCache | None = None,
    ) -> None:
        self.store = store
        self.workspace_id = workspace_id
        self.include_scheduled = include_scheduled
        self._overlay = overlay or _Overlay(60.0, _time.monotonic)
        self._cache = cache or _CountCache(store, 1.0, _time.monotonic)

    #: Buckets fetched at once on a miss: the planner's next days (or hours) come in one query.
    AHEAD = {"mailbox": 31, "domain": 24 * 7}

    def _count(self, kind: str, address: str, start: datetime, step: timedelta) -> SendCounts:
        address = address.lower()
        key = (self.workspace_id, kind, address, start, step)
        hit = self._cache.get(key)
        if hit is not None:
            return hit
        generation = self._cache.generation(key)
        series = self.store.send_count_series(
            self.workspace_id,
            mailbox=address if kind == "mailbox" else None,
            domain=address if kind == "domain" else None,
            since=start,
            step=step,
            buckets=self.AHEAD[kind],
        )
        self._cache.put(key, series, generation)
        return series[0]

    def _stored(self, counts: SendCounts) -> int:
        return counts.total if self.include_scheduled else counts.sent

    def _mailbox(self, mailbox: str, day: date) -> tuple[_Key, int]:
        start = datetime.combine(day, time(0), tzinfo=UTC)
        key = (self.workspace_id, "mailbox", mailbox.lower(), start)
        return key, self._stored(self._count("mailbox", mailbox, start, timedelta(days=1)))

    def _domain(self, domain: str, hour: datetime) -> tuple[_Key, int]:
        start = hour.astimezone(UTC).replace(minute=0, second=0, microsecond=0)
        key = (self.workspace_id, "domain", domain.lower(), start)
        return key, self._stored(self._count("domain", domain, start, timedelta(hours=1)))

    def sent_on(self, mailbox: str, day: date) -> int:
        return self._overlay.count(*self._mailbox(mailbox, day))

    def sent_to_domain(self, domain: str, hour: datetime) -> int:
        return self._overlay.count(*self._domain(domain, hour))

    def first_day(self, mailbox: str) -> date | None:
        # not cached for good: the first send moves if it is suppressed, or an earlier one is planned
        key = (self.workspace_id, "first", mailbox.lower())
        counts = self._cache.get(key)
        if counts is None:
            generation = self._cache.generation(key)
            counts = SendCounts(first=self.store.first_send_time(self.workspace_id, mailbox))
            self._cache.put(key, [counts], generation)
        first = counts.first
        planned = self._overlay.first_day(self.workspace_id, mailbox.lower())
        days = [d for d in (first.astimezone(UTC).date() if first else None, planned) if d is not None]
        return min(days, default=None)

    def record(self, mailbox: str, domain: str, at: datetime) -> None:
        if mailbox:
            self._overlay.add(*self._mailbox(mailbox, at.astimezone(UTC).date()))
        if domain:
            self._overlay.add(*self._domain(domain, at))


class StoreSendLedgers:
    """One :class:`StoreSendLedger` per workspace, sharing one overlay (``ctx.extras["send_ledger"]``).

    ``ttl`` is how long an uncommitted plan counts; ``max_age`` how long counts read from the
    store are trusted (another process's sends show up within it), both in ``monotonic`` seconds.
    """

    def __init__(
        self,
        store: Store,
        *,
        include_scheduled: bool = True,
        ttl: float = 60.0,
        max_age: float = 1.0,
        monotonic: Callable[[], float] = _time.monotonic,
    ) -> None:
        self.store = store
        self.include_scheduled = include_scheduled
        self._overlay = _Overlay(ttl, monotonic)
        self._cache = _CountCache(store, max_age, monotonic)

    def scoped(self, workspace_id: str) -> StoreSendLedger:
        return StoreSendLedger(
            self.store,
            workspace_id,
            include_scheduled=self.include_scheduled,
            overlay=self._overlay,
            cache=self._cache,
        )

    def forget(self) -> None:
        """Drop the uncommitted plans (call once what was planned has been committed or dropped)."""
        self._overlay.clear()

    def forget_counts(self, workspace_id: str, kind: str, key: str) -> None:
        """Read this mailbox's or domain's counts from the store again at their next use."""
        self._cache.drop((workspace_id, kind, key.lower()))


def ledger_for(value: Any, workspace_id: str) -> SendLedger | None:
    """The ledger in ``ctx.extras["send_ledger"]`` for a workspace: a ledger, a factory, or none."""
    if value is None:
        return None
    if isinstance(value, SendLedgers):
        return value.scoped(workspace_id)
    if isinstance(value, SendLedger):
        return value
    raise TypeError(f"extras['send_ledger'] must be a SendLedger or SendLedgers, not {type(value).__name__}")
