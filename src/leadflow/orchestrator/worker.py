"""The worker loop: relay committed events to the bus, route the inbox, fire timers, dispatch.

``tick`` does one round of each. ``run_until_idle`` repeats until nothing is left; with a
simulated clock it then jumps time to the next timer, scheduled send or simulated reply,
which is how a 45-day campaign runs in seconds. Everything it does is driven by durable
rows in the store, so a worker killed at any point and restarted carries on where it was.
"""

from __future__ import annotations

import logging
import time
from datetime import datetime
from typing import Any, Protocol

from leadflow.bus.base import Bus
from leadflow.domain.events import EventType, new_event
from leadflow.exceptions import DuplicateMessage
from leadflow.orchestrator.dispatcher import Dispatcher
from leadflow.orchestrator.engine import Orchestrator, derived_id
from leadflow.orchestrator.intake import Arrival
from leadflow.state.base import Store
from leadflow.state.poison import is_unreadable
from leadflow.state.records import Commit

log = logging.getLogger(__name__)


class InboundSource(Protocol):
    """Something replies come from (an IMAP poller, an SMS webhook queue, the simulator)."""

    def take(self, now: datetime) -> list[Arrival]:
        """What has arrived by ``now`` and is not acknowledged yet, for the worker to commit
        with its next batch (it calls each one's ``done`` once that batch is committed)."""
        ...

    def next_arrival(self) -> datetime | None: ...


