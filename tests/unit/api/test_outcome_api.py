"""``POST /v1/leads/{lead_id}/outcome``: a seller marks a deal won or lost, over TestClient and real HTTP."""

from __future__ import annotations

import time
from typing import Any

import httpx
from fastapi.testclient import TestClient
from tests.unit.api.conftest import CAMPAIGN, KeyFactory, LiveServer, bearer

from leadflow.integrations.channels import TranscriptChannel
from leadflow.runtime import Runtime


def lead(**over: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "first_name": "Ann",
        "last_name": "Lee",
        "email": "ann@acme.com",
        "company": "Acme",
        "timezone": "America/New_York",
        "source": "webform",
        "source_lead_id": "wf-1",
        "campaign": CAMPAIGN,
    }
    body.update(over)
    return body


def events_of(runtime: Runtime, lead_id: str, type_: str, workspace: str = "default") -> list[dict[str, Any]]:
    return [e.payload for e in runtime.store.lead_events(workspace, lead_id) if e.type == type_]


def test_won_over_real_http_starts_post_sale(
    live_server: LiveServer, runtime: Runtime, channel: TranscriptChannel
) -> None:
    with httpx.Client(base_url=live_server.url, timeout=10, headers=live_server.headers) as http:
        lead_id = http.post("/v1/leads", json=lead()).json()["lead_id"]
        r = http.post(
            f"/v1/leads/{lead_id}/outcome",
            json={"outcome": "won", "outcome_id": "crm-deal-9", "amount": 12000, "reason": "signed"},
        )
        assert r.status_code == 201, r.text
        body = r.json()
        assert body["outcome"] == "won" and body["amount"] == 12000 and body["duplicate"] is False
        assert http.get(f"/v1/leads/{lead_id}").json()["stage"] == "won"
        deadline = time.monotonic() + 10
        while not any(d["key"] == f"{lead_id}:post_sale:onboarding:0" for d in channel.deliveries()):
            assert time.monotonic() < deadline, f"no welcome email: {channel.deliveries()}"
            time.sleep(0.02)
        again = http.post(
            f"/v1/leads/{lead_id}/outcome",
            json={"outcome": "won", "outcome_id": "crm-deal-9", "amount": 12000, "reason": "signed"},
        )
        assert again.status_code == 200 and again.json()["duplicate"] is True
        assert again.json()["recorded_at"] == body["recorded_at"]
    assert len(events_of(runtime, lead_id, "lead.converted")) == 1
    agents = {t.agent for t in runtime.store.traces_for("default", lead_id)}
    assert "post_sale" in agents


def test_default_outcome_id_makes_a_repeat_a_duplicate(client: TestClient, runtime: Runtime) -> None:
    lead_id = client.post("/v1/leads", json=lead()).json()["lead_id"]
    first = client.post(
        f"/v1/leads/{lead_id}/outcome", json={"outcome": "lost", "reason": "went with a competitor"}
    )
    assert first.status_code == 201 and first.json()["outcome_id"] == f"lost:{lead_id}"
    second = client.post(
        f"/v1/leads/{lead_id}/outcome", json={"outcome": "lost", "reason": "went with a competitor"}
    )
    assert second.status_code == 200 and second.json()["duplicate"] is True
    assert len(events_of(runtime, lead_id, "lead.lost")) == 1
    assert client.get(f"/v1/leads/{lead_id}").json()["stage"] == "lost"


def test_lost_ends_the_leads_timers_and_post_sale_never_runs(client: TestClient, runtime: Runtime) -> None:
    lead_id = client.post("/v1/leads", json=lead()).json()["lead_id"]
    runtime.worker.run_until_idle()
    assert runtime.store.timers_for("default", lead_id)  # the new-lead route's timeout is waiting
    r = client.post(f"/v1/leads/{lead_id}/outcome", json={"outcome": "lost"})
    assert r.status_code == 201
    assert runtime.store.timers_for("default", lead_id) == []
    runtime.worker.run_until_idle()
    assert "post_sale" not in {t.agent for t in runtime.store.traces_for("default", lead_id)}
    assert runtime.store.inbox(limit=10) == []


