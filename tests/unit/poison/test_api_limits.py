"""Finding 1 of issue 10, at the API: bodies past the input limits are refused with the one
JSON error shape (never a 201 that poisons the worker, never a plain-text 500)."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from tests.unit.poison.conftest import CAMPAIGN, WS, deep, poison_lead_doc

from leadflow.domain.actions import ActionKind
from leadflow.runtime import Runtime

JSON = {"content-type": "application/json"}


def lead_body(attributes: str) -> str:
    return f'{{"first_name":"Ann","email":"ann@acme.com","campaign":"{CAMPAIGN}","attributes":{attributes}}}'


def assert_error_shape(r: object, status: set[int]) -> dict[str, object]:
    assert r.status_code in status, (r.status_code, r.text[:300])  # type: ignore[attr-defined]
    assert r.headers["content-type"].startswith("application/json")  # type: ignore[attr-defined]
    error = r.json()["error"]  # type: ignore[attr-defined]
    assert set(error) == {"type", "message", "details"}
    return error  # type: ignore[no-any-return]


def test_depth_200_attributes_are_refused_with_the_path(client: TestClient, rt: Runtime) -> None:
    r = client.post("/v1/leads", content=lead_body(deep(200)), headers=JSON)
    error = assert_error_shape(r, {422})
    assert error["type"] == "InvalidInput"
    [detail] = error["details"]  # type: ignore[misc]
    assert detail["field"].startswith("attributes.a.a.a") and "levels deep" in detail["message"]
    assert rt.store.list_leads(WS) == []


@pytest.mark.parametrize("depth", [300, 1000, 5000, 100_000])
def test_deeper_bodies_get_the_json_error_shape_not_a_plain_500(client: TestClient, depth: int) -> None:
    r = client.post("/v1/leads", content=lead_body(deep(depth)), headers=JSON)
    assert_error_shape(r, {400, 422})


@pytest.mark.parametrize("constant", ["NaN", "Infinity", "-Infinity"])
def test_nan_and_infinity_are_refused(client: TestClient, rt: Runtime, constant: str) -> None:
    r = client.post("/v1/leads", content=lead_body(f'{{"score": {constant}}}'), headers=JSON)
    error = assert_error_shape(r, {422})
    assert constant in str(error["message"]) and "not a JSON number" in str(error["message"])
    assert rt.store.list_leads(WS) == []


@pytest.mark.parametrize(("attributes", "needle"), [
    ('{"n": 1e999}', "not finite"),  # parses as inf without any constant
    (f'{{"n": {2**70}}}', "out of range"),
    ('{"s": "\\ud800"}', "surrogate"),
    ('{"s": "a\\u0000b"}', "NUL"),
    ('{"k": [' + ",".join(["1"] * 10_001) + "]}", "items"),
])
def test_other_values_the_store_cannot_keep_are_refused(client: TestClient, attributes: str, needle: str) -> None:
    r = client.post("/v1/leads", content=lead_body(attributes), headers=JSON)
    error = assert_error_shape(r, {422})
    assert needle in str(error["message"])


def test_a_refused_lead_does_not_stop_the_next_one(client: TestClient, rt: Runtime) -> None:
    client.post("/v1/leads", content=lead_body(deep(200)), headers=JSON)
    r = client.post("/v1/leads", content=lead_body('{"plan": "pro", "seats": [1, 2]}'), headers=JSON)
    assert r.status_code == 201
    rt.worker.run_until_idle()
    [state] = rt.store.list_leads(WS)
    assert state.lead.attributes == {"plan": "pro", "seats": [1, 2]}
    assert [a.action.kind for a in rt.store.actions_for(WS, state.lead_id)][:1] == [ActionKind.SEND_EMAIL]


def test_an_unexpected_error_in_a_route_is_a_json_500(client: TestClient, rt: Runtime,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*args: object, **kwargs: object) -> object:
        raise RuntimeError("secret detail of a bug")

    monkeypatch.setattr(rt.intake, "create_lead", broken)
    r = client.post("/v1/leads", content=lead_body("{}"), headers=JSON)
    error = assert_error_shape(r, {500})
    assert "secret detail" not in r.text and error["type"] == "InternalError"


def test_a_lead_whose_document_cannot_be_read_is_a_json_500(client: TestClient, rt: Runtime) -> None:
    r = client.post("/v1/leads", content=lead_body("{}"), headers=JSON)
    lead_id = r.json()["lead_id"]
    poison_lead_doc(rt, lead_id)
    for path in (f"/v1/leads/{lead_id}", f"/v1/leads/{lead_id}/trace"):
        error = assert_error_shape(client.get(path), {500})
        assert error["type"] == "Unreadable" and "cannot be read back" in str(error["message"])
