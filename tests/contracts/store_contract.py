"""The store contract: every ``Store`` backend passes these scenarios.

A backend's test module subclasses ``StoreContract`` (the name has no ``Test`` prefix so
pytest does not collect the base) and implements ``make_store``. Each test gets a fresh,
empty store from the ``store`` fixture. Scenarios are built from real ``LeadState`` and
``Event`` objects by the small helpers below, and assert the guarantees ``state/base.py``
promises: atomic commits, optimistic concurrency, idempotent inbox/outbox, workspace
scoping, and state as a fold over the event log.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from leadflow.domain.actions import ActionKind, OutboundAction, TimerSpec
from leadflow.domain.events import Event, EventType
from leadflow.domain.models import (
    AgentStep,
    Appointment,
    Campaign,
    Channel,
    Direction,
    Escalation,
    Lead,
    LeadState,
    Message,
    Score,
    Stage,
)
from leadflow.exceptions import Conflict, DuplicateMessage, NotFound
from leadflow.state.base import Store
from leadflow.state.patch import fold
from leadflow.state.records import Commit, TraceRecord

WS_A = "ws-a"
WS_B = "ws-b"
T0 = datetime(2025, 3, 3, 9, 0, tzinfo=UTC)


def at(minutes: float) -> datetime:
    """``T0`` plus ``minutes``: scenario times that are easy to read."""
    return T0 + timedelta(minutes=minutes)


def lead_state(lead_id: str, *, workspace_id: str = WS_A, when: datetime = T0) -> LeadState:
    """A new lead at version 1, as intake builds it."""
    return LeadState(
        lead_id=lead_id,
        workspace_id=workspace_id,
        campaign="spring",
        lead=Lead(first_name="Ada", last_name="Lovelace", email=f"{lead_id}@example.com", company="Acme"),
        created_at=when,
        updated_at=when,
        version=1,
    )


def created_event(state: LeadState) -> Event:
    """The ``lead.created`` event whose payload is the initial state (what replay starts from)."""
    return Event(
        id=f"created-{state.lead_id}",
        type=EventType.LEAD_CREATED,
        lead_id=state.lead_id,
        workspace_id=state.workspace_id,
        at=state.created_at,
        correlation_id=state.lead_id,
        source="intake:test",
        payload={"state": state.model_dump(mode="json"), "version": state.version},
    )


def event(
    state: LeadState,
    eid: str,
    *,
    type: str = EventType.REPLY_RECEIVED,
    when: datetime = T0,
    **payload: Any,
) -> Event:
    return Event(
        id=eid,
        type=type,
        lead_id=state.lead_id,
        workspace_id=state.workspace_id,
        at=when,
        correlation_id=state.lead_id,
        payload=payload,
    )


def action(key: str, *, not_before: datetime | None = None, to: str = "ada@example.com") -> OutboundAction:
    return OutboundAction(
        kind=ActionKind.SEND_EMAIL,
        idempotency_key=key,
        to=to,
        subject="Hi",
        body="Hello",
        not_before=not_before,
    )


def timer(name: str, fire_at: datetime) -> TimerSpec:
    return TimerSpec(name=name, fire_at=fire_at, agent="nurture")


def trace(state: LeadState, agent: str = "sdr") -> TraceRecord:
    return TraceRecord(
        workspace_id=state.workspace_id,
        lead_id=state.lead_id,
        event_id=None,
        agent=agent,
        at=T0,
        decision="ok",
    )


def commit(state: LeadState, **fields: Any) -> Commit:
    """A commit on ``state``'s lead that changes nothing in the state itself."""
    return Commit(workspace_id=state.workspace_id, lead_id=state.lead_id, at=T0, **fields)


def step(old: LeadState, new: LeadState, **fields: Any) -> Commit:
    """A commit that moves the lead from ``old`` (as read) to ``new``."""
    return Commit(
        workspace_id=old.workspace_id,
        lead_id=old.lead_id,
        expected_version=old.version,
        state=new,
        at=new.updated_at,
        **fields,
    )


def dump(state: LeadState) -> dict[str, Any]:
    return state.model_dump(mode="json")


def ok(results: list[Exception | None]) -> None:
    assert results == [None] * len(results), results


class StoreUnderTest:
    """A contract suite's store: subclasses implement ``make_store``; the fixture closes it."""

    def make_store(self) -> Store:
        raise NotImplementedError

    @pytest.fixture
    def store(self) -> Iterator[Store]:
        s = self.make_store()
        try:
            yield s
        finally:
            s.close()


