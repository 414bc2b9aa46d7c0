"""Every route of the app, walked with no key, wrong keys, another workspace's key and each role.

Two workspaces hold real leads (with events and agent traces). Whatever a caller of workspace
A sends (no key, a wrong or revoked key, A's key with ``X-Workspace: B``, A's key on B's lead
ids, each of A's roles), no response ever carries anything of B: its lead ids, names, e-mail,
company or workspace name; and nothing is recorded on B. The routes come from the app's own
OpenAPI document plus the documents themselves, so a route added without a permission check
fails here (its no-key request is not refused).
"""

from __future__ import annotations

import itertools
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from tests.unit.api.conftest import CAMPAIGN, NOW, bearer

from leadflow.api import create_app
from leadflow.auth import Role, allows, auth_store_for, keyring_for
from leadflow.auth.keys import (
    AGENTS_READ,
    CAMPAIGNS_READ,
    CAMPAIGNS_WRITE,
    LEADS_READ,
    LEADS_WRITE,
    OUTCOMES_WRITE,
    REPLIES_WRITE,
    SERVICE_READ,
)
from leadflow.campaigns import load_text
from leadflow.domain.models import Campaign, Lead
from leadflow.integrations.channels import TranscriptChannel
from leadflow.orchestrator.clock import FixedClock
from leadflow.runtime import Runtime
from leadflow.settings import Settings
from leadflow.state import MemoryStore

EXAMPLE = Path(__file__).parents[3] / "examples" / "campaign.yaml"
A, B = "default", "zeta-ws"
B_SECRETS = ("Zebulon", "Quixote", "zorg", "Zorgcorp", B)
"""What of workspace B could show in a body (its lead ids are added per test)."""

EXPECTED: dict[tuple[str, str], str | None] = {
    ("POST", "/v1/leads"): LEADS_WRITE,
    ("GET", "/v1/leads/{lead_id}"): LEADS_READ,
    ("GET", "/v1/leads/{lead_id}/trace"): LEADS_READ,
    ("GET", "/v1/leads/{lead_id}/messages"): LEADS_READ,
    ("POST", "/v1/leads/{lead_id}/outcome"): OUTCOMES_WRITE,
    ("POST", "/v1/replies"): REPLIES_WRITE,
    ("PUT", "/v1/campaigns/{name}"): CAMPAIGNS_WRITE,
    ("GET", "/v1/campaigns/{name}"): CAMPAIGNS_READ,
    ("GET", "/v1/agents"): AGENTS_READ,
    ("GET", "/metrics"): SERVICE_READ,
    ("GET", "/openapi.json"): SERVICE_READ,
    ("GET", "/docs"): SERVICE_READ,
    ("GET", "/redoc"): SERVICE_READ,
    ("GET", "/healthz"): None,  # public: says only {"status": "ok"}
}
DOCUMENTS = [("GET", "/openapi.json"), ("GET", "/docs"), ("GET", "/redoc")]


@dataclass
class World:
    runtime: Runtime
    app: FastAPI
    client: TestClient
    a_leads: list[str]
    b_leads: list[str]
    keys: dict[tuple[str, Role], str]
    revoked: str

    def forbidden(self) -> list[str]:
        return [*B_SECRETS, *self.b_leads]


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    channel = TranscriptChannel()
    settings = Settings(db_url="memory://", transcript_path=str(tmp_path / "transcript.db"))
    runtime = Runtime.build(settings, store=MemoryStore(), channel=channel, clock=FixedClock(NOW))
    runtime.store.save_campaign(A, Campaign(name=CAMPAIGN))
    runtime.store.save_campaign(B, Campaign(name=CAMPAIGN))
    a_leads = [runtime.intake.create_lead(A, CAMPAIGN, Lead(
        first_name="Alma", last_name="Anders", email="alma@acorp.example", company="Acorp",
        timezone="America/New_York", source="webform", source_lead_id="a-1"))[0].lead_id]
    b_leads = [runtime.intake.create_lead(B, CAMPAIGN, Lead(
        first_name="Zebulon", last_name=f"Quixote{n}", email=f"zeb{n}@zorg.example", company="Zorgcorp",
        timezone="America/New_York", source="webform", source_lead_id=f"b-{n}"))[0].lead_id for n in range(3)]
    runtime.worker.run_until_idle()  # events, traces and first touches on both sides
    ring = keyring_for(runtime.store)
    keys = {(ws, role): ring.create(ws, role, name=f"{ws}-{role.value}", actor="tests")[1]
            for ws in (A, B) for role in Role}
    revoked_record, revoked = ring.create(A, Role.ADMIN, actor="tests")
    ring.revoke(revoked_record.key_id, actor="tests")
    app = create_app(runtime)
    with TestClient(app) as client:
        yield World(runtime, app, client, a_leads, b_leads, keys, revoked)
    runtime.close()
    channel.close()


