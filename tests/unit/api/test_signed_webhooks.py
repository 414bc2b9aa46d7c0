"""Issue 10, finding 6: lead and reply webhooks signed with a per-source secret; forged, stale and replayed refused."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator

import httpx
import pytest
from fastapi.testclient import TestClient
from tests.unit.api.conftest import CAMPAIGN, NOW, LiveServer

from leadflow.integrations.webhooks import HEADER, WebhookRefused, create_secret, secret_store_for, sign
from leadflow.runtime import Runtime

T = int(NOW.timestamp())  # the runtime's clock is fixed at NOW


def lead_body(n: int = 1) -> bytes:
    return json.dumps({"campaign": CAMPAIGN, "source_id": f"crm-{n}", "first_name": "Ada",
                       "email": f"ada{n}@example.com", "timezone": "America/New_York"}).encode()


def post(client: TestClient, path: str, body: bytes, signature: str | None = None,
         **headers: str) -> tuple[int, dict[str, object]]:
    sent = {"content-type": "application/json", **headers}
    if signature is not None:
        sent[HEADER] = signature
    r = client.post(path, content=body, headers=sent)
    return r.status_code, r.json()


@pytest.fixture
def secret(runtime: Runtime) -> str:
    return create_secret(secret_store_for(runtime.store), "default", "leads", now=NOW).secret


def test_a_source_without_a_secret_takes_unsigned_requests_as_before(client: TestClient) -> None:
    status, _ = post(client, "/v1/leads", lead_body())
    assert status == 201


def test_a_correctly_signed_lead_is_accepted_once(client: TestClient, runtime: Runtime, secret: str) -> None:
    body = lead_body()
    status, created = post(client, "/v1/leads", body, sign(secret, body, T))
    assert status == 201
    assert runtime.store.get_lead("default", str(created["lead_id"])).lead.email == "ada1@example.com"
    status, err = post(client, "/v1/leads", body, sign(secret, body, T))  # the same request again
    assert status == 401
    assert err["error"]["type"] == "WebhookRefused"  # type: ignore[index]
    assert "replay" in err["error"]["message"]  # type: ignore[index]


@pytest.mark.parametrize("case", ["unsigned", "forged", "wrong secret", "body changed", "stale", "future",
                                  "malformed", "re-dated"])
def test_bad_signatures_are_refused_401_and_nothing_is_recorded(client: TestClient, runtime: Runtime, secret: str,
                                                               case: str) -> None:
    body = lead_body()
    signature = {
        "unsigned": None,
        "forged": f"t={T},v1={'0' * 64}",
        "wrong secret": sign("whsec_not-the-secret", body, T),
        "body changed": sign(secret, lead_body(2), T),
        "stale": sign(secret, body, T - 301),
        "future": sign(secret, body, T + 301),
        "malformed": "v1=abc",
        # a captured signature with a fresh timestamp: the timestamp is signed too
        "re-dated": sign(secret, body, T - 3600).replace(f"t={T - 3600}", f"t={T}"),
    }[case]
    status, err = post(client, "/v1/leads", body, signature)
    assert status == 401, err
    assert set(err["error"]) == {"type", "message", "details"}  # type: ignore[arg-type]
    assert runtime.store.list_leads("default") == []
    assert runtime.store.list_rejects("default") == []  # unauthenticated bodies are not kept


def test_a_signature_inside_the_tolerance_is_accepted(client: TestClient, secret: str) -> None:
    body = lead_body()
    status, _ = post(client, "/v1/leads", body, sign(secret, body, T - 299))
    assert status == 201


def test_rotation_two_v1_values_and_two_active_secrets(client: TestClient, runtime: Runtime, secret: str) -> None:
    secrets = secret_store_for(runtime.store)
    new = create_secret(secrets, "default", "leads", now=NOW)
    # the sender signs with the old and the new secret while it rotates
    body = lead_body(1)
    status, _ = post(client, "/v1/leads", body, sign([secret, new.secret], body, T))
    assert status == 201
    # only the new one (the old still active here): accepted too
    body = lead_body(2)
    assert post(client, "/v1/leads", body, sign(new.secret, body, T))[0] == 201
    # the old one revoked: a request signed only with it is refused, the new one still works
    [old] = [s for s in secrets.list_secrets("default", "leads") if s.secret == secret]
    assert secrets.revoke_secret("default", old.secret_id, NOW)
    body = lead_body(3)
    assert post(client, "/v1/leads", body, sign(secret, body, T))[0] == 401
    assert post(client, "/v1/leads", body, sign([secret, new.secret], body, T))[0] == 201


def test_a_replay_with_only_the_other_rotation_signature_is_still_a_replay(client: TestClient, runtime: Runtime,
                                                                          secret: str) -> None:
    new = create_secret(secret_store_for(runtime.store), "default", "leads", now=NOW)
    body = lead_body()
    assert post(client, "/v1/leads", body, sign([secret, new.secret], body, T))[0] == 201
    assert post(client, "/v1/leads", body, sign(new.secret, body, T))[0] == 401


def test_a_forged_reply_cannot_opt_out_a_lead(client: TestClient, runtime: Runtime) -> None:
    """The finding's attack: a reply to a known lead id, posted by anyone, opted the lead out."""
    status, created = post(client, "/v1/leads", lead_body())
    assert status == 201
    lead_id = str(created["lead_id"])
    reply_secret = create_secret(secret_store_for(runtime.store), "default", "replies", now=NOW).secret
    forged = json.dumps({"lead_id": lead_id, "message_id": "<m1@evil>", "text": "STOP, unsubscribe me"}).encode()
    assert post(client, "/v1/replies", forged)[0] == 401
    assert post(client, "/v1/replies", forged, sign("whsec_guess", forged, T))[0] == 401
    assert runtime.store.lead_events("default", lead_id)[-1].type == "lead.created"  # no reply recorded
    status, accepted = post(client, "/v1/replies", forged, sign(reply_secret, forged, T))
    assert status == 202 and accepted["duplicate"] is False


