"""Helpers for the simulator tests: a simulated world over a memory store, wired to intake."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime

from leadflow.domain.models import Campaign
from leadflow.orchestrator.clock import FixedClock
from leadflow.orchestrator.intake import Intake
from leadflow.sim import SimProspect
from leadflow.sim.world import SimWorld
from leadflow.state import MemoryStore


@contextmanager
def world_over(
    prospects: list[SimProspect], *, seed: int, now: datetime, workspace: str = "demo"
) -> Iterator[tuple[SimWorld, MemoryStore, FixedClock]]:
    """A ``SimWorld`` whose prospects are leads of campaign "c" in a memory store, wired to intake."""
    store, clock = MemoryStore(), FixedClock(now)
    store.save_campaign(workspace, Campaign(name="c"))
    intake = Intake(store=store, clock=clock)
    for p in prospects:
        intake.create_lead(workspace, "c", p.lead, lead_id=p.id)
    world = SimWorld(prospects=prospects, seed=seed, clock=clock)
    world.intake = intake
    try:
        yield world, store, clock
    finally:
        world.close()
