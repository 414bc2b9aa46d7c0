"""Reading a lead from outside: ``GET /v1/leads/{id}`` and ``/messages`` after the agents worked on it.

A runtime runs a lead through its first touch and replies (posted over the API, as a mail
webhook would); the lead's view then shows where it stands (stage, score, answers, the
meeting, the next follow-up, the owner, the campaign) and its messages show what the agents
sent, word for word, with the mailbox, subject and status, beside what the lead wrote.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from tests.unit.api.conftest import KeyFactory, bearer
from tests.unit.orchestrator.conftest import NOW

from leadflow.api import create_app
from leadflow.auth import keyring_for
from leadflow.domain.actions import ActionKind
from leadflow.domain.models import Lead
from leadflow.integrations.channels import TranscriptChannel
from leadflow.orchestrator.clock import FixedClock
from leadflow.orchestrator.lead_view import lead_messages
from leadflow.runtime import Runtime
from leadflow.settings import Settings
from leadflow.sim.run import CAMPAIGN, demo_campaign
from leadflow.state import MemoryStore, open_store
from leadflow.state.records import ActionRow

WS = "default"


@pytest.fixture(params=["memory", "sqlite"])
def demo_rt(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Runtime]:
    """The default agents on each store with the demo campaign (three sender mailboxes)."""
    channel = TranscriptChannel(":memory:")
    store = MemoryStore() if request.param == "memory" else open_store(f"sqlite:///{tmp_path / 'leadflow.db'}")
    rt = Runtime.build(Settings(db_url="memory://", transcript_path=":memory:", workspace=WS),
                       store=store, clock=FixedClock(NOW), channel=channel)
    rt.store.save_campaign(WS, demo_campaign())
    rt.store.save_campaign("other", demo_campaign())
    yield rt
    rt.close()
    channel.close()


@pytest.fixture
def keys(demo_rt: Runtime) -> KeyFactory:
    def make(workspace: str = WS, role: str = "viewer") -> str:
        return keyring_for(demo_rt.store).create(workspace, role, name="tests", actor="tests")[1]

    return make


@pytest.fixture
def api(demo_rt: Runtime, keys: KeyFactory) -> Iterator[TestClient]:
    with TestClient(create_app(demo_rt), headers=bearer(keys(role="admin"))) as c:
        yield c


def _lead(api: TestClient, rt: Runtime, n: int = 1) -> str:
    body: dict[str, Any] = {
        "first_name": "Dana", "last_name": "Ortiz", "email": f"dana{n}@northwind.example", "company": "Northwind",
        "title": "Head of Sales", "industry": "b2b_saas", "timezone": "America/New_York", "source": "webform",
        "source_lead_id": f"d{n}", "campaign": CAMPAIGN, "inquiry": "We need more qualified meetings.",
    }  # fmt: skip
    r = api.post("/v1/leads", json=body)
    assert r.status_code == 201, r.text
    rt.worker.run_until_idle()  # the first touch goes out (NOW is inside the lead's window)
    return str(r.json()["lead_id"])


def _reply(api: TestClient, rt: Runtime, lead_id: str, n: int, text: str, subject: str | None = None) -> None:
    r = api.post("/v1/replies", json={"lead_id": lead_id, "message_id": f"<r{n}-{lead_id}@northwind.example>",
                                      "text": text, "sender": "dana@northwind.example", "subject": subject})
    assert r.status_code == 202, r.text
    rt.worker.run_until_idle()


def test_the_lead_shows_where_it_stands_after_a_first_touch_and_replies(
    api: TestClient, demo_rt: Runtime, keys: KeyFactory
) -> None:
    lead_id = _lead(api, demo_rt)
    viewer = bearer(keys())
    fresh = api.get(f"/v1/leads/{lead_id}", headers=viewer).json()
    assert fresh["stage"] == "contacted" and fresh["touches"] == 1 and fresh["appointment"] is None
    assert fresh["campaign"] == CAMPAIGN and fresh["owner"] is None

    _reply(api, demo_rt, lead_id, 1, "Sounds great. We have 40 reps, we use HubSpot, budget of 20000 dollars is "
                                     "approved, we need it within 2 weeks and I am the decision maker.")
    qualified = api.get(f"/v1/leads/{lead_id}", headers=viewer).json()
    assert qualified["stage"] == "qualified" and qualified["score"] == "hot"
    assert qualified["qualification"]["team_size"] == 40 and qualified["qualification"]["budget"] == 20000
    assert qualified["qualification"]["authority"] == "yes"
    assert not [k for k in qualified["qualification"] if k.startswith("_")]  # the agents' bookkeeping stays in

    _reply(api, demo_rt, lead_id, 2, "Thursday at 2pm works")
    body = api.get(f"/v1/leads/{lead_id}", headers=viewer).json()
    state = demo_rt.store.get_lead(WS, lead_id)
    assert body["stage"] == "meeting_booked" == state.stage.value
    assert body["appointment"]["start"] == "2026-03-05T14:00:00-05:00" and body["appointment"]["with_rep"] == "Sam"
    assert body["replies"] == 2 and body["tier"] == state.tier
    # the next follow-up: the earliest active timer of the lead (the day-before reminder)
    timers = demo_rt.store.timers_for(WS, lead_id)
    earliest = min(timers, key=lambda t: t.spec.fire_at)
    assert body["next_follow_up"]["kind"] == "timer" and body["next_follow_up"]["name"] == earliest.spec.name
    assert body["next_follow_up"]["at"].replace("Z", "+00:00") == earliest.spec.fire_at.isoformat()
    assert body["paused_until"] is None and body["owner"] is None

    # a lead handed to a person shows its owner
    other = _lead(api, demo_rt, 2)
    _reply(api, demo_rt, other, 1, "Can I please talk to a real person? Call me.")
    handed = api.get(f"/v1/leads/{other}", headers=viewer).json()
    assert handed["owner"] == demo_rt.store.get_lead(WS, other).assigned_to == "human"


def test_messages_show_the_first_touch_in_full_and_the_reply(
    api: TestClient, demo_rt: Runtime, keys: KeyFactory
) -> None:
    lead_id = _lead(api, demo_rt)
    [first] = [r.action for r in demo_rt.store.actions_for(WS, lead_id) if r.action.kind is ActionKind.SEND_EMAIL]
    _reply(api, demo_rt, lead_id, 1, "Sounds interesting, tell me more about how it works.",
           subject=f"Re: {first.subject}")
    r = api.get(f"/v1/leads/{lead_id}/messages", headers=bearer(keys()))
    assert r.status_code == 200, r.text
    messages = r.json()["messages"]
    assert r.json()["lead_id"] == lead_id
    out = [m for m in messages if m["direction"] == "outbound"]
    touch = out[0]
    assert touch["id"] == first.idempotency_key and touch["status"] == "sent" and touch["agent"] == "response"
    assert touch["text"] == first.body and "Dana" in touch["text"] and "unsubscribe" in touch["text"]
    assert touch["sender"] == first.payload["from"] == "sam@leadflow-demo.example"
    assert touch["recipient"] == "dana1@northwind.example" and touch["subject"] == first.subject
    assert touch["channel"] == "email" and touch["written_by"] == "template"
    [reply] = [m for m in messages if m["direction"] == "inbound"]
    assert reply["status"] == "received" and reply["sender"] == "dana@northwind.example"
    assert reply["text"] == "Sounds interesting, tell me more about how it works."
    assert reply["subject"] == f"Re: {first.subject}"
    # every outbox row to the lead is there with its own status: the answer sent, a drip step suppressed
    rows = {row.action.idempotency_key: row.status for row in demo_rt.store.actions_for(WS, lead_id)
            if row.action.kind is not ActionKind.NOTIFY_HUMAN}
    assert {m["id"]: m["status"] for m in out} == rows and len(rows) >= 2


def test_another_workspace_gets_404_for_both_views(api: TestClient, demo_rt: Runtime, keys: KeyFactory) -> None:
    lead_id = _lead(api, demo_rt)
    theirs = bearer(keys("other", "admin"))
    for path in (f"/v1/leads/{lead_id}", f"/v1/leads/{lead_id}/messages"):
        r = api.get(path, headers=theirs)
        assert r.status_code == 404 and r.json()["error"]["type"] == "NotFound", path
        assert "Dana" not in r.text and "northwind" not in r.text
        assert api.get(path, headers=bearer(keys())).status_code == 200  # a viewer of its own workspace reads it
    assert api.get("/v1/leads/nope/messages").status_code == 404
    assert api.get(f"/v1/leads/{lead_id}/messages", headers={"Authorization": ""}).status_code == 401


def test_a_held_draft_a_person_edited_shows_as_held_and_written_by_them(demo_rt: Runtime) -> None:
    """The view reads the outbox row as it is: here a draft held for review that a person edited."""
    lead = demo_rt.intake.create_lead(WS, CAMPAIGN, Lead(first_name="Dana", email="dana@northwind.example",
                                                         timezone="America/New_York"))[0]
    demo_rt.worker.run_until_idle()
    [row] = [r for r in demo_rt.store.actions_for(WS, lead.lead_id) if r.action.kind is ActionKind.SEND_EMAIL]
    edited = row.action.model_copy(update={"body": "Hi Dana, edited by hand.",
                                           "payload": {**row.action.payload, "review": {"edited_by": "maya"}}})
    held = replace(row, action=edited, status="held", detail="review_first_touch: the first message to this lead")

    class Rows:
        def actions_for(self, workspace_id: str, lead_id: str) -> list[ActionRow]:
            return [held]

    [view] = lead_messages(Rows(), demo_rt.store.get_lead(WS, lead.lead_id))  # type: ignore[arg-type]
    assert view.status == "held" and view.written_by == "person:maya" and view.text == "Hi Dana, edited by hand."
    assert view.detail == "review_first_touch: the first message to this lead"
    assert view.sender == row.action.payload["from"]


def test_a_first_touch_waiting_for_the_window_is_the_next_follow_up_and_a_pending_message() -> None:
    night = datetime(2026, 3, 3, 8, 0, tzinfo=UTC)  # 03:00 in New York: the first touch waits for the morning
    channel = TranscriptChannel(":memory:")
    rt = Runtime.build(Settings(db_url="memory://", transcript_path=":memory:", workspace=WS),
                       store=MemoryStore(), clock=FixedClock(night), channel=channel)
    try:
        rt.store.save_campaign(WS, demo_campaign())
        key = keyring_for(rt.store).create(WS, "viewer", name="tests", actor="tests")[1]
        lead = rt.intake.create_lead(WS, CAMPAIGN, Lead(first_name="Dana", email="dana@northwind.example",
                                                        timezone="America/New_York"))[0]
        rt.worker.run_until_idle()
        [row] = [r for r in rt.store.actions_for(WS, lead.lead_id) if r.action.kind is ActionKind.SEND_EMAIL]
        assert row.status == "pending" and row.action.not_before is not None and row.action.not_before > night
        with TestClient(create_app(rt), headers=bearer(key)) as c:
            body = c.get(f"/v1/leads/{lead.lead_id}").json()
            [message] = c.get(f"/v1/leads/{lead.lead_id}/messages").json()["messages"]
    finally:
        rt.close()
        channel.close()
    assert body["stage"] == "new" and body["touches"] == 0
    follow = body["next_follow_up"]
    assert follow["kind"] == "send" and follow["name"] == row.action.subject and follow["agent"] == "response"
    assert datetime.fromisoformat(follow["at"]) == row.action.not_before
    assert message["status"] == "pending" and datetime.fromisoformat(message["at"]) == row.action.not_before
    assert message["text"] == row.action.body