def test_secrets_are_per_source_and_per_workspace(client: TestClient, runtime: Runtime) -> None:
    secrets = secret_store_for(runtime.store)
    create_secret(secrets, "default", "replies", now=NOW)  # replies signed; leads not
    other = create_secret(secrets, "other", "leads", now=NOW)  # another workspace's leads signed
    body = lead_body()
    assert post(client, "/v1/leads", body)[0] == 201
    # the other workspace's secret does not sign this workspace's requests
    body = lead_body(2)
    assert secrets.list_secrets("default", "leads") == []
    assert post(client, "/v1/leads", body, sign(other.secret, body, T))[0] == 201  # no secret: signature ignored


def test_require_signatures_refuses_sources_without_a_secret(client: TestClient, runtime: Runtime) -> None:
    runtime.settings = runtime.settings.model_copy(update={"require_signatures": True})
    status, err = post(client, "/v1/leads", lead_body())
    assert status == 401
    assert "webhooks secret create" in err["error"]["message"]  # type: ignore[index]
    secret = create_secret(secret_store_for(runtime.store), "default", "leads", now=NOW).secret
    body = lead_body()
    assert post(client, "/v1/leads", body, sign(secret, body, T))[0] == 201


def test_the_tolerance_is_a_setting(client: TestClient, runtime: Runtime, secret: str) -> None:
    runtime.settings = runtime.settings.model_copy(update={"webhook_tolerance": 30})
    body = lead_body()
    assert post(client, "/v1/leads", body, sign(secret, body, T - 31))[0] == 401
    assert post(client, "/v1/leads", body, sign(secret, body, T - 29))[0] == 201


def test_a_signed_body_that_is_bad_json_is_still_a_reject(client: TestClient, runtime: Runtime,
                                                          secret: str) -> None:
    """The signature is checked over the bytes the parser reads: one read, both see the same body."""
    body = b'{"campaign": "spring", "email": "not-an-email"}'
    status, _ = post(client, "/v1/leads", body, sign(secret, body, T))
    assert status == 422
    [reject] = runtime.store.list_rejects("default")
    assert reject.raw == body.decode()


def test_refused_webhooks_are_audited_with_the_reason(client: TestClient, runtime: Runtime, secret: str) -> None:
    from leadflow.auth import auth_store_for

    body = lead_body()
    assert post(client, "/v1/leads", body, sign("whsec_guess", body, T))[0] == 401
    assert post(client, "/v1/leads", body, sign(secret, body, T - 1000))[0] == 401
    entries = sorted((e for e in auth_store_for(runtime.store).list_audit("default") if e.action == "lead.create"),
                     key=lambda e: e.id)
    assert [e.result for e in entries] == ["refused", "refused"]
    assert "webhook signature mismatch" in (entries[0].detail or "")
    assert "webhook signature stale" in (entries[1].detail or "")


def test_replay_claims_older_than_any_window_are_forgotten(runtime: Runtime) -> None:
    from datetime import timedelta

    from leadflow.integrations.webhooks import WebhookGuard
    from leadflow.integrations.webhooks.guard import replay_scope

    secrets = secret_store_for(runtime.store)
    secret = create_secret(secrets, "default", "replies", now=NOW).secret
    guard = WebhookGuard(runtime.store, secrets)
    old, new = lead_body(1), lead_body(2)
    guard.check("default", "replies", {HEADER: sign(secret, old, T)}, old, now=NOW)
    key = f"default:replies:{T}:{hashlib.sha256(old).hexdigest()}"
    assert not runtime.store.claim_key(replay_scope(T), key)  # remembered inside the window
    later = NOW + timedelta(hours=3)
    guard.check("default", "replies", {HEADER: sign(secret, new, T + 3 * 3600)}, new, now=later)
    assert runtime.store.claim_key(replay_scope(T), key)  # forgotten: it is stale for ever anyway
    with pytest.raises(WebhookRefused):  # and the old request is still refused, as stale
        guard.check("default", "replies", {HEADER: sign(secret, old, T)}, old, now=later)


def test_over_real_http_a_chunked_signed_body_is_checked_over_its_bytes(live_server: LiveServer,
                                                                         runtime: Runtime) -> None:
    """Through uvicorn, with a body sent in chunks (no Content-Length): the signature is checked
    over exactly the bytes the parser then reads."""
    secret = create_secret(secret_store_for(runtime.store), "default", "leads", now=NOW).secret
    body = lead_body(7)

    def chunks() -> Iterator[bytes]:
        for i in range(0, len(body), 16):
            yield body[i:i + 16]

    with httpx.Client(base_url=live_server.url, timeout=10, headers=live_server.headers) as http:
        headers = {"content-type": "application/json", HEADER: sign(secret, body, T)}
        created = http.post("/v1/leads", content=chunks(), headers=headers)
        assert created.status_code == 201, created.text
        again = http.post("/v1/leads", content=chunks(), headers=headers)
        assert again.status_code == 401 and again.json()["error"]["type"] == "WebhookRefused"
        tampered = body.replace(b"Ada", b"Eve")
        forged = http.post("/v1/leads", content=tampered,
                           headers={"content-type": "application/json", HEADER: sign(secret, body, T + 1)})
        assert forged.status_code == 401
    assert [s.lead.first_name for s in runtime.store.list_leads("default")] == ["Ada"]
