"""One person, one lead over HTTP: a known person is 200 with their lead, an invalid phone names the field."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from tests.unit.api.conftest import CAMPAIGN

from leadflow.runtime import Runtime


def body(**over: Any) -> dict[str, Any]:
    return {"first_name": "Kenji", "campaign": CAMPAIGN, "source": "webform", **over}


def test_the_same_person_under_another_source_id_is_200_with_the_first_lead(
    client: TestClient, runtime: Runtime
) -> None:
    first = client.post("/v1/leads", json=body(email="kenji@example.com", source_lead_id="wf-1"))
    assert first.status_code == 201, first.text
    again = client.post(
        "/v1/leads", json=body(email="Kenji@Example.com", source="crm", source_lead_id="crm-9")
    )
    assert again.status_code == 200, again.text
    assert again.json()["lead_id"] == first.json()["lead_id"] and again.json()["created"] is False
    trace = client.get(f"/v1/leads/{first.json()['lead_id']}/trace").json()
    [linked] = [e for e in trace["events"] if e["type"] == "lead.linked"]
    assert linked["payload"]["matched"] == "email:kenji@example.com"
    assert linked["payload"]["linked"] == ["src:crm:crm-9"]
    assert len(runtime.store.list_leads("default")) == 1


def test_a_phone_only_lead_posted_three_times_is_one_lead(client: TestClient, runtime: Runtime) -> None:
    codes = [client.post("/v1/leads", json=body(phone=p)).status_code
             for p in ("+81 3 1234 5678", "+81-3-1234-5678", "+81312345678")]  # fmt: skip
    assert codes == [201, 200, 200]
    [state] = runtime.store.list_leads("default")
    assert state.lead.phone == "+81312345678"


def test_an_invalid_phone_is_a_422_naming_the_field(client: TestClient, runtime: Runtime) -> None:
    response = client.post("/v1/leads", json=body(phone="12"))
    assert response.status_code == 422, response.text
    details = response.json()["error"]["details"]
    assert [d["field"] for d in details] == ["phone"]
    assert "not a valid phone number" in details[0]["message"]
    assert runtime.store.list_leads("default") == []


def test_a_number_that_does_not_normalise_is_a_422_naming_the_field(client: TestClient, runtime: Runtime) -> None:
    response = client.post("/v1/leads", json=body(phone="020 7183 8750"))  # a UK number without +44
    assert response.status_code == 422, response.text
    details = response.json()["error"]["details"]
    assert [d["field"] for d in details] == ["phone"]
    assert "country code" in details[0]["message"]
    assert runtime.store.list_leads("default") == []
