"""Issue 10, findings 2 and 3: the API is closed by default, and one key opens one workspace.

Before: with no token every route accepted anything; ``text/plain`` bodies were taken as JSON
(a web page could post a lead cross-origin without a preflight); ``X-Workspace: other`` read
and wrote another workspace; ``/healthz`` showed every workspace's lead counts per stage.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from fastapi import APIRouter, FastAPI
from fastapi.testclient import TestClient
from tests.unit.api.conftest import CAMPAIGN, KeyFactory, bearer
from tests.unit.api.test_leads_api import lead

from leadflow.api import create_app, create_insecure_app
from leadflow.api.auth import PUBLIC, allow, check_guarded, is_loopback
from leadflow.auth import auth_store_for, keyring_for
from leadflow.auth.keys import LEADS_READ
from leadflow.exceptions import ConfigError
from leadflow.runtime import Runtime
from leadflow.settings import Settings


def test_no_key_is_refused_by_default_and_nothing_is_recorded(runtime: Runtime) -> None:
    with TestClient(create_app(runtime)) as c:
        r = c.post("/v1/leads", json=lead())
        assert r.status_code == 401 and r.headers["www-authenticate"] == "Bearer"
        assert r.json()["error"]["type"] == "AuthFailed"
        assert c.get("/v1/agents").status_code == 401
    assert runtime.store.list_leads("default") == []


def test_text_plain_is_refused_415_and_json_with_a_charset_is_fine(client: TestClient, runtime: Runtime) -> None:
    body = json.dumps(lead()).encode()
    for media in ("text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", None):
        headers = {"content-type": media} if media else {}
        r = client.post("/v1/leads", content=body, headers=headers)
        assert r.status_code == 415, (media, r.text)
        assert r.json()["error"]["type"] == "UnsupportedMediaType"
        assert r.json()["error"]["details"][0]["field"] == "Content-Type"
    assert runtime.store.list_leads("default") == []
    ok = client.post("/v1/leads", content=body, headers={"content-type": "application/json; charset=utf-8"})
    assert ok.status_code == 201


def test_a_web_page_cannot_post_a_lead_cross_origin(client: TestClient, runtime: Runtime) -> None:
    """What a page on another site can send without a preflight: a text/plain POST, no key of ours."""
    simple = {"Origin": "https://evil.example", "content-type": "text/plain"}
    body = json.dumps(lead()).encode()
    with TestClient(create_app(runtime)) as browser:  # a browser has no key of ours to attach
        r = browser.post("/v1/leads", content=body, headers=simple)
        assert r.status_code == 401 and "access-control-allow-origin" not in r.headers
    r = client.post("/v1/leads", content=body, headers=simple)  # even with a key: not JSON, not taken
    assert r.status_code == 415 and "access-control-allow-origin" not in r.headers
    assert runtime.store.list_leads("default") == []


def test_cross_origin_requests_get_no_cors_allowance_by_default(client: TestClient) -> None:
    evil = {"Origin": "https://evil.example"}
    r = client.post("/v1/leads", json=lead(), headers=evil)
    assert "access-control-allow-origin" not in r.headers
    pre = client.options("/v1/leads", headers={**evil, "Access-Control-Request-Method": "POST",
                                               "Access-Control-Request-Headers": "content-type,authorization"})
    assert "access-control-allow-origin" not in pre.headers


def test_cors_allows_only_the_configured_origins(runtime: Runtime, key_for: KeyFactory) -> None:
    runtime.settings = runtime.settings.model_copy(update={"cors_origins": ("https://app.example",)})
    with TestClient(create_app(runtime), headers=bearer(key_for())) as c:
        pre = c.options("/v1/leads", headers={"Origin": "https://app.example", "Access-Control-Request-Method": "POST"})
        assert pre.headers["access-control-allow-origin"] == "https://app.example"
        other = c.get("/v1/agents", headers={"Origin": "https://evil.example"})
        assert "access-control-allow-origin" not in other.headers
    assert Settings.from_env({"LEADFLOW_CORS_ORIGINS": "https://a.example, https://b.example"}).cors_origins == (
        "https://a.example", "https://b.example")


def test_another_workspace_header_reads_nothing_and_records_nothing(
    client: TestClient, runtime: Runtime, key_for: KeyFactory
) -> None:
    theirs = client.post("/v1/leads", json=lead(first_name="Olga", email="olga@other.example"),
                         headers=bearer(key_for("other")))
    lead_id = theirs.json()["lead_id"]
    before = [e.id for e in runtime.store.lead_events("other", lead_id)]
    hop = {"X-Workspace": "other"}
    for r in (client.get(f"/v1/leads/{lead_id}", headers=hop), client.get(f"/v1/leads/{lead_id}/trace", headers=hop),
              client.post(f"/v1/leads/{lead_id}/outcome", json={"outcome": "won"}, headers=hop),
              client.post("/v1/replies", json={"lead_id": lead_id, "message_id": "m1", "text": "stop"}, headers=hop),
              client.post("/v1/leads", json=lead(source_lead_id="x-2"), headers=hop)):
        assert r.status_code == 403 and r.json()["error"]["type"] == "Refused", r.text
        assert "Olga" not in r.text and lead_id not in r.text
    assert [e.id for e in runtime.store.lead_events("other", lead_id)] == before
    assert len(runtime.store.list_leads("other")) == 1 and runtime.store.list_leads("default") == []
    assert runtime.store.list_rejects("other") == []


def test_healthz_shows_no_counts(client: TestClient, runtime: Runtime) -> None:
    client.post("/v1/leads", json=lead())
    with TestClient(create_app(runtime)) as anonymous:
        r = anonymous.get("/healthz", headers={"X-Workspace": "default"})
    assert r.status_code == 200 and r.json() == {"status": "ok"}


def test_documents_and_metrics_need_a_key(runtime: Runtime, key_for: KeyFactory) -> None:
    with TestClient(create_app(runtime)) as c:
        for path in ("/docs", "/redoc", "/openapi.json", "/metrics"):
            assert c.get(path).status_code == 401, path
            assert c.get(path, headers=bearer(key_for("default", "ingest"))).status_code == 200, path
        schema = c.get("/openapi.json", headers=bearer(key_for())).json()
    assert "/v1/leads" in schema["paths"] and "HTTPBearer" in schema["components"]["securitySchemes"]


def test_changes_and_refusals_are_audited_with_who_what_and_result(
    client: TestClient, runtime: Runtime, key_for: KeyFactory
) -> None:
    ingest = key_for("default", "ingest")
    created = client.post("/v1/leads", json=lead(), headers=bearer(ingest)).json()["lead_id"]
    client.post("/v1/leads", json=lead(), headers=bearer(ingest))  # the same lead again
    client.get(f"/v1/leads/{created}", headers=bearer(ingest))  # too weak a role
    client.post("/v1/replies", json={"lead_id": created, "message_id": "<m@x>", "text": "Tuesday?"})
    client.post(f"/v1/leads/{created}/outcome", json={"outcome": "won", "amount": 10}, headers=bearer(ingest))
    ingest_id = ingest.split("_")[1]
    client.get("/v1/agents", headers=bearer(f"lf_{ingest_id}_{'A' * 43}"))  # a real key id, a wrong secret
    client.get("/v1/agents", headers={"Authorization": "Bearer nobody"})  # anonymous: not attributable
    log = auth_store_for(runtime.store).list_audit("default", limit=20)
    rows = [(e.actor.split(":")[0], e.role, e.action, e.target_kind, e.target_id, e.result) for e in log]
    assert rows[:6] == [
        ("key", "ingest", "agents.read", None, None, "refused"),  # the wrong secret of a real key id
        ("key", "ingest", "outcome.record", "lead", created, "refused"),
        ("key", "admin", "reply.receive", "lead", created, "ok"),
        ("key", "ingest", "lead.read", "lead", created, "refused"),
        ("key", "ingest", "lead.create", "lead", created, "duplicate"),
        ("key", "ingest", "lead.create", "lead", created, "ok"),
    ]
    assert log[0].actor == f"key:{ingest_id}" and "wrong secret" in (log[0].detail or "")
    assert all(e.actor.startswith(("key:", "tests")) for e in log)


def test_insecure_mode_is_admin_of_the_default_workspace_and_says_so_in_the_log(runtime: Runtime) -> None:
    with TestClient(create_insecure_app(runtime)) as c:
        r = c.post("/v1/leads", json=lead())
        assert r.status_code == 201
        assert c.get(f"/v1/leads/{r.json()['lead_id']}").status_code == 200
        assert c.get("/v1/agents", headers={"X-Workspace": "other"}).status_code == 403
    (entry,) = [e for e in auth_store_for(runtime.store).list_audit("default") if e.action == "lead.create"]
    assert entry.actor == "insecure" and entry.role == "admin"


def test_revoking_a_key_stops_it_at_once(client: TestClient, runtime: Runtime, key_for: KeyFactory) -> None:
    key = key_for("default", "viewer")
    assert client.get("/v1/agents", headers=bearer(key)).status_code == 200
    keyring_for(runtime.store).revoke(key.split("_")[1], actor="tests")
    assert client.get("/v1/agents", headers=bearer(key)).status_code == 401


def test_an_app_with_an_unguarded_route_is_refused() -> None:
    with pytest.raises(ConfigError, match=r"/openapi\.json checks no permission"):
        check_guarded(FastAPI())  # FastAPI's own public documents count too
    app = FastAPI(openapi_url=None, docs_url=None, redoc_url=None)
    router = APIRouter()

    @router.get("/v1/guarded", dependencies=[allow(LEADS_READ, "test.read")])
    def guarded() -> dict[str, str]:
        return {}

    @router.get("/v1/open")
    def open_() -> dict[str, str]:
        return {}

    app.include_router(router)
    with pytest.raises(ConfigError, match="/v1/open checks no permission"):
        check_guarded(app)
    assert "/v1/open" not in PUBLIC


@pytest.mark.parametrize(("host", "loopback"), [
    ("127.0.0.1", True), ("127.1.2.3", True), ("::1", True), ("[::1]", True), ("localhost", True),
    ("0.0.0.0", False), ("::", False), ("192.168.1.5", False), ("example.com", False), ("", False),
])
def test_loopback_addresses(host: str, loopback: bool) -> None:
    assert is_loopback(host) is loopback


def test_metrics_count_only_the_key_workspace(client: TestClient, key_for: KeyFactory) -> None:
    theirs = bearer(key_for("other", "ingest"))
    for n in range(3):
        assert client.post("/v1/leads", json=lead(source_lead_id=f"o-{n}", email=f"o{n}@x.example"),
                           headers=theirs).status_code == 201
    client.post("/v1/leads", json=lead())
    mine = client.get("/metrics").text
    assert "leadflow_leads_created_total 1.0" in mine
    assert "leadflow_leads_created_total 3.0" in client.get("/metrics", headers=theirs).text


def test_keys_and_audit_on_a_sqlite_store(tmp_path: Path) -> None:
    from leadflow.domain.models import Campaign
    from leadflow.state.sql import SqlStore

    settings = Settings(db_url=f"sqlite:///{tmp_path / 'api.db'}", transcript_path=str(tmp_path / "t.db"))
    runtime = Runtime.build(settings, store=SqlStore(settings.db_url))
    try:
        runtime.store.save_campaign("default", Campaign(name=CAMPAIGN))
        key = keyring_for(runtime.store).create("default", "member", actor="tests")[1]
        with TestClient(create_app(runtime), headers=bearer(key)) as c:
            lead_id = c.post("/v1/leads", json=lead()).json()["lead_id"]
            assert c.get(f"/v1/leads/{lead_id}").status_code == 200
            assert c.get("/v1/agents", headers={"X-Workspace": "other"}).status_code == 403
        reopened = SqlStore(settings.db_url)
        try:
            log = auth_store_for(reopened).list_audit("default")
            assert [(e.action, e.result) for e in log] == [
                ("agents.read", "refused"), ("lead.create", "ok"), ("key.create", "ok")]
            (stored,) = auth_store_for(reopened).list_keys("default")
            assert stored.last_used_at is not None
        finally:
            reopened.close()
    finally:
        runtime.close()


def test_a_request_that_fails_unexpectedly_is_audited_as_an_error(
    runtime: Runtime, key_for: KeyFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*_a: object, **_k: object) -> None:
        raise RuntimeError("a bug")

    monkeypatch.setattr(runtime.intake, "create_lead", broken)
    with TestClient(create_app(runtime), headers=bearer(key_for()), raise_server_exceptions=False) as c:
        assert c.post("/v1/leads", json=lead()).status_code == 500
    (entry,) = [e for e in auth_store_for(runtime.store).list_audit("default") if e.action == "lead.create"]
    assert entry.result == "error" and entry.detail == "500 POST /v1/leads"