def routes(app: FastAPI) -> list[tuple[str, str]]:
    """Every (method, path template) of the OpenAPI document, and the documents themselves."""
    found = [(method.upper(), path) for path, item in app.openapi()["paths"].items() for method in item
             if method in ("get", "post", "put", "patch", "delete")]
    return sorted(set(found) | set(DOCUMENTS))


def request(world: World, method: str, template: str, *, lead_id: str, headers: dict[str, str]) -> httpx.Response:
    """One call of a route, its path parameters and body made from real objects."""
    path = template.replace("{lead_id}", lead_id).replace("{name}", CAMPAIGN).replace("{draft_id}", "1")
    assert "{" not in path, f"no value for a path parameter of {template}: teach this test about it"
    body: dict[str, Any] = {}
    if template == "/v1/leads":
        body = {"first_name": "Walker", "email": f"w{uuid.uuid4().hex[:8]}@acorp.example", "campaign": CAMPAIGN,
                "timezone": "America/New_York", "source": "walk", "source_lead_id": uuid.uuid4().hex}
    elif template.endswith("/outcome"):
        body = {"outcome": "lost", "outcome_id": "walk-outcome", "reason": "walk"}  # again: 200, same
    elif template == "/v1/campaigns/{name}":
        body = {**load_text(EXAMPLE.read_text(encoding="utf-8")).model_dump(mode="json"), "name": CAMPAIGN}
    elif template == "/v1/replies":
        body = {"lead_id": lead_id, "message_id": f"<{uuid.uuid4().hex}@walk>", "text": "Please unsubscribe me"}
    if method == "GET":
        return world.client.request(method, path, headers=headers)
    return world.client.request(method, path, headers=headers, json=body)


def assert_clean(world: World, r: httpx.Response, what: str) -> None:
    """No B data in the body, beyond what the caller sent itself (a 404 may name the id asked for)."""
    text, sent = r.text.lower(), (str(r.request.url) + r.request.content.decode()).lower()
    leaked = [s for s in world.forbidden() if s.lower() in text and s.lower() not in sent]
    assert not leaked, f"{what}: {r.status_code} body shows workspace B's {leaked}: {text[:300]}"


def assert_error(r: httpx.Response, status: int, what: str) -> None:
    assert r.status_code == status, f"{what}: expected {status}, got {r.status_code}: {r.text[:300]}"
    assert set(r.json()["error"]) == {"type", "message", "details"}, what
    if status == 401:
        assert r.headers["www-authenticate"] == "Bearer", what


def b_snapshot(world: World) -> Any:
    store = world.runtime.store
    return ([store.get_lead(B, i).model_dump(mode="json") for i in world.b_leads],
            [[e.id for e in store.lead_events(B, i)] for i in world.b_leads],
            store.count_leads(B), len(store.list_rejects(B)),
            [(e.action, e.actor) for e in auth_store_for(store).list_audit(B, limit=1000)])