def test_a_second_different_outcome_is_a_conflict(client: TestClient, runtime: Runtime) -> None:
    lead_id = client.post("/v1/leads", json=lead()).json()["lead_id"]
    assert (
        client.post(f"/v1/leads/{lead_id}/outcome", json={"outcome": "won", "outcome_id": "d1"}).status_code
        == 201
    )
    flip = client.post(f"/v1/leads/{lead_id}/outcome", json={"outcome": "lost", "outcome_id": "d2"})
    assert flip.status_code == 409 and "already marked won" in flip.json()["error"]["message"]
    same_id_other_body = client.post(
        f"/v1/leads/{lead_id}/outcome", json={"outcome": "won", "outcome_id": "d1", "amount": 5}
    )
    assert same_id_other_body.status_code == 409
    assert client.get(f"/v1/leads/{lead_id}").json()["stage"] == "won"
    assert events_of(runtime, lead_id, "lead.lost") == []


def test_an_outcome_id_belongs_to_one_lead(client: TestClient) -> None:
    a = client.post("/v1/leads", json=lead()).json()["lead_id"]
    b = client.post("/v1/leads", json=lead(email="bo@acme.com", source_lead_id="wf-2")).json()["lead_id"]
    assert (
        client.post(f"/v1/leads/{a}/outcome", json={"outcome": "won", "outcome_id": "deal-1"}).status_code
        == 201
    )
    reused = client.post(f"/v1/leads/{b}/outcome", json={"outcome": "won", "outcome_id": "deal-1"})
    assert reused.status_code == 409 and "another lead" in reused.json()["error"]["message"]
    assert client.get(f"/v1/leads/{b}").json()["stage"] == "new"


def test_bad_outcomes_are_clear_errors_and_kept(client: TestClient, runtime: Runtime) -> None:
    lead_id = client.post("/v1/leads", json=lead()).json()["lead_id"]
    cases = [
        ({"outcome": "maybe"}, "outcome"),
        ({"outcome": "won", "amount": -5}, "amount"),
        ({"outcome": "won", "outcome_id": ""}, "outcome_id"),
        ({"outcome": "won", "price": 5}, "price"),
        ({}, "outcome"),
    ]
    for body, field in cases:
        r = client.post(f"/v1/leads/{lead_id}/outcome", json=body)
        assert r.status_code == 422, (body, r.text)
        assert field in [d["field"] for d in r.json()["error"]["details"]], r.json()
    nan = client.post(
        f"/v1/leads/{lead_id}/outcome",
        content=b'{"outcome": "won", "amount": NaN}',
        headers={"content-type": "application/json"},
    )
    assert nan.status_code == 422
    assert client.get(f"/v1/leads/{lead_id}").json()["stage"] == "new"
    assert len(runtime.store.list_rejects("default")) == len(cases) + 1


def test_unknown_lead_is_404_and_kept_and_workspaces_are_separate(
    client: TestClient, runtime: Runtime, key_for: KeyFactory
) -> None:
    r = client.post("/v1/leads/ghost/outcome", json={"outcome": "won"})
    assert r.status_code == 404 and r.json()["error"]["type"] == "NotFound"
    (reject,) = runtime.store.list_rejects("default")
    assert '"won"' in reject.raw and "ghost" in reject.error
    lead_id = client.post("/v1/leads", json=lead()).json()["lead_id"]
    other = client.post(
        f"/v1/leads/{lead_id}/outcome", json={"outcome": "won"}, headers=bearer(key_for("other"))
    )
    assert other.status_code == 404
    assert client.get(f"/v1/leads/{lead_id}").json()["stage"] == "new"