class StoreContract(StoreUnderTest):
    """Scenarios every ``Store`` backend must pass. Subclasses implement ``make_store``."""

    # -- helpers --------------------------------------------------------------------
    @staticmethod
    def new_lead(store: Store, lead_id: str, *, workspace_id: str = WS_A) -> LeadState:
        initial = lead_state(lead_id, workspace_id=workspace_id)
        state, created = store.create_lead(
            initial, created_event(initial), dedupe_key=f"email:{lead_id}@example.com"
        )
        assert created
        return state

    # -- campaigns ------------------------------------------------------------------
    def test_campaign_save_get_list(self, store: Store) -> None:
        spring = Campaign(
            name="spring", offer="a demo", channels=[Channel.EMAIL, Channel.SMS], settings={"cap": 3}
        )
        store.save_campaign(WS_A, spring)
        store.save_campaign(WS_A, Campaign(name="autumn"))
        store.save_campaign(WS_B, Campaign(name="winter"))
        assert store.get_campaign(WS_A, "spring") == spring
        assert [c.name for c in store.list_campaigns(WS_A)] == ["autumn", "spring"]
        assert [c.name for c in store.list_campaigns(WS_B)] == ["winter"]
        # saving again replaces
        store.save_campaign(WS_A, spring.model_copy(update={"offer": "a trial"}))
        assert store.get_campaign(WS_A, "spring").offer == "a trial"
        assert len(store.list_campaigns(WS_A)) == 2

    def test_campaign_not_found_across_workspaces(self, store: Store) -> None:
        store.save_campaign(WS_A, Campaign(name="spring"))
        with pytest.raises(NotFound):
            store.get_campaign(WS_B, "spring")
        with pytest.raises(NotFound):
            store.get_campaign(WS_A, "nope")
        assert store.list_campaigns(WS_B) == []

    # -- leads ----------------------------------------------------------------------
    def test_create_lead_is_idempotent_on_dedupe_key(self, store: Store) -> None:
        first = lead_state("l1")
        state, created = store.create_lead(first, created_event(first), dedupe_key="email:ada@example.com")
        assert created and dump(state) == dump(first)
        again = lead_state("l2")
        state2, created2 = store.create_lead(again, created_event(again), dedupe_key="email:ada@example.com")
        assert not created2
        assert state2.lead_id == "l1"
        assert [s.lead_id for s in store.list_leads(WS_A)] == ["l1"]
        assert [e.id for e in store.all_events()] == ["created-l1"]
        # the same key in another workspace is another lead
        other = lead_state("l3", workspace_id=WS_B)
        _, created3 = store.create_lead(other, created_event(other), dedupe_key="email:ada@example.com")
        assert created3

    def test_create_lead_queues_the_created_event(self, store: Store) -> None:
        self.new_lead(store, "l1")
        items = store.inbox(now=T0)
        assert [(i.event.id, i.attempts) for i in items] == [("created-l1", 0)]
        assert [e.id for e in store.lead_events(WS_A, "l1")] == ["created-l1"]
        assert dump(store.get_lead(WS_A, "l1")) == dump(lead_state("l1"))

    def test_leads_are_scoped_by_workspace(self, store: Store) -> None:
        a = self.new_lead(store, "a1")
        self.new_lead(store, "a2")
        b = self.new_lead(store, "b1", workspace_id=WS_B)
        assert [s.lead_id for s in store.list_leads(WS_A)] == ["a1", "a2"]
        assert [s.lead_id for s in store.list_leads(WS_B)] == ["b1"]
        with pytest.raises(NotFound):
            store.get_lead(WS_B, "a1")
        with pytest.raises(NotFound):
            store.get_lead(WS_A, "nope")
        ok(store.apply([step(a, a.model_copy(update={"stage": Stage.CONTACTED}))]))
        assert store.count_leads(WS_A) == {"new": 1, "contacted": 1}
        assert store.count_leads(WS_B) == {"new": 1}
        assert store.count_leads() == {"new": 2, "contacted": 1}
        assert [s.lead_id for s in store.list_leads(WS_A, stage="contacted")] == ["a1"]
        assert store.list_leads(WS_B, stage="contacted") == []
        assert len(store.list_leads(WS_A, limit=1)) == 1
        # a commit from workspace B cannot touch A's lead
        [refused] = store.apply([step(a.model_copy(update={"workspace_id": WS_B}), b)])
        assert isinstance(refused, NotFound)
        assert store.get_lead(WS_A, "a1").stage == Stage.CONTACTED

    def test_log_and_side_records_are_scoped_by_workspace(self, store: Store) -> None:
        a = self.new_lead(store, "a1")
        b = self.new_lead(store, "b1", workspace_id=WS_B)
        ok(
            store.apply(
                [
                    commit(
                        a,
                        events=[event(a, "e-a")],
                        actions=[action("act-a")],
                        timers=[timer("nurture", at(60))],
                        traces=[trace(a)],
                    )
                ]
            )
        )
        for ws, lead in ((WS_B, "a1"), (WS_A, "b1")):
            assert store.lead_events(ws, lead) == []
            assert store.actions_for(ws, lead) == []
            assert store.timers_for(ws, lead, active_only=False) == []
            assert store.traces_for(ws, lead) == []
        assert [e.id for e in store.lead_events(WS_A, "a1")] == ["created-a1", "e-a"]
        assert len(store.actions_for(WS_A, "a1")) == 1
        assert len(store.timers_for(WS_A, "a1")) == 1
        assert [t.agent for t in store.traces_for(WS_A, "a1")] == ["sdr"]
        store.add_reject(WS_A, "csv", "bad,row", "no email", T0)
        assert store.list_rejects(WS_B) == []
        seq_b = next(i.seq for i in store.inbox(now=T0) if i.event.lead_id == b.lead_id)
        store.dead_letter(seq_b, consumer="orchestrator", error="boom", at=T0)
        assert store.list_dead(WS_A) == []
        assert [d.lead_id for d in store.list_dead(WS_B)] == ["b1"]
        assert [d.lead_id for d in store.list_dead()] == ["b1"]

    # -- apply: versions and atomicity ------------------------------------------------
    def test_apply_bumps_the_version_and_records_lead_updated(self, store: Store) -> None:
        a = self.new_lead(store, "a1")
        new = a.model_copy(update={"stage": Stage.CONTACTED, "touches": 1, "updated_at": at(1)})
        ok(store.apply([step(a, new)]))
        live = store.get_lead(WS_A, "a1")
        assert live.version == 2 and live.stage == Stage.CONTACTED and live.touches == 1
        types = [e.type for e in store.lead_events(WS_A, "a1")]
        assert types == [EventType.LEAD_CREATED, EventType.LEAD_UPDATED]
        # lead.updated is logged, not routed: the inbox still holds only lead.created
        assert [i.event.type for i in store.inbox(now=at(1))] == [EventType.LEAD_CREATED]

    def test_lead_lists_and_counts_follow_stage_changes_and_steps_that_keep_the_stage(self, store: Store) -> None:
        a = self.new_lead(store, "a1")
        self.new_lead(store, "b1")
        same = a.model_copy(update={"touches": 3, "updated_at": at(1)})  # the stage stays
        ok(store.apply([step(a, same)]))
        assert store.count_leads(WS_A) == {"new": 2}
        moved = store.get_lead(WS_A, "a1").model_copy(update={"stage": Stage.ENGAGED, "updated_at": at(2)})
        ok(store.apply([step(store.get_lead(WS_A, "a1"), moved)]))
        kept = store.get_lead(WS_A, "a1").model_copy(update={"touches": 4, "updated_at": at(3)})
        ok(store.apply([step(store.get_lead(WS_A, "a1"), kept)]))
        live = store.get_lead(WS_A, "a1")
        assert (live.stage, live.touches, live.version) == (Stage.ENGAGED, 4, 4)
        assert store.count_leads(WS_A) == {"new": 1, "engaged": 1}
        assert [s.lead_id for s in store.list_leads(WS_A, stage=Stage.ENGAGED.value)] == ["a1"]
        assert [s.lead_id for s in store.list_leads(WS_A, stage=Stage.NEW.value)] == ["b1"]

    def test_stale_version_conflicts_and_nothing_of_that_commit_lands(self, store: Store) -> None:
        a = self.new_lead(store, "a1")
        b = self.new_lead(store, "b1")
        ok(store.apply([step(a, a.model_copy(update={"stage": Stage.CONTACTED}))]))
        stale = step(
            a,
            a.model_copy(update={"stage": Stage.LOST}),
            handled="created-a1",
            events=[event(a, "e-stale")],
            actions=[action("act-stale", not_before=at(5))],
            timers=[timer("t-stale", at(5))],
            traces=[trace(a, "stale")],
            suppress=[("stale@example.com", "test")],
        )
        fresh = step(b, b.model_copy(update={"stage": Stage.ENGAGED}), events=[event(b, "e-fresh")])
        refused, applied = store.apply([stale, fresh])
        assert isinstance(refused, Conflict) and not isinstance(refused, DuplicateMessage)
        assert applied is None
        live = store.get_lead(WS_A, "a1")
        assert (live.stage, live.version) == (Stage.CONTACTED, 2)
        assert "e-stale" not in [e.id for e in store.all_events()]
        assert store.actions_for(WS_A, "a1") == []
        assert store.timers_for(WS_A, "a1", active_only=False) == []
        assert store.traces_for(WS_A, "a1") == []
        assert not store.is_suppressed(WS_A, "stale@example.com")
        assert store.next_wakeup() is None
        # the handled mark was rolled back too: lead.created is still waiting
        assert "created-a1" in [i.event.id for i in store.inbox(now=T0)]
        assert store.get_lead(WS_A, "b1").stage == Stage.ENGAGED
        assert "e-fresh" in [e.id for e in store.lead_events(WS_A, "b1")]

    def test_two_commits_on_one_version_in_one_batch(self, store: Store) -> None:
        a = self.new_lead(store, "a1")
        first, second = store.apply(
            [step(a, a.model_copy(update={"touches": 1})), step(a, a.model_copy(update={"touches": 2}))]
        )
        assert first is None and isinstance(second, Conflict)
        assert (store.get_lead(WS_A, "a1").touches, store.get_lead(WS_A, "a1").version) == (1, 2)

    def test_duplicate_event_id_refuses_the_whole_commit(self, store: Store) -> None:
        a = self.new_lead(store, "a1")
        ok(store.apply([commit(a, events=[event(a, "e1")])]))
        [refused] = store.apply(
            [step(a, a.model_copy(update={"touches": 5}), events=[event(a, "e1")], actions=[action("k")])]
        )
        assert isinstance(refused, DuplicateMessage)
        assert store.get_lead(WS_A, "a1").version == 1
        assert [e.id for e in store.lead_events(WS_A, "a1")] == ["created-a1", "e1"]
        assert store.actions_for(WS_A, "a1") == []
        # the lead's created event id is taken too
        [refused2] = store.apply([commit(a, events=[created_event(a)])])
        assert isinstance(refused2, DuplicateMessage)

    def test_a_commit_that_requires_its_lead_is_refused_for_unknown_or_foreign_leads(self, store: Store) -> None:
        a = self.new_lead(store, "a1")
        ghost = lead_state("ghost")
        foreign = a.model_copy(update={"workspace_id": WS_B})
        results = store.apply(
            [
                commit(ghost, events=[event(ghost, "r-ghost")], require_lead=True),
                commit(foreign, events=[event(foreign, "r-foreign")], require_lead=True),
                commit(a, events=[event(a, "r-a")], require_lead=True),
            ]
        )
        assert [type(r) for r in results] == [NotFound, NotFound, type(None)]
        assert [e.id for e in store.lead_events(WS_A, "a1")] == ["created-a1", "r-a"]
        assert store.lead_events(WS_A, "ghost") == [] and store.lead_events(WS_B, "a1") == []
        assert [i.event.id for i in store.inbox(now=T0)] == ["created-a1"]  # r-a waits behind it

    # -- inbox ------------------------------------------------------------------------
    def test_handled_marks_the_inbox_event_once(self, store: Store) -> None:
        a = self.new_lead(store, "a1")
        ok(store.apply([commit(a, handled="created-a1")]))
        assert store.inbox(now=T0) == []
        [again] = store.apply([commit(a, handled="created-a1", events=[event(a, "e-dup")])])
        assert isinstance(again, DuplicateMessage)
        assert "e-dup" not in [e.id for e in store.all_events()]
        # and twice within one batch: the second is refused
        ok(store.apply([commit(a, events=[event(a, "e2")])]))
        first, second = store.apply([commit(a, handled="e2"), commit(a, handled="e2")])
        assert first is None and isinstance(second, DuplicateMessage)

    def test_inbox_serves_the_oldest_event_per_lead_in_seq_order(self, store: Store) -> None:
        a = self.new_lead(store, "a1")
        b = self.new_lead(store, "b1")
        ok(store.apply([commit(a, events=[event(a, "a-2"), event(a, "a-3")])]))
        c = self.new_lead(store, "c1")
        ok(store.apply([commit(c, events=[event(c, "c-2")], quiet={"c-2"})]))
        assert [i.event.id for i in store.inbox(now=T0)] == ["created-a1", "created-b1", "created-c1"]
        assert [i.event.id for i in store.inbox(now=T0, limit=2)] == ["created-a1", "created-b1"]
        ok(store.apply([commit(a, handled="created-a1"), commit(b, handled="created-b1")]))
        assert [i.event.id for i in store.inbox(now=T0)] == ["a-2", "created-c1"]
        ok(store.apply([commit(a, handled="a-2"), commit(c, handled="created-c1")]))
        # c-2 was recorded quietly (logged, not routed)
        assert [i.event.id for i in store.inbox(now=T0)] == ["a-3"]

    def test_one_lead_per_calendar_slot(self, store: Store) -> None:
        a = self.new_lead(store, "a1")
        b = self.new_lead(store, "b1")
        ten, eleven = at(60), at(120)
        ok(store.apply([commit(a, booking=("Sam", ten))]))
        [refused] = store.apply([commit(b, booking=("Sam", ten), events=[event(b, "b-booked")])])
        assert isinstance(refused, Conflict) and not isinstance(refused, DuplicateMessage)
        assert "b-booked" not in [e.id for e in store.lead_events(b.workspace_id, "b1")], "refused whole"
        ok(store.apply([commit(b, booking=("Kim", ten))]))  # another rep's calendar
        ok(store.apply([commit(a, booking=("Sam", ten))]))  # holding it again is no conflict
        ok(store.apply([commit(a, booking=("Sam", eleven))]))  # a reschedule frees ten
        ok(store.apply([commit(b, booking=("Sam", ten))]))
        ok(store.apply([commit(a, booking=("Sam", None))]))  # a cancel frees eleven
        ok(store.apply([commit(b, booking=("Sam", eleven))]))

    def test_bookings_follow_the_states_and_can_be_rebuilt_from_them(self, store: Store) -> None:
        a = self.new_lead(store, "a1")
        b = self.new_lead(store, "b1")
        ten, eleven = at(60), at(120)
        ok(store.apply([commit(a, booking=("Sam", ten)), commit(b, booking=("Sam", eleven))]))
        assert store.bookings() == {(a.workspace_id, "Sam", ten): "a1", (b.workspace_id, "Sam", eleven): "b1"}
        # what replay derives from the states: a holds eleven now (moved), b's meeting was cancelled
        moved = a.model_copy(update={"appointment": Appointment(start=eleven, end=at(150), with_rep="Sam")})
        gone = b.model_copy(
            update={"appointment": Appointment(start=eleven, end=at(150), with_rep="Sam", status="cancelled")}
        )
        store.replace_bookings([moved, gone])
        assert store.bookings() == {(a.workspace_id, "Sam", eleven): "a1"}
        # two states holding one slot: refused, and the bookings stay as they were
        twin = b.model_copy(update={"appointment": Appointment(start=eleven, end=at(150), with_rep="Sam")})
        with pytest.raises(Conflict):
            store.replace_bookings([moved, twin])
        assert store.bookings() == {(a.workspace_id, "Sam", eleven): "a1"}

    def test_a_commit_can_cancel_the_leads_pending_contact(self, store: Store) -> None:
        a = self.new_lead(store, "a1")
        b = self.new_lead(store, "b1")
        note = OutboundAction(
            kind=ActionKind.NOTIFY_HUMAN, idempotency_key="a-note", to="rep@example.com", body="fyi"
        )
        ok(store.apply([commit(a, actions=[action("a-sent"), action("a-later", not_before=at(60)), note])]))
        ok(store.apply([commit(b, actions=[action("b-later", not_before=at(60))])]))
        [sent] = [r for r in store.due_actions(at(0)) if r.action.idempotency_key == "a-sent"]
        ok(store.apply([commit(a, finish_action=(sent.seq, "sent", "p1"))]))
        ok(store.apply([commit(a, drop_pending_contact="lead_lost", actions=[action("a-goodbye")])]))
        status = {
            r.action.idempotency_key: (r.status, r.detail) for r in store.actions_for(a.workspace_id, "a1")
        }
        assert status["a-later"] == ("cancelled", "lead_lost")
        assert status["a-sent"][0] == "sent"
        assert status["a-note"][0] == "pending", "notes to the human are not contact"
        assert status["a-goodbye"][0] == "pending", "the commit's own messages are queued after the cancel"
        assert [r.status for r in store.actions_for(b.workspace_id, "b1")] == ["pending"]

    def test_inbox_flags_leads_with_nothing_else_pending(self, store: Store) -> None:
        a = self.new_lead(store, "a1")
        b = self.new_lead(store, "b1")
        ok(store.apply([commit(a, events=[event(a, "a-2")])]))
        alone = {i.event.id: i.alone for i in store.inbox(now=T0)}
        assert alone == {"created-a1": False, "created-b1": True}
        ok(
            store.apply(
                [commit(a, handled="created-a1"), commit(b, handled="created-b1", events=[event(b, "b-2")])]
            )
        )
        assert {i.event.id: i.alone for i in store.inbox(now=T0)} == {"a-2": True, "b-2": True}

    def test_with_pending_names_leads_with_unhandled_events_deferred_ones_too(self, store: Store) -> None:
        a = self.new_lead(store, "a1")
        b = self.new_lead(store, "b1")
        c = self.new_lead(store, "c1")
        ok(store.apply([commit(b, handled="created-b1"), commit(c, handled="created-c1", events=[event(c, "c-2")])]))
        [item] = [i for i in store.inbox(now=T0) if i.event.id == "c-2"]
        store.defer(item.seq, error="llm down", until=at(10))  # still pending, though not served yet
        assert store.with_pending(["a1", "b1", "c1", "nobody"]) == {"a1", "c1"}
        assert store.with_pending([]) == set()
        ok(store.apply([commit(a, handled="created-a1")]))
        assert store.with_pending(["a1", "b1"]) == set()

    def test_defer_hides_an_event_until_it_is_available(self, store: Store) -> None:
        a = self.new_lead(store, "a1")
        self.new_lead(store, "b1")
        ok(store.apply([commit(a, events=[event(a, "a-2")])]))
        [item, _] = store.inbox(now=T0)
        assert store.defer(item.seq, error="llm down", until=at(10)) == 1
        # the deferred head blocks its lead (order is kept) but not other leads
        assert [i.event.id for i in store.inbox(now=at(5))] == ["created-b1"]
        assert store.next_wakeup() == at(10)
        later = store.inbox(now=at(10))
        assert [(i.event.id, i.attempts) for i in later] == [("created-a1", 1), ("created-b1", 0)]
        assert store.defer(item.seq, error="llm down", until=at(20)) == 2

    def test_a_deferred_backlog_does_not_starve_other_leads(self, store: Store) -> None:
        a = self.new_lead(store, "a1")
        ok(store.apply([commit(a, events=[event(a, f"a-{n}") for n in range(12)])]))
        self.new_lead(store, "b1")
        [head] = store.inbox(now=T0, limit=1)
        store.defer(head.seq, error="later", until=at(60))
        assert [i.event.id for i in store.inbox(now=T0, limit=1)] == ["created-b1"]

    # -- relay ------------------------------------------------------------------------
    def test_unpublished_and_mark_published(self, store: Store) -> None:
        a = self.new_lead(store, "a1")
        ok(store.apply([step(a, a.model_copy(update={"touches": 1}), events=[event(a, "e1")])]))
        pending = store.unpublished()
        assert [e.type for _, e in pending] == [
            EventType.LEAD_CREATED,
            EventType.LEAD_UPDATED,
            "reply.received",
        ]
        seqs = [s for s, _ in pending]
        assert seqs == sorted(seqs)
        assert store.unpublished_seqs() == seqs and store.unpublished_seqs(limit=2) == seqs[:2]
        assert len(store.unpublished(limit=2)) == 2
        store.mark_published(seqs[:2])
        assert [e.id for _, e in store.unpublished()] == ["e1"]
        assert store.unpublished_seqs() == seqs[2:]
        store.mark_published([])
        store.mark_published(seqs[2:])
        assert store.unpublished() == []

    # -- actions ----------------------------------------------------------------------
    def test_actions_are_idempotent_on_key(self, store: Store) -> None:
        a = self.new_lead(store, "a1")
        ok(store.apply([commit(a, actions=[action("send-1", to="first@example.com")])]))
        ok(store.apply([commit(a, actions=[action("send-1", to="second@example.com")])]))
        ok(store.apply([commit(a, actions=[action("send-2"), action("send-2")])]))
        rows = store.actions_for(WS_A, "a1")
        assert [r.action.idempotency_key for r in rows] == ["send-1", "send-2"]
        assert rows[0].action.to == "first@example.com"
        assert all(r.status == "pending" and r.attempts == 0 for r in rows)
        assert rows[0].created_at == T0

    def test_due_actions_respect_not_before(self, store: Store) -> None:
        a = self.new_lead(store, "a1")
        ok(
            store.apply(
                [
                    commit(
                        a,
                        actions=[
                            action("now"),
                            action("later", not_before=at(30)),
                            action("soon", not_before=at(5)),
                        ],
                    )
                ]
            )
        )
        assert [r.action.idempotency_key for r in store.due_actions(T0)] == ["now"]
        assert [r.action.idempotency_key for r in store.due_actions(at(5))] == ["now", "soon"]
        assert [r.action.idempotency_key for r in store.due_actions(at(30))] == ["now", "later", "soon"]
        assert len(store.due_actions(at(30), limit=2)) == 2
        assert store.next_wakeup() == at(5)

    def test_finish_action_only_from_pending(self, store: Store) -> None:
        a = self.new_lead(store, "a1")
        ok(store.apply([commit(a, actions=[action("send-1")])]))
        [row] = store.due_actions(T0)
        ok(store.apply([commit(a, finish_action=(row.seq, "sent", "250 OK"), events=[event(a, "sent-1")])]))
        [done] = store.actions_for(WS_A, "a1")
        assert (done.status, done.detail, done.attempts) == ("sent", "250 OK", 1)
        assert store.due_actions(at(100)) == []
        [again] = store.apply(
            [commit(a, finish_action=(row.seq, "sent", "again"), events=[event(a, "sent-2")])]
        )
        assert isinstance(again, DuplicateMessage)
        assert "sent-2" not in [e.id for e in store.all_events()]
        assert store.actions_for(WS_A, "a1")[0].detail == "250 OK"

    def test_postpone_action_moves_not_before_and_counts_attempts(self, store: Store) -> None:
        a = self.new_lead(store, "a1")
        ok(store.apply([commit(a, actions=[action("send-1")])]))
        [row] = store.due_actions(T0)
        assert store.postpone_action(row.seq, until=at(15), error="421 try later") == 1
        assert store.due_actions(at(14)) == []
        assert store.next_wakeup() == at(15)
        assert store.postpone_action(row.seq, until=at(30), error="421 again") == 2
        assert store.due_actions(at(29)) == []
        [due] = store.due_actions(at(30))
        assert (due.attempts, due.detail, due.status) == (2, "421 again", "pending")
        assert due.action.not_before == at(30)

    # -- timers -----------------------------------------------------------------------
    def test_timers_set_replace_and_cancel(self, store: Store) -> None:
        a = self.new_lead(store, "a1")
        ok(
            store.apply(
                [
                    commit(
                        a,
                        timers=[
                            timer("route:reply_wait", at(60)),
                            timer("route:nudge", at(30)),
                            timer("nurture:1", at(90)),
                        ],
                    )
                ]
            )
        )
        ok(store.apply([commit(a, timers=[timer("route:nudge", at(45))])]))
        active = {t.spec.name: t.spec.fire_at for t in store.timers_for(WS_A, "a1")}
        assert active == {"route:reply_wait": at(60), "route:nudge": at(45), "nurture:1": at(90)}
        statuses = sorted((t.spec.name, t.status) for t in store.timers_for(WS_A, "a1", active_only=False))
        assert ("route:nudge", "replaced") in statuses
        ok(store.apply([commit(a, cancel_timers=["nurture:1"])]))
        assert sorted(t.spec.name for t in store.timers_for(WS_A, "a1")) == [
            "route:nudge",
            "route:reply_wait",
        ]
        ok(store.apply([commit(a, cancel_timers=["route:*"])]))
        assert store.timers_for(WS_A, "a1") == []
        assert store.next_wakeup() is None

    def test_cancel_is_scoped_to_the_lead(self, store: Store) -> None:
        a = self.new_lead(store, "a1")
        b = self.new_lead(store, "b1")
        ok(
            store.apply(
                [commit(a, timers=[timer("route:x", at(5))]), commit(b, timers=[timer("route:x", at(6))])]
            )
        )
        ok(store.apply([commit(a, cancel_timers=["*"])]))
        assert store.timers_for(WS_A, "a1") == []
        assert [t.spec.name for t in store.timers_for(WS_A, "b1")] == ["route:x"]

    def test_a_timer_set_with_a_wildcard_cancel_survives(self, store: Store) -> None:
        a = self.new_lead(store, "a1")
        ok(store.apply([commit(a, timers=[timer("route:old", at(10)), timer("route:keep", at(20))])]))
        ok(store.apply([commit(a, cancel_timers=["*"], timers=[timer("route:keep", at(40))])]))
        [survivor] = store.timers_for(WS_A, "a1")
        assert (survivor.spec.name, survivor.spec.fire_at) == ("route:keep", at(40))
        every = {
            (t.spec.name, t.spec.fire_at): t.status for t in store.timers_for(WS_A, "a1", active_only=False)
        }
        assert every == {
            ("route:old", at(10)): "cancelled",
            ("route:keep", at(20)): "cancelled",
            ("route:keep", at(40)): "active",
        }

    def test_due_timers_in_fire_order_and_fire_once(self, store: Store) -> None:
        a = self.new_lead(store, "a1")
        b = self.new_lead(store, "b1")
        ok(
            store.apply(
                [
                    commit(a, timers=[timer("late", at(30)), timer("early", at(10))]),
                    commit(b, timers=[timer("middle", at(20)), timer("future", at(500))]),
                ]
            )
        )
        assert store.next_wakeup() == at(10)
        due = store.due_timers(at(30))
        assert [(t.lead_id, t.spec.name) for t in due] == [("a1", "early"), ("b1", "middle"), ("a1", "late")]
        assert [t.spec.name for t in store.due_timers(at(30), limit=1)] == ["early"]
        assert store.due_timers(at(9)) == []
        early = due[0]
        fired = event(a, "fired-1", type=EventType.TIMER_FIRED, name="early")
        ok(store.apply([commit(a, fire_timer=early.seq, events=[fired])]))
        assert [t.spec.name for t in store.due_timers(at(30))] == ["middle", "late"]
        [again] = store.apply([commit(a, fire_timer=early.seq, events=[event(a, "fired-2")])])
        assert isinstance(again, DuplicateMessage)
        assert "fired-2" not in [e.id for e in store.all_events()]
        assert {t.spec.name: t.status for t in store.timers_for(WS_A, "a1", active_only=False)}[
            "early"
        ] == "fired"
        assert store.next_wakeup() == at(20)

    # -- next_wakeup --------------------------------------------------------------------
    def test_next_wakeup_is_the_earliest_of_timers_actions_and_deferred_events(self, store: Store) -> None:
        assert store.next_wakeup() is None
        a = self.new_lead(store, "a1")
        assert store.next_wakeup() is None  # a ready inbox item is not a wake-up
        ok(store.apply([commit(a, timers=[timer("t", at(50))], actions=[action("x", not_before=at(40))])]))
        assert store.next_wakeup() == at(40)
        [item] = store.inbox(now=T0)
        store.defer(item.seq, error="busy", until=at(30))
        assert store.next_wakeup() == at(30)
        ok(store.apply([commit(a, handled=item.event.id)]))
        assert store.next_wakeup() == at(40)
        [row] = store.actions_for(WS_A, "a1")
        ok(store.apply([commit(a, finish_action=(row.seq, "sent", None))]))
        assert store.next_wakeup() == at(50)
        ok(store.apply([commit(a, cancel_timers=["t"])]))
        assert store.next_wakeup() is None

    # -- suppression, keys, DLQ, rejects, meta -------------------------------------------
    def test_suppression_is_per_workspace_and_case_insensitive(self, store: Store) -> None:
        a = self.new_lead(store, "a1")
        ok(store.apply([commit(a, suppress=[("Ada@Example.COM", "opt-out")])]))
        ok(store.apply([commit(a, suppress=[("ada@example.com", "again")])]))  # already there: fine
        assert store.is_suppressed(WS_A, "ada@example.com")
        assert store.is_suppressed(WS_A, "ADA@EXAMPLE.COM")
        assert not store.is_suppressed(WS_B, "ada@example.com")
        assert not store.is_suppressed(WS_A, "bob@example.com")

    def test_claim_key_once(self, store: Store) -> None:
        assert store.claim_key("reply", "<msg-1@example.com>")
        assert not store.claim_key("reply", "<msg-1@example.com>")
        assert store.claim_key("webhook", "<msg-1@example.com>")
        assert store.claim_key("reply", "<msg-2@example.com>")

    def test_dead_letters_round_trip(self, store: Store) -> None:
        a = self.new_lead(store, "a1")
        [item] = store.inbox(now=T0)
        store.defer(item.seq, error="boom", until=T0)
        store.dead_letter(item.seq, consumer="orchestrator", error="boom twice", at=at(1))
        assert store.inbox(now=at(100)) == []
        [dead] = store.list_dead(WS_A)
        assert (dead.lead_id, dead.event.id, dead.consumer, dead.error, dead.attempts, dead.status) == (
            "a1",
            "created-a1",
            "orchestrator",
            "boom twice",
            1,
            "dead",
        )
        assert dead.at == at(1)
        store.retry_dead(dead.id)
        assert store.list_dead() == []
        [back] = store.inbox(now=T0)
        assert (back.event.id, back.attempts) == ("created-a1", 0)
        with pytest.raises(NotFound):
            store.retry_dead(dead.id)
        with pytest.raises(NotFound):
            store.retry_dead(987654)
        ok(store.apply([commit(a, handled="created-a1")]))

    def test_a_dead_event_cannot_be_handled(self, store: Store) -> None:
        a = self.new_lead(store, "a1")
        [item] = store.inbox(now=T0)
        store.dead_letter(item.seq, consumer="orchestrator", error="poison", at=T0)
        [refused] = store.apply([commit(a, handled=item.event.id)])
        assert isinstance(refused, DuplicateMessage)

    def test_rejects_are_kept_verbatim(self, store: Store) -> None:
        raw = 'first_name,email\n"Zoë  ",not-an-email\r\n\ttrailing  \u2603 ' + "x" * 5000
        rid = store.add_reject(WS_A, "csv:upload.csv", raw, "email: not an email", at(2))
        store.add_reject(WS_B, "webhook", "{}", "empty", at(3))
        [rej] = store.list_rejects(WS_A)
        assert (rej.id, rej.workspace_id, rej.source, rej.raw, rej.error, rej.at) == (
            rid,
            WS_A,
            "csv:upload.csv",
            raw,
            "email: not an email",
            at(2),
        )
        assert [r.raw for r in store.list_rejects(WS_B)] == ["{}"]

    def test_meta_get_and_set(self, store: Store) -> None:
        assert store.get_meta("clock") is None
        store.set_meta("clock", "2025-03-03T09:00:00+00:00")
        store.set_meta("clock", "2025-03-04T09:00:00+00:00")
        store.set_meta("other", "")
        assert store.get_meta("clock") == "2025-03-04T09:00:00+00:00"
        assert store.get_meta("other") == ""

    # -- replay -----------------------------------------------------------------------
    def test_replay_of_the_log_equals_live_state(self, store: Store) -> None:
        a = self.new_lead(store, "a1")
        b = self.new_lead(store, "b1", workspace_id=WS_B)
        self.new_lead(store, "c1")  # never changed after creation

        def advance(old: LeadState, **changes: Any) -> LeadState:
            new = old.model_copy(update={"updated_at": old.updated_at + timedelta(minutes=7), **changes})
            ok(store.apply([step(old, new)]))
            live = store.get_lead(old.workspace_id, old.lead_id)
            assert live.version == old.version + 1
            return live

        a = advance(
            a,
            stage=Stage.CONTACTED,
            touches=1,
            messages=[
                Message(id="m1", channel=Channel.EMAIL, direction=Direction.OUTBOUND, body="Hi Ada", at=at(7))
            ],
            agent_history=[AgentStep(agent="sdr", at=at(7), result="sent intro")],
        )
        a = advance(
            a,
            stage=Stage.ENGAGED,
            replies=1,
            last_intent="interested",
            messages=[
                *a.messages,
                Message(
                    id="m2",
                    channel=Channel.EMAIL,
                    direction=Direction.INBOUND,
                    body="Tell me more",
                    at=at(12),
                ),
            ],
            qualification={"budget": "50k", "timeline": {"quarter": "Q2"}},
            signals=[{"kind": "reply", "score": 0.8}],
        )
        a = advance(
            a,
            stage=Stage.QUALIFIED,
            score=Score.HOT,
            score_value=0.91,
            qualification={"budget": "60k", "authority": True},
            appointment=Appointment(start=at(1440), end=at(1470), with_rep="Sam"),
            proposed_slots=[{"start": at(1440).isoformat()}],
        )
        a = advance(
            a,
            stage=Stage.MEETING_BOOKED,
            appointment=Appointment(
                start=at(1500), end=at(1530), with_rep="Sam", status="confirmed", reschedules=1
            ),
            escalations=[
                Escalation(reason="pricing", agent="closer", summary="asks for a discount", at=at(30))
            ],
            proposed_slots=[],
            pending_question=None,
            paused_until=at(2000),
        )
        b = advance(b, stage=Stage.NURTURING, nurture_step=2, tier="B", signals=[{"kind": "visit"}])
        b = advance(b, signals=[{"kind": "visit"}, {"kind": "click"}], nurture_step=3)
        b = advance(b, signals=[{"kind": "other"}], paused_until=None, stage=Stage.LOST)
        # interleave refused commits: they must leave no trace in the log
        refused = store.apply(
            [step(a.model_copy(update={"version": 1}), a.model_copy(update={"touches": 99}))]
        )
        assert isinstance(refused[0], Conflict)

        replayed = fold(store.all_events())
        live = {s.lead_id: s for ws in (WS_A, WS_B) for s in store.list_leads(ws)}
        assert set(replayed) == set(live) == {"a1", "b1", "c1"}
        for lead_id, state in live.items():
            assert dump(replayed[lead_id]) == dump(state), lead_id
            assert dump(store.get_lead(state.workspace_id, lead_id)) == dump(replayed[lead_id])
        assert (replayed["a1"].version, replayed["b1"].version, replayed["c1"].version) == (5, 4, 1)

    def test_replace_states_overwrites_current_state(self, store: Store) -> None:
        a = self.new_lead(store, "a1")
        ok(store.apply([step(a, a.model_copy(update={"touches": 3}))]))
        rebuilt = fold(store.all_events())
        store.replace_states([rebuilt["a1"].model_copy(update={"tier": "A"})])
        assert store.get_lead(WS_A, "a1").tier == "A"
        assert store.get_lead(WS_A, "a1").version == 2
