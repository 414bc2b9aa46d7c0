"""The in-process bus: the embedded default. Delivery happens on ``drain`` in publish order."""

from __future__ import annotations

import fnmatch
import logging
import threading
from collections import deque
from collections.abc import Sequence

from leadflow.bus.base import Bus, Handler
from leadflow.domain.events import Event

log = logging.getLogger(__name__)


class InProcessBus(Bus):
    def __init__(self, *, max_pending: int = 100_000) -> None:
        self._subs: list[tuple[str, Handler, str | None]] = []
        self._pending: deque[Event] = deque()
        self._lock = threading.Lock()
        self._rr: dict[str, int] = {}
        self.max_pending = max_pending
        self.errors = 0

    def publish(self, events: Sequence[Event]) -> None:
        with self._lock:
            self._pending.extend(events)
            while len(self._pending) > self.max_pending:  # bounded: the store keeps the truth
                self._pending.popleft()

    def subscribe(self, pattern: str, handler: Handler, *, group: str | None = None) -> None:
        with self._lock:
            self._subs.append((pattern, handler, group))

    def listening(self) -> bool:
        with self._lock:
            return bool(self._subs)

    def drain(self, *, timeout: float = 0.0) -> int:
        delivered = 0
        while True:
            with self._lock:
                if not self._pending:
                    return delivered
                event = self._pending.popleft()
                subs = list(self._subs)
            chosen: dict[str, list[Handler]] = {}
            for pattern, handler, group in subs:
                if fnmatch.fnmatchcase(event.type, pattern):
                    chosen.setdefault(group or f"_solo{id(handler)}", []).append(handler)
            for group, handlers in chosen.items():
                n = self._rr.get(group, 0)
                self._rr[group] = n + 1
                handler = handlers[n % len(handlers)]
                try:
                    handler(event)
                    delivered += 1
                except Exception:
                    self.errors += 1
                    log.exception("bus subscriber failed on %s", event.id)
