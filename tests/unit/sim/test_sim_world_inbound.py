"""``SimWorld`` as the worker's inbound source: replies are handed over, and flagged only once committed."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from tests.unit.sim.sim_helpers import world_over

from leadflow.domain.actions import ActionKind, OutboundAction
from leadflow.exceptions import Conflict
from leadflow.orchestrator.clock import FixedClock
from leadflow.sim import SimProspect, generate_prospects
from leadflow.sim.world import SimWorld
from leadflow.state import MemoryStore

SEED = 5
NOW = datetime(2026, 3, 2, 14, 0, tzinfo=UTC)
WS = "demo"


@pytest.fixture
def world() -> Iterator[tuple[SimWorld, MemoryStore, FixedClock, list[SimProspect]]]:
    prospects = generate_prospects(seed=SEED, n=60)
    with world_over(prospects, seed=SEED, now=NOW, workspace=WS) as (w, store, clock):
        yield w, store, clock, prospects


def _mail_everyone(world: SimWorld, prospects: list[SimProspect]) -> None:
    for p in prospects:
        action = OutboundAction(kind=ActionKind.SEND_EMAIL, idempotency_key=f"{p.id}:hello", to=str(p.lead.email),
                                subject="Quick question", body="Would this help your team?", agent="response")  # fmt: skip
        world.deliver(action, workspace_id=WS, lead_id=p.id)


def test_replies_are_offered_until_their_commit_is_done(
    world: tuple[SimWorld, MemoryStore, FixedClock, list[SimProspect]],
) -> None:
    w, store, clock, prospects = world
    _mail_everyone(w, prospects)
    assert w.take(clock.now()) == []  # nothing has arrived yet
    assert w.next_arrival() is not None
    clock.advance_to(max(datetime.fromisoformat(at) for *_, at in w.replies()))
    offered = w.take(clock.now())
    assert len(offered) == len(w.replies()) > 0
    again = w.take(clock.now())  # the worker died before committing: all offered again, same ids
    assert [a.commit.events[0].id for a in again] == [a.commit.events[0].id for a in offered]
    ok = again[: len(again) // 2]
    for arrival in ok:
        assert store.apply([arrival.commit]) == [None]
        arrival.done(None)
    assert store.apply([again[len(ok)].commit]) == [None]  # committed, then killed before ``done``
    again[-1].done(Conflict("refused for another reason"))  # not flagged: offered again
    left = w.take(clock.now())
    assert [a.commit.events[0].id for a in left] == [a.commit.events[0].id for a in again[len(ok) :]]
    results = [store.apply([arrival.commit])[0] for arrival in left]
    assert type(results[0]).__name__ == "DuplicateMessage" and results[1:] == [None] * (len(left) - 1)
    for arrival, result in zip(left, results, strict=True):
        arrival.done(result)  # a repeat is flagged too
    assert w.take(clock.now()) == [] and w.next_arrival() is None
    received = [e for p in prospects for e in store.lead_events(WS, p.id) if e.type == "reply.received"]
    assert len(received) == len(offered)  # each reply recorded once
