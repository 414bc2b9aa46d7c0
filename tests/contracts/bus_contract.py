"""The bus contract: every ``Bus`` backend passes these scenarios.

A backend's test module subclasses ``BusContract`` (no ``Test`` prefix, so the base is not
collected) and implements ``make_bus``. Delivery is checked through ``deliver``, which a
backend whose delivery is asynchronous may override to wait for what it expects.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from leadflow.bus.base import Bus
from leadflow.domain.events import Event, EventType

T0 = datetime(2025, 3, 3, 9, 0, tzinfo=UTC)


def event(eid: str, type: str = EventType.LEAD_UPDATED, *, lead_id: str = "l1") -> Event:
    return Event(id=eid, type=type, lead_id=lead_id, workspace_id="ws-a", at=T0, payload={"n": eid})


class Recorder:
    """A subscriber that keeps the ids it saw, optionally failing on some of them."""

    def __init__(self, *, fail_on: frozenset[str] = frozenset()) -> None:
        self.seen: list[str] = []
        self.fail_on = fail_on

    def __call__(self, e: Event) -> None:
        self.seen.append(e.id)
        if e.id in self.fail_on:
            raise RuntimeError(f"subscriber failed on {e.id}")


class BusContract:
    """Scenarios every ``Bus`` backend must pass. Subclasses implement ``make_bus``."""

    def make_bus(self) -> Bus:
        raise NotImplementedError

    def deliver(self, bus: Bus) -> int:
        """Deliver everything published so far; returns the deliveries made."""
        return bus.drain(timeout=1.0)

    @pytest.fixture
    def bus(self) -> Iterator[Bus]:
        b = self.make_bus()
        try:
            yield b
        finally:
            b.close()

    def test_glob_subscribers_receive_events_in_publish_order(self, bus: Bus) -> None:
        leads, everything, replies = Recorder(), Recorder(), Recorder()
        bus.subscribe("lead.*", leads)
        bus.subscribe("*", everything)
        bus.subscribe("reply.received", replies)
        batch = [
            event("e1", EventType.LEAD_CREATED),
            event("e2", EventType.REPLY_RECEIVED),
            event("e3", EventType.LEAD_UPDATED),
        ]
        bus.publish(batch)
        bus.publish([event("e4", EventType.LEAD_QUALIFIED), event("e5", EventType.MESSAGE_SENT)])
        assert self.deliver(bus) == 3 + 5 + 1
        assert leads.seen == ["e1", "e3", "e4"]
        assert everything.seen == ["e1", "e2", "e3", "e4", "e5"]
        assert replies.seen == ["e2"]
        # delivered once: draining again delivers nothing new
        assert self.deliver(bus) == 0
        assert everything.seen == ["e1", "e2", "e3", "e4", "e5"]

    def test_nothing_is_delivered_before_drain_or_when_nothing_is_published(self, bus: Bus) -> None:
        seen = Recorder()
        bus.subscribe("*", seen)
        assert self.deliver(bus) == 0
        bus.publish([])
        assert self.deliver(bus) == 0
        assert seen.seen == []

    def test_a_group_shares_events_among_its_handlers(self, bus: Bus) -> None:
        workers = [Recorder(), Recorder(), Recorder()]
        for w in workers:
            bus.subscribe("lead.*", w, group="crm-sync")
        solo = Recorder()
        bus.subscribe("lead.*", solo)
        ids = [f"e{n}" for n in range(30)]
        bus.publish([event(i) for i in ids])
        assert self.deliver(bus) == 30 + 30
        shared = [i for w in workers for i in w.seen]
        assert sorted(shared) == sorted(ids)  # each event to exactly one member of the group
        assert len(set(shared)) == len(shared)
        for w in workers:  # each member keeps the publish order of what it got
            assert w.seen == [i for i in ids if i in w.seen]
        assert solo.seen == ids  # a handler without a group gets every event

    def test_two_groups_each_get_every_event(self, bus: Bus) -> None:
        a1, a2, b1 = Recorder(), Recorder(), Recorder()
        bus.subscribe("*", a1, group="a")
        bus.subscribe("*", a2, group="a")
        bus.subscribe("*", b1, group="b")
        ids = [f"e{n}" for n in range(10)]
        bus.publish([event(i) for i in ids])
        self.deliver(bus)
        assert sorted(a1.seen + a2.seen) == sorted(ids)
        assert b1.seen == ids

    def test_a_failing_subscriber_does_not_stop_the_others(self, bus: Bus) -> None:
        flaky = Recorder(fail_on=frozenset({"e1", "e3"}))
        steady = Recorder()
        bus.subscribe("*", flaky)
        bus.subscribe("*", steady)
        bus.publish([event(f"e{n}") for n in range(1, 5)])
        self.deliver(bus)
        assert steady.seen == ["e1", "e2", "e3", "e4"]
        assert flaky.seen == ["e1", "e2", "e3", "e4"]  # it failed on two and still got the rest

    def test_unmatched_patterns_get_nothing(self, bus: Bus) -> None:
        replies, timers = Recorder(), Recorder()
        bus.subscribe("reply.*", replies)
        bus.subscribe("timer.fired", timers)
        bus.publish([event("e1", EventType.LEAD_CREATED), event("e2", EventType.MESSAGE_SENT)])
        assert self.deliver(bus) == 0
        assert replies.seen == [] and timers.seen == []