def test_every_route_refuses_what_it_should_and_never_shows_another_workspace(world: World) -> None:
    all_routes = routes(world.app)
    assert {("GET", p) for p in ("/docs", "/redoc", "/openapi.json", "/metrics", "/healthz")} <= set(all_routes)
    assert ("POST", "/v1/leads") in all_routes
    before = b_snapshot(world)
    a_admin = world.keys[(A, Role.ADMIN)]
    lead_ids = {"A": world.a_leads[0], "B": world.b_leads[0]}
    for method, path in all_routes:
        public = EXPECTED.get((method, path), "guarded") is None
        for owner, lead_id in lead_ids.items():
            what = f"{method} {path} (lead of {owner})"
            # no key, wrong keys, a revoked key: 401; the public probe says only that it is up
            for label, headers in [
                ("no key", {}),
                ("malformed", {"Authorization": "Bearer not-a-key"}),
                ("unknown id", bearer(f"lf_{'0' * 16}_{'x' * 43}")),
                ("wrong secret", bearer(a_admin[:-4] + "AAAA")),
                ("revoked", bearer(world.revoked)),
                ("basic", {"Authorization": "Basic YWRtaW46YWRtaW4="}),
                ("B's key as A's secret", bearer(a_admin.split("_")[0] + "_" + a_admin.split("_")[1] + "_"
                                                 + world.keys[(B, Role.ADMIN)].split("_", 2)[2])),
            ]:
                r = request(world, method, path, lead_id=lead_id, headers=headers)
                if public:
                    assert r.status_code == 200 and r.json() == {"status": "ok"}, f"{what} {label}"
                else:
                    assert_error(r, 401, f"{what} {label}")
                assert_clean(world, r, f"{what} {label}")
            # A's key naming workspace B: refused, whatever the role
            for role in Role:
                r = request(world, method, path, lead_id=lead_id,
                            headers={**bearer(world.keys[(A, role)]), "X-Workspace": B})
                if public:
                    assert r.status_code == 200 and r.json() == {"status": "ok"}, what
                else:
                    assert_error(r, 403, f"{what} {role} X-Workspace: B")
                assert_clean(world, r, f"{what} {role} X-Workspace: B")
            # each of A's roles: refused without the permission; with it, only A's data
            for role in Role:
                headers = bearer(world.keys[(A, role)])
                r = request(world, method, path, lead_id=lead_id, headers=headers)
                label = f"{what} as A's {role.value}"
                assert_clean(world, r, label)
                needed = EXPECTED.get((method, path), "guarded")
                if needed is None:
                    assert r.status_code == 200 and r.json() == {"status": "ok"}, label
                    continue
                if needed == "guarded":  # a route this table does not know: at least it is guarded
                    assert r.status_code not in (401, 500), label
                    continue
                if not allows(role, needed):
                    assert_error(r, 403, label)
                elif owner == "B" and ("{lead_id}" in path or path == "/v1/replies"):
                    assert_error(r, 404, label)  # B's lead does not exist for A's key
                else:
                    assert r.status_code < 300, f"{label}: {r.status_code} {r.text[:300]}"
                    if path == "/v1/leads/{lead_id}":
                        assert r.json()["lead_id"] == world.a_leads[0]
    after = b_snapshot(world)
    assert after == before, "workspace B changed"


def test_the_leak_detector_sees_workspace_b_when_b_asks(world: World) -> None:
    """The control: with B's own key, B's data is there (so the walk above could have seen it)."""
    for path in (f"/v1/leads/{world.b_leads[0]}", f"/v1/leads/{world.b_leads[0]}/trace",
                 f"/v1/leads/{world.b_leads[0]}/messages"):
        r = world.client.get(path, headers=bearer(world.keys[(B, Role.VIEWER)]))
        assert r.status_code == 200
        with pytest.raises(AssertionError, match="workspace B's"):
            assert_clean(world, r, path)


def test_each_table_route_exists_and_no_route_is_public_but_healthz(world: World) -> None:
    present = set(routes(world.app))
    assert set(EXPECTED) <= present, f"routes gone from the app: {set(EXPECTED) - present}"
    public = [(m, p) for m, p in present
              if request(world, m, p, lead_id=world.a_leads[0], headers={}).status_code != 401]
    assert public == [("GET", "/healthz")]


def test_refusals_are_audited_in_the_key_workspace_and_nothing_in_the_other(world: World) -> None:
    a_viewer = world.keys[(A, Role.VIEWER)]
    lead = world.b_leads[0]
    world.client.get(f"/v1/leads/{lead}", headers={**bearer(a_viewer), "X-Workspace": B})
    world.client.post("/v1/leads", json={"campaign": CAMPAIGN}, headers=bearer(a_viewer))
    a_log = auth_store_for(world.runtime.store).list_audit(A, limit=5)
    viewer_id = a_viewer.split("_")[1]
    assert [(e.actor, e.role, e.action, e.result) for e in a_log[:2]] == [
        (f"key:{viewer_id}", "viewer", "lead.create", "refused"),
        (f"key:{viewer_id}", "viewer", "lead.read", "refused"),
    ]
    assert "X-Workspace" in (a_log[1].detail or "") and a_log[1].target_id == lead
    b_log = auth_store_for(world.runtime.store).list_audit(B, limit=100)
    assert {e.action for e in b_log} == {"key.create"}


@pytest.mark.parametrize(("role", "allowed"), [
    (Role.INGEST, {("POST", "/v1/leads"), ("POST", "/v1/replies")}),
    (Role.VIEWER, {("GET", "/v1/leads/{lead_id}"), ("GET", "/v1/leads/{lead_id}/trace"),
                   ("GET", "/v1/leads/{lead_id}/messages"), ("GET", "/v1/agents"),
                   ("GET", "/v1/campaigns/{name}")}),
])
def test_ingest_only_posts_and_viewer_only_reads(world: World, role: Role, allowed: set[tuple[str, str]]) -> None:
    data_routes = {k for k, v in EXPECTED.items() if v not in (None, SERVICE_READ)}
    for method, path in itertools.chain(sorted(data_routes)):
        r = request(world, method, path, lead_id=world.a_leads[0], headers=bearer(world.keys[(A, role)]))
        assert (r.status_code != 403) == ((method, path) in allowed), f"{role} {method} {path}: {r.status_code}"
