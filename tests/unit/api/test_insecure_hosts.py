"""``--insecure-no-auth`` on loopback answers only requests addressed to a loopback name.

Without that check a web page can rebind its own host name to 127.0.0.1 (DNS rebinding): its
requests are then same-origin, ``application/json`` needs no preflight, and the page is admin
of the workspace (reads every lead, posts leads leadflow will e-mail).
"""

from __future__ import annotations

from fastapi.testclient import TestClient
from tests.unit.api.test_leads_api import lead

from leadflow.api import create_insecure_app
from leadflow.runtime import Runtime


def test_a_rebound_host_name_is_refused_and_records_nothing(runtime: Runtime) -> None:
    app = create_insecure_app(runtime, hosts=("127.0.0.1",))
    with TestClient(app, base_url="http://attacker.example:8000") as c:
        assert c.post("/v1/leads", json=lead()).status_code == 403
        assert c.get("/v1/agents").status_code == 403
        assert c.get("/healthz").status_code == 200  # says nothing but that it is up
    assert runtime.store.list_leads("default") == []


def test_loopback_names_are_served(runtime: Runtime) -> None:
    app = create_insecure_app(runtime, hosts=("127.0.0.1",))
    for base in ("http://127.0.0.1:8000", "http://localhost:8000", "http://[::1]:8000", "http://localhost"):
        with TestClient(app, base_url=base) as c:
            assert c.get("/v1/agents").status_code == 200, base


def test_a_page_of_another_origin_is_refused(runtime: Runtime) -> None:
    # a browser sends a body-less POST (approve a draft) cross-origin without a preflight; its
    # Origin says where it came from
    app = create_insecure_app(runtime, hosts=("127.0.0.1",))
    with TestClient(app, base_url="http://127.0.0.1:8000") as c:
        assert c.post("/v1/drafts/1/approve", headers={"Origin": "https://evil.example"}).status_code == 403
        assert c.get("/v1/agents", headers={"Origin": "null"}).status_code == 403
        assert c.get("/v1/agents", headers={"Origin": "http://127.0.0.1:8000"}).status_code == 200
        assert c.get("/v1/agents", headers={"Origin": "http://localhost:3000"}).status_code == 200
        assert c.get("/v1/agents").status_code == 200  # curl, scripts: no Origin
