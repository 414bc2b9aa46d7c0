"""The JSON columns' serializer: models written with pydantic's encoder read back as their dumps."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from leadflow.domain.events import EventType, new_event
from leadflow.state._sql_commit import dump_json


def test_a_model_is_written_as_its_json_dump() -> None:
    event = new_event(
        EventType.REPLY_RECEIVED,
        lead_id="l1",
        workspace_id="w1",
        at=datetime(2026, 3, 2, 14, 30, 15, 123456, tzinfo=UTC),
        payload={"text": "Grüße aus Köln — 東京 🙂", "n": 1.5, "nested": {"a": [1, None, True]}},
    )
    assert json.loads(dump_json(event)) == event.model_dump(mode="json")


def test_a_plain_document_is_written_as_the_same_json_values() -> None:
    doc = {"version": 3, "stage": "contacted", "list": [1, 2.5, 1e-7, "x"], "none": None, "text": "Grüße 🙂"}
    text = dump_json(doc)
    assert isinstance(text, str) and json.loads(text) == doc
