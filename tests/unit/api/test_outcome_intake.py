"""``Intake.record_outcome`` on the in-memory and SQLite stores: idempotency, validation, races."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from pathlib import Path

import pytest

from leadflow.domain.models import Campaign, Lead, Stage
from leadflow.exceptions import Conflict, InvalidInput, NotFound
from leadflow.orchestrator.clock import FixedClock
from leadflow.orchestrator.intake import Intake, recorded_outcome
from leadflow.state import MemoryStore, open_store
from leadflow.state.base import Store
from leadflow.state.records import Commit

NOW = datetime(2024, 3, 5, 15, 0, tzinfo=UTC)
WS = "acme"


@pytest.fixture(params=["memory", "sqlite"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    s: Store = MemoryStore() if request.param == "memory" else open_store(f"sqlite:///{tmp_path / 'o.db'}")
    s.save_campaign(WS, Campaign(name="c"))
    yield s
    s.close()


def new_lead(intake: Intake, n: int = 1) -> str:
    state, _ = intake.create_lead(
        WS, "c", Lead(first_name="Ann", email=f"ann{n}@acme.com", source_lead_id=f"s{n}")
    )
    return state.lead_id


def test_won_and_lost_record_the_outcome_and_one_event(store: Store) -> None:
    intake = Intake(store=store, clock=FixedClock(NOW))
    won, lost = new_lead(intake, 1), new_lead(intake, 2)
    outcome, fresh = intake.record_outcome(
        WS, won, outcome="won", amount=9000.0, outcome_id="x1", source="crm"
    )
    assert fresh and outcome.outcome == "won" and outcome.at == NOW
    assert intake.record_outcome(WS, won, outcome="won", amount=9000.0, outcome_id="x1") == (outcome, False)
    intake.record_outcome(WS, lost, outcome="lost", reason="no budget")
    state = store.get_lead(WS, won)
    assert state.stage is Stage.WON and recorded_outcome(state) == outcome
    assert store.get_lead(WS, lost).stage is Stage.LOST
    types = [e.type for e in store.lead_events(WS, won)]
    assert types.count("lead.converted") == 1 and "lead.lost" not in types
    (lost_event,) = [e for e in store.lead_events(WS, lost) if e.type == "lead.lost"]
    assert lost_event.payload["reason"] == "no budget" and lost_event.source == "intake:api"


def test_invalid_input_writes_nothing(store: Store) -> None:
    intake = Intake(store=store, clock=FixedClock(NOW))
    lead_id = new_lead(intake)
    before = len(store.lead_events(WS, lead_id))
    for kwargs in (
        {"outcome": "maybe"},
        {"outcome": "won", "amount": -1.0},
        {"outcome": "won", "amount": float("nan")},
        {"outcome": "won", "outcome_id": " "},
        {"outcome": "lost", "reason": "x" * 1001},
    ):
        with pytest.raises(InvalidInput) as err:
            intake.record_outcome(WS, lead_id, **kwargs)  # type: ignore[arg-type]
        assert err.value.details and str(err.value).startswith("invalid outcome")
    with pytest.raises(NotFound):
        intake.record_outcome(WS, "ghost", outcome="won")
    with pytest.raises(NotFound):
        intake.record_outcome("other", lead_id, outcome="won")
    assert len(store.lead_events(WS, lead_id)) == before
    assert store.get_lead(WS, lead_id).stage is Stage.NEW


def test_a_lost_do_not_contact_lead_stays_do_not_contact(store: Store) -> None:
    intake = Intake(store=store, clock=FixedClock(NOW))
    lead_id = new_lead(intake)
    state = store.get_lead(WS, lead_id)
    dnc = state.model_copy(update={"stage": Stage.DO_NOT_CONTACT})
    assert store.apply([Commit(WS, lead_id, expected_version=state.version, state=dnc, at=NOW)]) == [None]
    intake.record_outcome(WS, lead_id, outcome="lost")
    state = store.get_lead(WS, lead_id)
    assert state.stage is Stage.DO_NOT_CONTACT and recorded_outcome(state) is not None


class RacingStore:
    """Wraps a store; the first ``apply`` loses a race with another writer (who moved the lead)."""

    def __init__(self, inner: Store, lead_id: str) -> None:
        self.inner, self.lead_id, self.raced = inner, lead_id, False

    def __getattr__(self, name: str) -> object:
        return getattr(self.inner, name)

    def apply(self, commits: Sequence[Commit]) -> list[Exception | None]:
        if not self.raced:
            self.raced = True
            state = self.inner.get_lead(WS, self.lead_id)
            moved = state.model_copy(update={"touches": state.touches + 1})
            assert self.inner.apply(
                [Commit(WS, self.lead_id, expected_version=state.version, state=moved)]
            ) == [None]
        return self.inner.apply(commits)


def test_a_concurrent_change_is_retried_and_kept(store: Store) -> None:
    lead_id = new_lead(Intake(store=store, clock=FixedClock(NOW)))
    racing = RacingStore(store, lead_id)
    intake = Intake(store=racing, clock=FixedClock(NOW))  # type: ignore[arg-type]
    _, fresh = intake.record_outcome(WS, lead_id, outcome="won")
    state = store.get_lead(WS, lead_id)
    assert fresh and racing.raced and state.touches == 1 and state.stage is Stage.WON


def test_conflicts_name_what_is_on_record(store: Store) -> None:
    intake = Intake(store=store, clock=FixedClock(NOW))
    a, b = new_lead(intake, 1), new_lead(intake, 2)
    intake.record_outcome(WS, a, outcome="won", outcome_id="deal-1")
    with pytest.raises(Conflict, match="already marked won"):
        intake.record_outcome(WS, a, outcome="lost", outcome_id="deal-2")
    with pytest.raises(Conflict, match="another lead"):
        intake.record_outcome(WS, b, outcome="won", outcome_id="deal-1")
    assert store.get_lead(WS, b).stage is Stage.NEW
