"""The Redis Streams bus: the ``Bus`` contract across processes and machines.

Layout. One stream, ``{prefix}:events``, carries every event of every workspace. One
totally ordered stream keeps each lead's events in publish order without partitioning,
and lets a subscriber match types across workspaces. (Within a shared group two processes
may handle events of one lead at the same time; each consumer sees its share in order.)
Each entry holds the event's JSON envelope (``event``) plus ``id``, ``type``, ``lead`` and
``ws`` fields for people reading the stream with ``redis-cli``. ``publish`` adds a batch in one ``MULTI`` pipeline, so a
batch lands whole and contiguous; the stream is capped near ``maxlen`` entries (the
store's outbox keeps the truth, as with the in-process bus's ``max_pending``).

Subscribers. Every subscription reads through a Redis consumer group:

* handlers sharing ``group="name"`` read through the group ``group:name``. Each bus
  instance is one consumer of it, and spreads what it reads round-robin over its own
  handlers of that group, so many worker processes split the events, one of them per
  event. Members of a group are expected to subscribe with the same pattern everywhere:
  an event a process reads but none of its handlers of that group match is acknowledged.
* a handler without a group gets a private group ``solo:{consumer}:{n}`` (destroyed by
  ``close``), so it sees every event published after it subscribed.

Groups start at the stream's end (``$``): events published before a group first exists
are not delivered to it.

Delivery (``drain``) is at-least-once. A message is acknowledged (``XACK``) after its
handler returns. A handler that raises leaves it pending; once idle longer than
``visibility_timeout`` any consumer of the group claims it (``XAUTOCLAIM``) and delivers
it again, which is also how the messages of a crashed process are taken over. After
``max_deliveries`` attempts a message goes to the dead-letter stream ``{prefix}:dead``
and is acknowledged, so one poison event cannot block a group forever. Entries that are
not a valid event envelope are dead-lettered, acknowledged and counted (``malformed``)
without reaching a handler. A redelivered event may arrive after later events of its
lead; subscribers de-duplicate by event id and must tolerate that, as ``base.py`` says.

Configuration by URL (``open_bus``): ``redis://host:6379/0?prefix=acme&maxlen=500000
&visibility_timeout=60&max_deliveries=10&consumer=worker-1``; any other query argument
goes to redis-py (``socket_timeout``, ``health_check_interval``, ...).
"""

from __future__ import annotations

import fnmatch
import logging
import os
import socket
import threading
import time
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, cast
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import redis
from pydantic import ValidationError

from leadflow.bus.base import Bus, Handler
from leadflow.domain.events import Event
from leadflow.exceptions import ConfigError, Unavailable

log = logging.getLogger(__name__)

# (stream entry id, fields); fields is None for an entry trimmed while it was pending
_Entry = tuple[bytes, dict[bytes, bytes] | None]


@dataclass
class _Group:
    """One Redis consumer group and this instance's handlers reading through it."""

    name: str
    solo: bool
    handlers: list[tuple[str, Handler]] = field(default_factory=list)
    turn: int = 0
    claim_cursor: str = "0-0"

    def choose(self, event_type: str) -> Handler | None:
        matching = [h for pattern, h in self.handlers if fnmatch.fnmatchcase(event_type, pattern)]
        if not matching:
            return None
        self.turn += 1
        return matching[(self.turn - 1) % len(matching)]


def _default_consumer() -> str:
    return f"{socket.gethostname()}-{os.getpid()}-{uuid.uuid4().hex[:6]}"


@contextmanager
def _translated(what: str) -> Iterator[None]:
    """Redis's connection faults become ``Unavailable`` (retryable), at this boundary."""
    try:
        yield
    except (redis.ConnectionError, redis.TimeoutError) as exc:
        raise Unavailable(f"Redis bus: {what} failed: {exc}") from exc


