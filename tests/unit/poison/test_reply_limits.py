"""The inbound mail path keeps to the input limits: a reply too big, nested too deep or holding
text the store cannot keep is refused with a clear ``InvalidInput`` (422 over the API), and a
source that fails does not stop the worker's round."""

from __future__ import annotations

from datetime import datetime

import pytest
from fastapi.testclient import TestClient
from tests.unit.poison.conftest import CAMPAIGN, WS

from leadflow.domain import limits
from leadflow.domain.actions import ActionKind
from leadflow.domain.models import Lead
from leadflow.exceptions import InvalidInput
from leadflow.orchestrator.intake import Arrival
from leadflow.runtime import Runtime


def nested_mime(depth: int) -> str:
    s = "From: ann@acme.com\r\nSubject: re\r\n"
    for i in range(depth):
        s += f'Content-Type: multipart/mixed; boundary="b{i}"\r\n\r\n--b{i}\r\n'
    s += "Content-Type: text/plain\r\n\r\nYes, call me Tuesday.\r\n"
    return s + "".join(f"--b{i}--\r\n" for i in reversed(range(depth)))


@pytest.fixture
def lead_id(rt: Runtime) -> str:
    state, _ = rt.intake.create_lead(WS, CAMPAIGN, Lead(first_name="Ann", email="ann@acme.com"))
    return state.lead_id


@pytest.mark.parametrize(("kwargs", "field", "needle"), [
    ({"raw": nested_mime(limits.MAX_MIME_DEPTH + 1)}, "raw", "nested 17 levels"),
    ({"raw": "Subject: x\r\n\r\n" + "a" * limits.MAX_MESSAGE}, "raw", "character limit"),
    ({"text": "x" * (limits.MAX_REPLY_TEXT + 1)}, "text", "character limit"),
    ({"text": "yes\x00"}, "text", "NUL"),
    ({"text": "yes", "subject": "\ud83d"}, "subject", "surrogate"),
    ({"text": "yes", "sender": "a" * 5000}, "from", "character limit"),
])
def test_replies_past_the_limits_are_refused(rt: Runtime, lead_id: str, kwargs: dict[str, str], field: str,
                                             needle: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        rt.intake.receive_reply(WS, lead_id, message_id="<m1@acme.com>", **kwargs)
    assert [d["field"] for d in caught.value.details] == [field]
    assert needle in str(caught.value)
    assert [e.type for e in rt.store.lead_events(WS, lead_id)] == ["lead.created"]


def test_a_reply_within_the_limits_is_recorded(rt: Runtime, lead_id: str) -> None:
    assert rt.intake.receive_reply(WS, lead_id, message_id="<m1@acme.com>", raw=nested_mime(3))
    assert "reply.received" in [e.type for e in rt.store.lead_events(WS, lead_id)]


def test_the_api_answers_a_deep_mime_reply_with_the_error_shape(client: TestClient, lead_id: str) -> None:
    r = client.post("/v1/replies", json={"lead_id": lead_id, "message_id": "<m1@acme.com>",
                                         "raw": nested_mime(40)})
    assert r.status_code == 422
    assert r.json()["error"]["details"][0]["field"] == "raw"


class Broken:
    def take(self, now: datetime) -> list[Arrival]:
        raise InvalidInput("a message past the limits")

    def next_arrival(self) -> datetime | None:
        return None


def test_a_failing_source_does_not_stop_the_round(rt: Runtime, lead_id: str) -> None:
    rt.worker.inbound.append(Broken())
    rt.worker.run_until_idle()
    assert any(a.action.kind is ActionKind.SEND_EMAIL and a.status == "sent" for a in rt.store.actions_for(WS, lead_id))


@pytest.mark.parametrize(("field", "value"), [("reason", "lost\x00"), ("outcome_id", "deal-\udc80")])
def test_an_outcome_with_unstorable_text_is_refused(rt: Runtime, lead_id: str, field: str, value: str) -> None:
    kwargs = {"reason": "price", "outcome_id": "deal-1", field: value}
    with pytest.raises(InvalidInput) as caught:
        rt.intake.record_outcome(WS, lead_id, outcome="lost", **kwargs)
    assert [d["field"] for d in caught.value.details] == [field]
    assert rt.store.get_lead(WS, lead_id).stage.value == "new"
