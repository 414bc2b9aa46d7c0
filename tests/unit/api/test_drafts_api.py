"""``/v1/drafts``: list, read, edit, approve and reject held drafts over HTTP, with the keys' roles.

The app's runtime holds the first touch of a ``review_first_touch`` campaign; the API shows it
in full, edits it, approves it (the worker then sends the edited text) or rejects it with the
reason; a viewer only reads, an ingest key not even that, and another workspace sees nothing.
"""

from __future__ import annotations

from fastapi.testclient import TestClient
from tests.unit.api.conftest import CAMPAIGN, KeyFactory, bearer

from leadflow.domain.models import Campaign, Lead
from leadflow.integrations.channels import TranscriptChannel
from leadflow.runtime import Runtime


def _held(runtime: Runtime) -> tuple[str, int]:
    runtime.store.save_campaign("default", Campaign(name=CAMPAIGN, autonomy="review_first_touch"))
    state, _ = runtime.intake.create_lead("default", CAMPAIGN, Lead(
        first_name="Alma", last_name="Anders", email="alma@acorp.example", company="Acorp",
        timezone="America/New_York", source="webform", source_lead_id="a-1"))  # fmt: skip
    runtime.worker.run_until_idle()
    [row] = runtime.store.actions_in("default", ["held"])
    return state.lead_id, row.seq


def test_list_read_edit_approve_then_the_worker_sends_the_edit(
    client: TestClient, runtime: Runtime, channel: TranscriptChannel
) -> None:
    lead_id, draft_id = _held(runtime)
    assert channel.deliveries() == []
    listed = client.get("/v1/drafts", params={"campaign": CAMPAIGN})
    assert listed.status_code == 200 and [d["id"] for d in listed.json()] == [draft_id]
    one = client.get(f"/v1/drafts/{draft_id}").json()
    stored = runtime.store.action_by_seq("default", draft_id).action
    assert (one["body"], one["subject"], one["lead_id"], one["status"]) == (stored.body, stored.subject, lead_id, "held")
    assert one["held_because"].startswith("review_first_touch") and one["written_by"] == "template"

    body = "Hi Alma,\n\nWritten by a person.\n\nReply STOP to opt out."
    edited = client.patch(f"/v1/drafts/{draft_id}", json={"body": body, "by": "maria"})
    assert edited.status_code == 200, edited.text
    assert (edited.json()["body"], edited.json()["written_by"]) == (body, "person:maria")
    approved = client.post(f"/v1/drafts/{draft_id}/approve", json={"by": "maria"})
    assert approved.status_code == 200 and approved.json()["status"] == "approved"
    again = client.post(f"/v1/drafts/{draft_id}/approve")
    assert again.status_code == 409, again.text
    runtime.worker.run_until_idle()
    sent = [d for d in channel.deliveries() if d["kind"] == "send_email"]
    assert [d["body"] for d in sent] == [body]
    assert client.get(f"/v1/drafts/{draft_id}").json()["delivery"] == "sent"


def test_reject_needs_a_reason_and_hands_the_draft_back(client: TestClient, runtime: Runtime) -> None:
    _, draft_id = _held(runtime)
    assert client.post(f"/v1/drafts/{draft_id}/reject", json={}).status_code == 422
    r = client.post(f"/v1/drafts/{draft_id}/reject", json={"reason": "wrong tone"})
    assert r.status_code == 200 and r.json()["rejected_because"] == "wrong tone"
    assert r.json()["decided_by"].startswith("key:")
    assert client.get("/v1/drafts", params={"status": "rejected"}).json()[0]["id"] == draft_id
    assert client.get("/v1/drafts", params={"status": "nonsense"}).status_code == 422
    assert client.patch(f"/v1/drafts/{draft_id}", json={"body": "late"}).status_code == 409


def test_roles_and_workspaces(client: TestClient, runtime: Runtime, key_for: KeyFactory) -> None:
    _, draft_id = _held(runtime)
    viewer, ingest, other = bearer(key_for(role="viewer")), bearer(key_for(role="ingest")), bearer(key_for("other"))
    assert client.get(f"/v1/drafts/{draft_id}", headers=viewer).status_code == 200
    assert client.post(f"/v1/drafts/{draft_id}/approve", headers=viewer).status_code == 403
    assert client.patch(f"/v1/drafts/{draft_id}", json={"body": "x"}, headers=viewer).status_code == 403
    assert client.get("/v1/drafts", headers=ingest).status_code == 403
    assert client.post(f"/v1/drafts/{draft_id}/approve", headers=ingest).status_code == 403
    assert client.get("/v1/drafts", headers=other).json() == []
    assert client.get(f"/v1/drafts/{draft_id}", headers=other).status_code == 404
    assert client.post(f"/v1/drafts/{draft_id}/approve", headers=other).status_code == 404
    assert runtime.store.action_by_seq("default", draft_id).status == "held"
