"""The drafts contract: held outbox rows on every store backend (``Commit.draft``, ``actions_in``).

A draft is an outbox row the dispatcher closed as ``held``; a ``DraftChange`` edits it (it stays
held), or closes it as approved or rejected, atomically with the commit's events and actions,
and only while it is held.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from tests.contracts.store_contract import (
    T0,
    WS_A,
    WS_B,
    StoreUnderTest,
    action,
    at,
    commit,
    created_event,
    event,
    lead_state,
)

from leadflow.exceptions import DuplicateMessage, NotFound
from leadflow.state.base import Store
from leadflow.state.records import ActionRow, DraftChange


class DraftsContract(StoreUnderTest):
    @staticmethod
    def _held(store: Store, key: str = "k1") -> ActionRow:
        s = lead_state("l1")
        store.create_lead(s, created_event(s), dedupe_key="email:l1@example.com")
        assert store.apply([commit(s, actions=[action(key)])]) == [None]
        [row] = store.actions_for(WS_A, "l1")
        assert store.apply([commit(s, finish_action=(row.seq, "held", "review_all"))]) == [None]
        return store.action_by_seq(WS_A, row.seq)

    def test_a_held_row_is_listed_by_status_and_read_by_number(self, store: Store) -> None:
        row = self._held(store)
        assert (row.status, row.detail) == ("held", "review_all")
        assert [r.seq for r in store.actions_in(WS_A, ["held"])] == [row.seq]
        assert store.actions_in(WS_A, ["approved", "rejected"]) == []
        assert store.actions_in(WS_B, ["held"]) == []
        assert store.due_actions(at(60 * 24)) == [], "a held row is not due"
        with pytest.raises(NotFound):
            store.action_by_seq(WS_B, row.seq)
        with pytest.raises(NotFound):
            store.action_by_seq(WS_A, row.seq + 1000)

    def test_a_held_row_uses_no_send_capacity(self, store: Store) -> None:
        self._held(store)
        counts = store.send_counts(WS_A, domain="example.com", since=T0 - timedelta(days=1), until=T0 + timedelta(days=1))
        assert counts.total == 0

    def test_an_edit_keeps_it_held_with_the_new_text(self, store: Store) -> None:
        row = self._held(store)
        s = lead_state("l1")
        edited = row.action.model_copy(update={"body": "Edited by a person", "subject": "New"})
        ev = event(s, "edit-1", type="draft.edited")
        assert store.apply([commit(s, events=[ev], draft=DraftChange(row.seq, "held", action=edited))]) == [None]
        again = store.action_by_seq(WS_A, row.seq)
        assert (again.status, again.action.body, again.action.subject, again.detail) == (
            "held", "Edited by a person", "New", "review_all")  # fmt: skip
        assert [e.id for e in store.lead_events(WS_A, "l1") if e.type == "draft.edited"] == ["edit-1"]

    def test_approval_closes_it_and_queues_the_send_in_one_commit(self, store: Store) -> None:
        row = self._held(store)
        s = lead_state("l1")
        release = row.action.model_copy(update={"idempotency_key": "k1:approved"})
        change = DraftChange(row.seq, "approved", detail="approved by maria")
        ev = event(s, "approve-1", type="draft.approved")
        assert store.apply([commit(s, events=[ev], actions=[release], draft=change)]) == [None]
        assert store.action_by_seq(WS_A, row.seq).status == "approved"
        [pending] = [r for r in store.actions_for(WS_A, "l1") if r.status == "pending"]
        assert pending.action.idempotency_key == "k1:approved"
        assert [r.seq for r in store.due_actions(at(1))] == [pending.seq]

    def test_a_draft_is_decided_once_and_a_refused_decision_leaves_nothing(self, store: Store) -> None:
        row = self._held(store)
        s = lead_state("l1")
        first = commit(s, events=[event(s, "reject-1", type="draft.rejected")],
                       draft=DraftChange(row.seq, "rejected", detail="rejected by maria: no"))  # fmt: skip
        second = commit(s, events=[event(s, "approve-2", type="draft.approved")],
                        actions=[row.action.model_copy(update={"idempotency_key": "k1:approved"})],
                        draft=DraftChange(row.seq, "approved", detail="approved by bob"))  # fmt: skip
        results = store.apply([first])
        assert results == [None]
        [refused] = store.apply([second])
        assert isinstance(refused, DuplicateMessage)
        assert store.action_by_seq(WS_A, row.seq).status == "rejected"
        assert [e.id for e in store.lead_events(WS_A, "l1") if e.type.startswith("draft.")] == ["reject-1"]
        assert [r.action.idempotency_key for r in store.actions_for(WS_A, "l1")] == ["k1"]

    def test_only_a_held_row_can_be_changed(self, store: Store) -> None:
        s = lead_state("l1")
        store.create_lead(s, created_event(s), dedupe_key="email:l1@example.com")
        assert store.apply([commit(s, actions=[action("k2")])]) == [None]
        [row] = store.actions_for(WS_A, "l1")
        [refused] = store.apply([commit(s, draft=DraftChange(row.seq, "approved"))])
        assert isinstance(refused, DuplicateMessage)
        assert store.action_by_seq(WS_A, row.seq).status == "pending"

    def test_erasing_the_person_cancels_their_held_draft(self, store: Store) -> None:
        row = self._held(store)
        report = store.erase_person(WS_A, {"email:l1@example.com"}, salt="s", at=at(5))
        assert report.lead_ids == ["l1"]
        after = store.action_by_seq(WS_A, row.seq)
        assert (after.status, after.detail) == ("cancelled", "erased")
        assert store.actions_in(WS_A, ["held"]) == []

    def test_dropping_the_leads_pending_contact_cancels_its_held_draft_too(self, store: Store) -> None:
        row = self._held(store)
        assert store.apply([commit(lead_state("l1"), drop_pending_contact="opted_out")]) == [None]
        after = store.action_by_seq(WS_A, row.seq)
        assert (after.status, after.detail) == ("cancelled", "opted_out")
