"""The simulated seller inside ``SimWorld``: decided on the after-meeting note, reported through intake."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from tests.unit.sim.sim_helpers import world_over

from leadflow.domain.actions import ActionKind, OutboundAction
from leadflow.domain.models import Stage
from leadflow.integrations.calendar._ics import Method, ics_attachment, invite_ics
from leadflow.orchestrator.clock import FixedClock
from leadflow.orchestrator.intake import recorded_outcome
from leadflow.sim import SimProspect, deal_outcome, generate_prospects
from leadflow.sim.deals import churn_prone
from leadflow.sim.world import SimWorld
from leadflow.state import MemoryStore

SEED = 5
NOW = datetime(2026, 3, 2, 14, 0, tzinfo=UTC)
WS = "demo"


@pytest.fixture
def prospects() -> list[SimProspect]:
    return generate_prospects(seed=SEED, n=120)


@pytest.fixture
def setup(prospects: list[SimProspect]) -> Iterator[tuple[SimWorld, MemoryStore, FixedClock]]:
    with world_over(prospects, seed=SEED, now=NOW, workspace=WS) as opened:
        yield opened


def note(lead_id: str, key: str = "closing:after_meeting") -> OutboundAction:
    return OutboundAction(
        kind=ActionKind.NOTIFY_HUMAN,
        idempotency_key=f"{lead_id}:{key}",
        to="sam@example.com",
        subject="Follow up after your call",
        body="Your call is over.",
        agent="closing",
    )


def invite(p: SimProspect, end: datetime, method: Method = "REQUEST", n: int = 0) -> OutboundAction:
    ics = invite_ics(uid=f"{p.id}@cal", sequence=n, start=end - timedelta(minutes=30), end=end, summary="call",
                     organizer=("Sam", "sam@example.com"), attendee=(p.lead.full_name, str(p.lead.email)),
                     stamp=NOW, method=method)  # fmt: skip
    return OutboundAction(kind=ActionKind.SEND_EMAIL, idempotency_key=f"{p.id}:appointment:{method}:{n}",
                          to=str(p.lead.email), subject="Confirmed", body="See you then.", agent="appointment",
                          payload={"attachments": [ics_attachment(ics, method)]})  # fmt: skip


def test_the_invite_puts_the_report_after_the_meeting_and_moves_or_drops_it(
    setup: tuple[SimWorld, MemoryStore, FixedClock], prospects: list[SimProspect]
) -> None:
    world, store, clock = setup
    p = prospects[2]
    delay = deal_outcome(p, seed=SEED).delay
    first_end = NOW + timedelta(days=3)
    world.deliver(invite(p, first_end), workspace_id=WS, lead_id=p.id)
    assert [at for *_, at in world.outcomes()] == [first_end + delay]
    moved_end = NOW + timedelta(days=6)
    world.deliver(invite(p, moved_end, n=1), workspace_id=WS, lead_id=p.id)
    assert [at for *_, at in world.outcomes()] == [moved_end + delay]
    world.deliver(note(p.id), workspace_id=WS, lead_id=p.id)  # the after-meeting note does not move it again
    assert [at for *_, at in world.outcomes()] == [moved_end + delay]
    world.deliver(invite(p, moved_end, "CANCEL", n=2), workspace_id=WS, lead_id=p.id)
    assert world.outcomes() == []
    clock.advance_to(moved_end + timedelta(days=10))
    world.poll(clock.now())
    assert recorded_outcome(store.get_lead(WS, p.id)) is None


def test_the_seller_reports_after_the_meeting_once(
    setup: tuple[SimWorld, MemoryStore, FixedClock], prospects: list[SimProspect]
) -> None:
    world, store, clock = setup
    p = prospects[0]
    world.deliver(note(p.id, "closing:brief:0"), workspace_id=WS, lead_id=p.id)
    assert world.outcomes() == [] and world.next_arrival() is None  # a brief is not the end of the meeting
    expected = deal_outcome(p, seed=SEED)
    world.deliver(note(p.id), workspace_id=WS, lead_id=p.id)
    assert world.deliver(note(p.id), workspace_id=WS, lead_id=p.id).duplicate
    assert world.outcomes() == [(p.id, expected.outcome, expected.amount, NOW + expected.delay)]
    assert world.next_arrival() == NOW + expected.delay
    assert world.poll(NOW + expected.delay - timedelta(seconds=1)) == 0
    assert store.get_lead(WS, p.id).stage is Stage.NEW
    clock.advance_to(NOW + expected.delay)
    assert world.poll(clock.now()) == 1
    state = store.get_lead(WS, p.id)
    outcome = recorded_outcome(state)
    assert outcome is not None and outcome.outcome == expected.outcome and outcome.source == "sim:seller"
    assert state.stage is (Stage.WON if expected.outcome == "won" else Stage.LOST)
    assert world.poll(clock.now()) == 0 and world.next_arrival() is None


def test_a_crash_before_marking_the_report_ingested_records_it_once(
    setup: tuple[SimWorld, MemoryStore, FixedClock], prospects: list[SimProspect]
) -> None:
    world, store, clock = setup
    p = prospects[1]
    world.deliver(note(p.id), workspace_id=WS, lead_id=p.id)
    clock.advance_to(NOW + timedelta(days=10))
    world.poll(clock.now())
    world._db.execute("UPDATE outcomes SET ingested=0")  # as if killed between intake and the flag
    assert world.poll(clock.now()) == 1
    types = [e.type for e in store.lead_events(WS, p.id)]
    assert types.count("lead.converted") + types.count("lead.lost") == 1


def test_a_won_customer_answers_post_sale_mail_like_a_customer(
    setup: tuple[SimWorld, MemoryStore, FixedClock], prospects: list[SimProspect]
) -> None:
    world, _, clock = setup
    p = next(
        p for p in prospects if deal_outcome(p, seed=SEED).outcome == "won" and churn_prone(p, seed=SEED)
    )
    world.deliver(note(p.id), workspace_id=WS, lead_id=p.id)
    won_at = NOW + deal_outcome(p, seed=SEED).delay
    clock.advance_to(won_at)
    world.poll(clock.now())
    clock.advance_to(won_at + timedelta(days=30))
    check_in = OutboundAction(
        kind=ActionKind.SEND_EMAIL,
        idempotency_key=f"{p.id}:post_sale:check_in:30",
        to=str(p.lead.email),
        subject="Your 30-day check-in",
        body="One month in: how are results so far?",
        agent="post_sale",
    )
    world.deliver(check_in, workspace_id=WS, lead_id=p.id)
    ((key, lead, kind, _),) = world.replies()
    assert (key, lead, kind) == (check_in.idempotency_key, p.id, "customer_unhappy")
