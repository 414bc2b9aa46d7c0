"""Who wrote a message, as the trace and the drafts show it: a template, a model, or a person."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from leadflow.domain.actions import ActionKind, OutboundAction
from leadflow.drafts import writer_of
from leadflow.state import MemoryStore
from leadflow.state.records import ActionRow, Commit, TraceRecord

AT = datetime(2026, 3, 3, 15, 0, tzinfo=UTC)


def row(**payload: object) -> ActionRow:
    action = OutboundAction(kind=ActionKind.SEND_EMAIL, idempotency_key="k", to="a@b.example", body="Hi", agent="response",
                            payload=dict(payload))  # fmt: skip
    return ActionRow(1, "ws", "l1", action, "held", 0, AT)


def test_template_model_and_person() -> None:
    store = MemoryStore()
    step = TraceRecord(workspace_id="ws", lead_id="l1", event_id=None, agent="response", at=AT - timedelta(seconds=1),
                       model="openai:gpt-4o-mini", decision="first_touch")  # fmt: skip
    store.apply([Commit("ws", "l1", traces=[step], at=AT)])
    assert writer_of(store, row(draft="template")) == "template"
    assert writer_of(store, row()) == "template"
    assert writer_of(store, row(draft="llm")) == "model:openai:gpt-4o-mini"
    assert writer_of(store, row(draft="llm", review={"edited_by": "maria"})) == "person:maria"
    assert writer_of(MemoryStore(), row(draft="llm_rewrite")) == "model"
