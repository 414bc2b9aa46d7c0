"""A signed webhook the server failed to record (a 5xx) may be sent again as it was: only an
accepted request is remembered as seen, so a sender's identical retry is not refused as a replay
(and the lead or reply it carries is not lost)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from fastapi.testclient import TestClient
from tests.unit.api.conftest import CAMPAIGN, NOW

from leadflow.exceptions import Unavailable
from leadflow.integrations.webhooks import HEADER, create_secret, secret_store_for, sign
from leadflow.runtime import Runtime

T = int(NOW.timestamp())


def test_a_signed_request_that_failed_is_accepted_when_sent_again_and_then_only_once(
    client: TestClient, runtime: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    secret = create_secret(secret_store_for(runtime.store), "default", "leads", now=NOW).secret
    body = json.dumps({"campaign": CAMPAIGN, "source_id": "crm-1", "first_name": "Ada",
                       "email": "ada@example.com", "timezone": "America/New_York"}).encode()
    headers = {"content-type": "application/json", HEADER: sign(secret, body, T)}
    real = runtime.intake.create_lead
    calls = {"n": 0}

    def flaky(*args: Any, **kwargs: Any) -> Any:
        calls["n"] += 1
        if calls["n"] == 1:
            raise Unavailable("database is locked")
        return real(*args, **kwargs)

    monkeypatch.setattr(runtime.intake, "create_lead", flaky)
    assert client.post("/v1/leads", content=body, headers=headers).status_code == 503
    assert client.post("/v1/leads", content=body, headers=headers).status_code == 201  # the sender's retry
    again = client.post("/v1/leads", content=body, headers=headers)
    assert again.status_code == 401 and "replay" in again.json()["error"]["message"]


def test_release_key_forgets_one_claim_on_sqlite(tmp_path: Any) -> None:
    from leadflow.state.sql import SqlStore

    store = SqlStore(f"sqlite:///{tmp_path / 'k.db'}")
    try:
        assert store.claim_key("webhook-signature:000474902", "default:leads:1:abc")
        assert store.claim_key("webhook-signature:000474902", "default:leads:1:def")
        store.release_key("webhook-signature:000474902", "default:leads:1:abc")
        assert store.claim_key("webhook-signature:000474902", "default:leads:1:abc")
        assert not store.claim_key("webhook-signature:000474902", "default:leads:1:def")
    finally:
        store.close()