class RedisStreamsBus(Bus):
    """A ``Bus`` over one Redis stream with consumer groups; see the module docstring."""

    def __init__(
        self,
        url: str,
        *,
        stream_prefix: str = "leadflow",
        consumer: str | None = None,
        maxlen: int = 1_000_000,
        visibility_timeout: float = 30.0,
        max_deliveries: int = 10,
        batch: int = 200,
        client_options: dict[str, Any] | None = None,
    ) -> None:
        if not stream_prefix or any(c.isspace() for c in stream_prefix):
            raise ConfigError(f"Redis bus: bad stream prefix {stream_prefix!r}")
        if maxlen < 1 or batch < 1 or max_deliveries < 1 or visibility_timeout <= 0:
            raise ConfigError(
                "Redis bus: maxlen, batch and max_deliveries must be at least 1, visibility_timeout above 0"
            )
        self.stream = f"{stream_prefix}:events"
        self.dead_stream = f"{stream_prefix}:dead"
        self.consumer = consumer or _default_consumer()
        self.maxlen = maxlen
        self.visibility_ms = max(1, int(visibility_timeout * 1000))
        self.max_deliveries = max_deliveries
        self.batch = batch
        self.errors = 0  # handler calls that raised (the message stays pending)
        self.malformed = 0  # entries that were not an event envelope (dead-lettered)
        self.dead_lettered = 0  # messages given up on after max_deliveries
        self._groups: dict[str, _Group] = {}
        self._solo_count = 0
        self._lock = threading.RLock()  # one drain at a time per instance
        self._closed = False
        try:
            self._r = redis.Redis.from_url(url, **(client_options or {}))
        except ValueError as exc:
            raise ConfigError(f"Redis bus: bad URL: {exc}") from exc
        with _translated("connecting"):
            self._r.ping()

    @classmethod
    def from_url(cls, url: str) -> RedisStreamsBus:
        """Build from a URL whose query may carry this bus's options (see the module docstring)."""
        parts = urlsplit(url)
        ours: dict[str, Any] = {}
        rest: list[tuple[str, str]] = []
        for key, value in parse_qsl(parts.query, keep_blank_values=True):
            try:
                if key == "prefix":
                    ours["stream_prefix"] = value
                elif key == "consumer":
                    ours["consumer"] = value
                elif key in ("maxlen", "max_deliveries", "batch"):
                    ours[key] = int(value)
                elif key == "visibility_timeout":
                    ours[key] = float(value)
                else:
                    rest.append((key, value))
            except ValueError:
                raise ConfigError(f"Redis bus URL: {key}={value!r} is not a number") from None
        return cls(urlunsplit(parts._replace(query=urlencode(rest))), **ours)

    # ------------------------------------------------------------------ publish

    def publish(self, events: Sequence[Event]) -> None:
        if not events:
            return
        pipe = self._r.pipeline(transaction=True)
        for e in events:
            fields = {
                "id": e.id,
                "type": e.type,
                "lead": e.lead_id,
                "ws": e.workspace_id,
                "event": e.model_dump_json(),
            }
            pipe.xadd(self.stream, fields, maxlen=self.maxlen, approximate=True)  # type: ignore[arg-type]
        with _translated("publish"):
            pipe.execute()

    # ---------------------------------------------------------------- subscribe

    def subscribe(self, pattern: str, handler: Handler, *, group: str | None = None) -> None:
        if not pattern:
            raise ConfigError("Redis bus: an empty pattern matches nothing")
        if group is not None and not group:
            raise ConfigError("Redis bus: a group name cannot be empty (use group=None)")
        with self._lock:
            if group is None:
                self._solo_count += 1
                g = _Group(f"solo:{self.consumer}:{self._solo_count}", solo=True)
            else:
                g = self._groups.get(f"group:{group}") or _Group(f"group:{group}", solo=False)
            if g.name not in self._groups:
                self._create_group(g.name)
                self._groups[g.name] = g
            g.handlers.append((pattern, handler))

    def _create_group(self, name: str) -> None:
        try:
            with _translated("creating a consumer group"):
                self._r.xgroup_create(self.stream, name, id="$", mkstream=True)
        except redis.ResponseError as exc:
            if "BUSYGROUP" not in str(exc):  # the group exists: join it where it is
                raise

    # -------------------------------------------------------------------- drain

    def drain(self, *, timeout: float = 0.0) -> int:
        """Deliver what is pending; if nothing was, wait up to ``timeout`` seconds for more."""
        deadline = time.monotonic() + max(0.0, timeout)
        delivered = 0
        anything = False
        first = True
        with self._lock, _translated("drain"):
            while True:
                tail = self._tail() if timeout > 0 else "0-0"  # only needed to wait
                read, n = self._pass(reclaim=first)
                first = False
                delivered += n
                anything = anything or read > 0
                if read:
                    continue
                remaining = deadline - time.monotonic()
                if anything or remaining <= 0:
                    return delivered
                # Wake as soon as anything is added after the tail seen before the pass.
                self._r.xread({self.stream: tail}, count=1, block=max(1, int(remaining * 1000)))

    def _tail(self) -> bytes | str:
        last = cast(list[_Entry], self._r.xrevrange(self.stream, "+", "-", count=1))
        return last[0][0] if last else "0-0"

    def _pass(self, *, reclaim: bool) -> tuple[int, int]:
        """One read for each group (first taking over long-idle messages); (read, delivered)."""
        read = delivered = 0
        for g in list(self._groups.values()):
            entries: list[_Entry] = []
            try:
                if reclaim:
                    entries += self._reclaim(g)
                got = cast(
                    list[tuple[bytes, list[_Entry]]],
                    self._r.xreadgroup(g.name, self.consumer, {self.stream: ">"}, count=self.batch),
                )
            except redis.ResponseError as exc:
                if "NOGROUP" not in str(exc):
                    raise
                # The stream or group was deleted under us (FLUSHDB, an operator): start again.
                log.warning("bus group %s vanished from %s; created again", g.name, self.stream)
                self._create_group(g.name)
                g.claim_cursor = "0-0"
                continue
            for _, stream_entries in got or []:
                entries += stream_entries
            read += len(entries)
            delivered += self._deliver(g, entries)
        return read, delivered

    def _reclaim(self, g: _Group) -> list[_Entry]:
        """Claim messages of ``g`` idle past the visibility timeout; dead-letter worn-out ones."""
        res = self._r.xautoclaim(
            self.stream, g.name, self.consumer, self.visibility_ms, start_id=g.claim_cursor, count=self.batch
        )
        cursor, claimed = res[0], cast(list[_Entry], res[1])
        g.claim_cursor = cursor.decode() if isinstance(cursor, bytes) else str(cursor)
        deleted = list(res[2]) if len(res) > 2 else []
        lost = deleted + [mid for mid, fields in claimed if fields is None]
        if lost:  # trimmed by maxlen while pending: nothing left to deliver
            log.warning("bus group %s: %d pending messages were trimmed before delivery", g.name, len(lost))
            self._r.xack(self.stream, g.name, *lost)
        live = [(mid, fields) for mid, fields in claimed if fields is not None]
        if not live:
            return []
        # the claimed ids' delivery counts (the range may hold other pending ids of ours: read past them)
        counts = {
            p["message_id"]: int(p["times_delivered"])
            for p in self._r.xpending_range(
                self.stream, g.name, live[0][0], live[-1][0], len(live) + 1000, self.consumer
            )
        }
        keep: list[_Entry] = []
        for mid, fields in live:
            # XAUTOCLAIM counted this claim as a delivery; the handler has had one fewer tries
            if counts.get(mid, 0) > self.max_deliveries:
                self.dead_lettered += 1
                log.error(
                    "bus group %s: giving up on %s after %d deliveries; moved to %s",
                    g.name,
                    mid,
                    self.max_deliveries,
                    self.dead_stream,
                )
                self._bury(g, mid, fields, "max_deliveries")
            else:
                keep.append((mid, fields))
        return keep

    def _deliver(self, g: _Group, entries: list[_Entry]) -> int:
        delivered = 0
        acks: list[bytes] = []
        for mid, fields in entries:
            if fields is None:
                acks.append(mid)
                continue
            try:
                event = Event.model_validate_json(fields[b"event"])
            except (KeyError, ValidationError) as exc:
                self.malformed += 1
                log.warning(
                    "bus group %s: entry %s is not an event envelope (%s); moved to %s",
                    g.name,
                    mid,
                    type(exc).__name__,
                    self.dead_stream,
                )
                self._bury(g, mid, fields, "malformed")
                continue
            handler = g.choose(event.type)
            if handler is None:
                acks.append(mid)
                continue
            try:
                handler(event)
            except Exception:
                self.errors += 1
                log.exception(
                    "bus subscriber failed on %s (group %s); left pending for redelivery", event.id, g.name
                )
                continue
            acks.append(mid)
            delivered += 1
        if acks:
            self._r.xack(self.stream, g.name, *acks)
        return delivered

    def _bury(self, g: _Group, mid: bytes, fields: dict[bytes, bytes], reason: str) -> None:
        """Copy an entry to the dead-letter stream and acknowledge it, in one transaction."""
        dead: dict[bytes, bytes] = {
            **fields,
            b"dead_reason": reason.encode(),
            b"dead_group": g.name.encode(),
            b"dead_entry": mid,
        }
        pipe = self._r.pipeline(transaction=True)
        pipe.xadd(self.dead_stream, dead, maxlen=self.maxlen, approximate=True)  # type: ignore[arg-type]
        pipe.xack(self.stream, g.name, mid)
        pipe.execute()

    # -------------------------------------------------------------------- close

    def close(self) -> None:
        """Drop this instance's private groups and close the connection (idempotent)."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
            try:
                for g in self._groups.values():
                    if g.solo:
                        self._r.xgroup_destroy(self.stream, g.name)
            except redis.RedisError as exc:  # best effort: an orphan group only costs memory
                log.warning("Redis bus: could not drop private groups on close: %s", exc)
            finally:
                self._r.close()
