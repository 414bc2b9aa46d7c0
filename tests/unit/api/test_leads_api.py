"""The leads, replies and operations endpoints: over TestClient, and over real HTTP on loopback."""

from __future__ import annotations

import time
from typing import Any

import httpx
from fastapi.testclient import TestClient
from tests.unit.api.conftest import CAMPAIGN, KeyFactory, LiveServer, bearer

from leadflow.api import create_app
from leadflow.integrations.channels import TranscriptChannel
from leadflow.runtime import Runtime


def lead(**over: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"first_name": "Ann", "last_name": "Lee", "email": "ann@acme.com", "company": "Acme",
                            "timezone": "America/New_York", "source": "webform", "source_lead_id": "wf-1",
                            "campaign": CAMPAIGN}
    body.update(over)
    return body


def test_create_then_duplicate_is_idempotent(client: TestClient, runtime: Runtime) -> None:
    first = client.post("/v1/leads", json=lead())
    assert first.status_code == 201, first.text
    body = first.json()
    assert body["created"] is True and body["stage"] == "new" and body["lead"]["timezone"] == "America/New_York"
    again = client.post("/v1/leads", json=lead(first_name="Annie"))
    assert again.status_code == 200
    assert again.json()["lead_id"] == body["lead_id"] and again.json()["created"] is False
    assert len(runtime.store.list_leads("default")) == 1


def test_get_lead_is_workspace_scoped(client: TestClient, key_for: KeyFactory) -> None:
    lead_id = client.post("/v1/leads", json=lead()).json()["lead_id"]
    assert client.get(f"/v1/leads/{lead_id}").json()["lead"]["email"] == "ann@acme.com"
    other_key = bearer(key_for("other"))
    other = client.get(f"/v1/leads/{lead_id}", headers=other_key)
    assert other.status_code == 404
    assert other.json()["error"]["type"] == "NotFound"
    # the same source id in another workspace is another lead
    theirs = client.post("/v1/leads", json=lead(), headers=other_key)
    assert theirs.status_code == 201 and theirs.json()["lead_id"] != lead_id
    assert client.get("/v1/leads/nope").status_code == 404


def test_a_workspace_header_cannot_widen_the_key(client: TestClient) -> None:
    for header in ("../etc", "other"):
        r = client.get("/v1/leads/x", headers={"X-Workspace": header})
        assert r.status_code == 403 and r.json()["error"]["type"] == "Refused"
    assert client.get("/v1/leads/x", headers={"X-Workspace": "default"}).status_code == 404  # its own: fine


def test_trace_after_the_worker_ran(client: TestClient, runtime: Runtime) -> None:
    lead_id = client.post("/v1/leads", json=lead()).json()["lead_id"]
    runtime.worker.run_until_idle()
    trace = client.get(f"/v1/leads/{lead_id}/trace").json()
    types = [e["type"] for e in trace["events"]]
    assert types[0] == "lead.created"
    assert trace["traces"] and trace["traces"][0]["agent"]
    assert trace["lead"]["touches"] >= 1


def test_replies_are_accepted_once(client: TestClient, runtime: Runtime) -> None:
    lead_id = client.post("/v1/leads", json=lead()).json()["lead_id"]
    reply = {"lead_id": lead_id, "message_id": "<m1@acme.com>", "text": "Tuesday at 3pm works", "channel": "email"}
    first = client.post("/v1/replies", json=reply)
    assert first.status_code == 202 and first.json()["duplicate"] is False
    second = client.post("/v1/replies", json=reply)
    assert second.status_code == 202 and second.json()["duplicate"] is True
    received = [e for e in runtime.store.lead_events("default", lead_id) if e.type == "reply.received"]
    assert len(received) == 1


def test_reply_errors(client: TestClient, runtime: Runtime) -> None:
    r = client.post("/v1/replies", json={"lead_id": "ghost", "message_id": "m", "text": "hi"})
    assert r.status_code == 404
    r = client.post("/v1/replies", json={"lead_id": "ghost", "message_id": "m"})
    assert r.status_code == 422 and "text" in r.json()["error"]["message"]
    r = client.post("/v1/replies", json={"lead_id": "x", "message_id": "m", "text": "hi", "channel": "pigeon"})
    assert r.status_code == 422 and r.json()["error"]["details"][0]["field"] == "channel"
    assert [j.source for j in runtime.store.list_rejects("default")] == ["api:replies"] * 3


def test_agents_health_metrics(client: TestClient) -> None:
    cards = client.get("/v1/agents").json()
    assert {"name", "skills", "capabilities"} <= set(cards[0])
    client.post("/v1/leads", json=lead())
    client.post("/v1/leads", json=lead())
    client.post("/v1/leads", json={"campaign": CAMPAIGN})
    assert client.get("/healthz").json() == {"status": "ok"}
    text = client.get("/metrics").text
    assert "leadflow_leads_created_total 1.0" in text
    assert "leadflow_leads_duplicate_total 1.0" in text
    assert 'leadflow_rejects_total{source="api:leads"} 1.0' in text


def test_api_keys_are_required(runtime: Runtime, key_for: KeyFactory) -> None:
    with TestClient(create_app(runtime)) as c:
        r = c.post("/v1/leads", json=lead())
        assert r.status_code == 401 and r.headers["www-authenticate"] == "Bearer"
        assert r.json()["error"]["type"] == "AuthFailed"
        assert c.get("/v1/agents", headers={"Authorization": "Bearer wrong"}).status_code == 401
        ok = c.post("/v1/leads", json=lead(), headers=bearer(key_for("default", "ingest")))
        assert ok.status_code == 201
        assert c.get("/healthz").status_code == 200  # probes stay open


def test_over_real_http_with_the_worker(live_server: LiveServer, channel: TranscriptChannel) -> None:
    with httpx.Client(base_url=live_server.url, timeout=10, headers=live_server.headers) as http:
        created = http.post("/v1/leads", json=lead())
        assert created.status_code == 201
        lead_id = created.json()["lead_id"]
        deadline = time.monotonic() + 10
        while not channel.deliveries():
            assert time.monotonic() < deadline, "the worker delivered nothing"
            time.sleep(0.02)
        assert channel.deliveries()[0]["lead_id"] == lead_id
        assert http.get(f"/v1/leads/{lead_id}").json()["touches"] >= 1
        bad = http.post("/v1/leads", content=b"{not json", headers={"content-type": "application/json"})
        assert bad.status_code == 400 and bad.json()["error"]["type"] == "MalformedBody"


def test_first_touch_within_a_second_of_creation(client: TestClient, runtime: Runtime,
                                                 channel: TranscriptChannel) -> None:
    started = time.perf_counter()
    r = client.post("/v1/leads", json=lead())
    assert r.status_code == 201
    runtime.worker.run_until_idle()
    latency = time.perf_counter() - started
    (delivery,) = channel.deliveries()
    assert delivery["lead_id"] == r.json()["lead_id"] and delivery["recipient"] == "ann@acme.com"
    assert "Ann" in delivery["body"]
    assert latency < 1.0, f"lead-created to first-touch took {latency:.3f}s"
