"""Bad input, each a clear error and nothing lost: good data stored, bad data kept as a reject."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from tests.unit.api.conftest import CAMPAIGN, LiveServer

from leadflow.orchestrator.csv_import import import_csv
from leadflow.runtime import Runtime

GOOD = {"first_name": "Ann", "email": "ann@acme.com", "source_lead_id": "a1", "campaign": CAMPAIGN}


def rejects(runtime: Runtime) -> list[str]:
    return [r.raw for r in runtime.store.list_rejects("default")]


def errors_of(response: httpx.Response) -> dict[str, str]:
    return {d["field"]: d["message"] for d in response.json()["error"]["details"]}


def test_malformed_csv_row(runtime: Runtime, tmp_path: Path) -> None:
    path = tmp_path / "leads.csv"
    path.write_text("first_name,email,phone\nAnn,ann@acme.com,\nBob,bob@acme.com,555 1234,oops\n"
                    "Cy,cy@acme.com,+1 (555) 123-9999\n", encoding="utf-8")
    report = import_csv(runtime.intake, runtime.store, "default", CAMPAIGN, path)
    assert report.created == 2
    assert [(r.line, r.message) for r in report.rejected] == [(3, "too many cells: the row has 4, the header names 3 columns")]
    assert rejects(runtime) == ["Bob,bob@acme.com,555 1234,oops"]


@pytest.mark.parametrize(
    ("body", "field", "needle"),
    [
        ({"email": "x@acme.com", "campaign": CAMPAIGN}, "first_name", "Field required"),
        ({"first_name": "Ann"}, "campaign", "Field required"),
        ({"first_name": ["Ann"], "campaign": CAMPAIGN}, "first_name", "valid string"),
        ({"first_name": "Ann", "consent": {"sms": "perhaps"}, "campaign": CAMPAIGN}, "consent.sms", "boolean"),
        ({"first_name": "Ann", "timezone": "Mars/Olympus", "campaign": CAMPAIGN}, "timezone", "unknown time zone"),
        ({"first_name": "Ann", "email": "ann@", "campaign": CAMPAIGN}, "email", "not a valid email"),
        ({"first_name": "Ann", "phone": "call me", "campaign": CAMPAIGN}, "phone", "not a phone number"),
    ],
)
def test_webhook_field_errors_are_422_and_kept(client: TestClient, runtime: Runtime, body: dict[str, Any],
                                               field: str, needle: str) -> None:
    assert client.post("/v1/leads", json=GOOD).status_code == 201
    r = client.post("/v1/leads", json=body)
    assert r.status_code == 422
    assert r.json()["error"]["type"] == "InvalidInput"
    assert needle in errors_of(r)[field]
    assert field in r.json()["error"]["message"]
    assert [json.loads(raw) for raw in rejects(runtime)] == [body]
    assert [s.lead.first_name for s in runtime.store.list_leads("default")] == ["Ann"]


def test_malformed_json_and_non_objects(client: TestClient, runtime: Runtime) -> None:
    r = client.post("/v1/leads", content=b'{"first_name": "Ann",', headers={"content-type": "application/json"})
    assert r.status_code == 400
    assert "not valid JSON" in r.json()["error"]["message"]
    r = client.post("/v1/leads", json=[GOOD])
    assert r.status_code == 422 and "JSON object" in r.json()["error"]["message"]
    r = client.post("/v1/leads", content=b"\xff\xfe\x00garbage", headers={"content-type": "application/json"})
    assert r.status_code == 400 and "UTF-8" in r.json()["error"]["message"]
    r = client.post("/v1/leads", content=b"", headers={"content-type": "application/json"})
    assert r.status_code == 400 and "empty" in r.json()["error"]["message"]
    assert rejects(runtime)[0] == '{"first_name": "Ann",'
    assert json.loads(rejects(runtime)[1]) == [GOOD]
    assert len(rejects(runtime)) == 4


def test_unknown_campaign_is_404_and_kept(client: TestClient, runtime: Runtime) -> None:
    body = {**GOOD, "campaign": "autumn"}
    r = client.post("/v1/leads", json=body)
    assert r.status_code == 404 and "autumn" in r.json()["error"]["message"]
    assert [json.loads(raw) for raw in rejects(runtime)] == [body]


def test_duplicate_lead(client: TestClient, runtime: Runtime) -> None:
    first = client.post("/v1/leads", json=GOOD)
    dup = client.post("/v1/leads", json={**GOOD, "company": "Acme"})
    assert (first.status_code, dup.status_code) == (201, 200)
    assert dup.json()["lead_id"] == first.json()["lead_id"] and dup.json()["created"] is False
    assert len(runtime.store.list_leads("default")) == 1 and rejects(runtime) == []


FIVE_MB = 5 * 1024 * 1024


def test_five_megabyte_body_is_413(client: TestClient, runtime: Runtime) -> None:
    big = json.dumps({**GOOD, "inquiry": "x" * FIVE_MB}).encode()
    r = client.post("/v1/leads", content=big, headers={"content-type": "application/json"})
    assert r.status_code == 413
    assert r.json()["error"]["type"] == "PayloadTooLarge" and "limit" in r.json()["error"]["message"]
    assert runtime.store.list_leads("default") == []
    assert client.post("/v1/leads", json=GOOD).status_code == 201  # the API is fine afterwards


def test_chunked_body_is_capped_while_streaming(client: TestClient, runtime: Runtime) -> None:
    sent = 0

    def chunks() -> Iterator[bytes]:
        nonlocal sent
        for _ in range(80):  # 5 MB in 64 KiB pieces, no Content-Length
            sent += 65536
            yield b" " * 65536

    r = client.post("/v1/leads", content=chunks(), headers={"content-type": "application/json"})
    assert r.status_code == 413
    assert runtime.store.list_leads("default") == []


def test_five_megabyte_body_over_real_http(live_server: LiveServer) -> None:
    big = b'{"inquiry": "' + b"x" * FIVE_MB + b'"}'
    with httpx.Client(base_url=live_server.url, timeout=10, headers=live_server.headers) as http:
        try:
            r = http.post("/v1/leads", content=big, headers={"content-type": "application/json"})
        except httpx.TransportError:
            pytest.fail("the server should answer 413, not drop the connection")
        assert r.status_code == 413
        assert http.post("/v1/leads", json=GOOD).status_code == 201