class Worker:
    def __init__(
        self,
        *,
        store: Store,
        bus: Bus,
        orchestrator: Orchestrator,
        dispatcher: Dispatcher,
        clock: Any,
        inbound: list[InboundSource] | None = None,
        batch: int = 200,
    ) -> None:
        self.store = store
        self.bus = bus
        self.orchestrator = orchestrator
        self.dispatcher = dispatcher
        self.clock = clock
        self.inbound = inbound or []
        self.batch = batch
        self._routed = orchestrator.routes.listens_to()
        self._relay_more = True  # the first round publishes whatever an earlier run left

    RELAY_BATCH = 2000

    def relay(self) -> int:
        if not self.bus.listening():  # an in-process bus nobody subscribes to: nothing to hand over
            seqs = self.store.unpublished_seqs(limit=self.RELAY_BATCH)
            if seqs:
                self.store.mark_published(seqs)
            self._relay_more = len(seqs) >= self.RELAY_BATCH
            return len(seqs)
        rows = self.store.unpublished(limit=self.RELAY_BATCH)
        if rows:
            # an unreadable event's stand-in is marked published without being handed to the bus
            self.bus.publish([e for _, e in rows if not is_unreadable(e)])
            self.store.mark_published([s for s, _ in rows])
            self.bus.drain()
        self._relay_more = len(rows) >= self.RELAY_BATCH
        return len(rows)

    def fire_timers(self) -> int:
        """Fire the due timers in a transaction of their own (``tick`` has the orchestrator
        write them in its first batch instead)."""
        commits = self.timer_commits()
        for result in self.store.apply(commits):
            if result is not None and not isinstance(result, DuplicateMessage):
                log.warning("timer commit refused: %s", result)
        return len(commits)

    def timer_commits(self) -> list[Commit]:
        """The commits that fire the due timers: each marks its timer fired and records its event."""
        now = self.clock.now()
        due = self.store.due_timers(now, limit=self.batch)
        commits = []
        for timer in due:
            spec = timer.spec
            type_ = spec.payload.get("emit") or EventType.TIMER_FIRED
            event = new_event(
                type_,
                lead_id=timer.lead_id,
                workspace_id=timer.workspace_id,
                at=now,
                payload={**spec.payload, "timer": spec.name, "agent": spec.agent, "route": spec.route},
                source="timer",
                event_id=derived_id("timer", timer.seq),
            )
            commits.append(
                Commit(
                    timer.workspace_id,
                    timer.lead_id,
                    events=[event],
                    fire_timer=timer.seq,
                    quiet=set() if event.type in self._routed else {event.id},
                    at=now,
                )
            )
        return commits

    @staticmethod
    def _take(source: InboundSource, now: datetime) -> list[Arrival]:
        """What ``source`` has taken in; nothing this round if it raised (a message past the input
        limits, a mailbox that is down): it offers the rest again, and the other work goes on."""
        try:
            return source.take(now)
        except Exception:
            log.exception("inbound source %r failed; skipped this round", source)
            return []

    def tick(self) -> int:
        now = self.clock.now()
        # what arrived and the timers that fired are written with the first batch, with no
        # transaction of their own
        arrived = [a for source in self.inbound for a in self._take(source, now)]
        fired = self.timer_commits()
        work = len(arrived) + len(fired)
        for _ in range(50):
            n = self.orchestrator.process(limit=self.batch, fired=fired, arrived=arrived)
            fired, arrived = [], []
            work += n
            if n == 0 or not self.orchestrator.more:
                break
        work += self.dispatcher.dispatch(limit=self.batch)
        if work or self._relay_more:  # an idle round wrote nothing new to publish
            self.relay()
        return work

    def run_until_idle(self, *, simulate: bool = False, max_rounds: int = 1_000_000) -> int:
        """Work until idle. With ``simulate``, jump the clock to the next due thing and go on."""
        rounds = 0
        while rounds < max_rounds:
            rounds += 1
            if self.tick():
                continue
            if not simulate:
                return rounds
            wakeups = [w for w in [self.store.next_wakeup(), *(s.next_arrival() for s in self.inbound)] if w]
            if not wakeups:
                return rounds
            nxt = min(wakeups)
            if nxt <= self.clock.now():
                continue  # something became due while we looked; the deferred inbox retries too
            self.clock.advance_to(nxt)
        return rounds

    def warm_up(self) -> None:
        """Have the agents load their offline models and data before the first round."""
        self.orchestrator.registry.warm_up()

    def wait_for_lease(self, *, stop: Any = None, interval: float = 1.0) -> bool:
        """Take the store's worker lease, waiting while another worker holds it; False when
        ``stop`` was set first."""
        if self.store.try_worker_lease():
            return True
        log.warning(
            "another worker is running on this database (SQLite runs one worker loop at a time); "
            "standing by until it stops"
        )
        while stop is None or not stop.is_set():
            if stop is not None:
                stop.wait(interval)
            else:
                time.sleep(interval)
            if self.store.try_worker_lease():
                log.warning("the other worker stopped: this one takes over")
                return True
        return False

    def run_forever(self, *, poll_interval: float = 0.2, stop: Any = None, max_backoff: float = 30.0) -> None:
        """Warm up, then tick until ``stop`` is set. A failing round (the database restarting, a
        deadlock between workers) is logged and retried with backoff: everything it did is
        either committed or will be done again, so the worker never has to exit for it.

        On SQLite, one worker loop runs per database: while another process holds the
        database's worker lease, this one stands by and takes over when that one stops."""
        failures = 0
        while True:  # start-up (the lease, the warm-up) is retried like a round: the database may be restarting
            try:
                if not self.wait_for_lease(stop=stop, interval=max(poll_interval, 1.0)):
                    return
                self.warm_up()
                break
            except Exception:
                failures += 1
                log.exception("worker start-up failed (%d in a row); retrying", failures)
                delay = min(max_backoff, poll_interval * 2**failures)
                if stop is not None and stop.wait(delay):
                    return
                if stop is None:
                    time.sleep(delay)
        failures = 0
        while stop is None or not stop.is_set():
            try:
                busy = self.tick()
            except Exception:
                failures += 1
                log.exception("worker round failed (%d in a row); retrying", failures)
                time.sleep(min(max_backoff, poll_interval * 2**failures))
                continue
            failures = 0
            if not busy:
                time.sleep(poll_interval)
