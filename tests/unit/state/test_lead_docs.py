"""SqlStore keeps the lead documents it wrote last (``LeadDocs``) for the next commit's patch.

Only committed writes may be kept, and a kept document must never let a stale commit through:
these scenarios would record a wrong ``lead.updated`` patch (replay would differ) or lose a
concurrent change if either went wrong.
"""

from __future__ import annotations

from pathlib import Path

from tests.contracts.store_contract import created_event, event, lead_state, step

from leadflow.exceptions import Conflict, DuplicateMessage
from leadflow.state.patch import fold
from leadflow.state.sql import SqlStore


def _store(path: Path) -> SqlStore:
    return SqlStore(f"sqlite:///{path / 'docs.db'}")


def _new(store: SqlStore, lead_id: str) -> object:
    initial = lead_state(lead_id)
    state, created = store.create_lead(initial, created_event(initial), dedupe_key=None)
    assert created
    return state


def test_a_refused_commit_keeps_no_document(tmp_path: Path) -> None:
    mine, theirs = _store(tmp_path), _store(tmp_path)  # two processes on one database
    try:
        _new(mine, "l1")
        _new(mine, "l2")
        v1 = mine.get_lead("ws-a", "l1")
        assert mine.apply([step(v1, v1.model_copy(update={"touches": 1}), events=[event(v1, "e1")])]) == [None]
        v2 = mine.get_lead("ws-a", "l1")
        # one batch: l1's update is written, then refused (its event id is taken) and rolled back
        refused = step(v2, v2.model_copy(update={"touches": 99}), events=[event(v2, "e1")])
        l2 = mine.get_lead("ws-a", "l2")
        results = mine.apply([refused, step(l2, l2.model_copy(update={"touches": 1}))])
        assert isinstance(results[0], DuplicateMessage) and results[1] is None
        assert mine._docs.get(("ws-a", "l1"), 3) is None
        # another process takes l1 to v3; then this one moves it on: its patch must be against
        # the real v3 (touches 1), so touches 99 is in it, whatever the refused commit wrote
        assert theirs.apply([step(v2, v2.model_copy(update={"replies": 5}))]) == [None]
        v3 = mine.get_lead("ws-a", "l1")
        assert mine.apply([step(v3, v3.model_copy(update={"touches": 99}))]) == [None]
        final = mine.get_lead("ws-a", "l1")
        assert (final.version, final.touches, final.replies) == (4, 99, 5)
        assert fold(mine.all_events())["l1"].model_dump() == final.model_dump()  # the patches replay
    finally:
        mine.close()
        theirs.close()


def test_a_kept_document_does_not_let_a_stale_commit_through(tmp_path: Path) -> None:
    mine, theirs = _store(tmp_path), _store(tmp_path)  # two processes on one database
    try:
        _new(mine, "l1")
        v1 = mine.get_lead("ws-a", "l1")
        assert mine.apply([step(v1, v1.model_copy(update={"touches": 1}))]) == [None]
        v2 = mine.get_lead("ws-a", "l1")  # v2 is kept by ``mine``
        assert theirs.apply([step(v2, v2.model_copy(update={"replies": 5}))]) == [None]
        [result] = mine.apply([step(v2, v2.model_copy(update={"touches": 2}))])  # read before theirs
        assert isinstance(result, Conflict)
        final = theirs.get_lead("ws-a", "l1")
        assert (final.version, final.touches, final.replies) == (3, 1, 5)
        assert fold(mine.all_events())["l1"].model_dump() == final.model_dump()
    finally:
        mine.close()
        theirs.close()
