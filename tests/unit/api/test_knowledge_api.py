"""``GET /v1/campaigns/{name}/knowledge`` and ``/knowledge/search``: a campaign's documents, its own only."""

from __future__ import annotations

from fastapi.testclient import TestClient
from tests.unit.api.conftest import CAMPAIGN, KeyFactory, bearer

from leadflow.kb import knowledge_for, load_markdown
from leadflow.runtime import Runtime

PRICING = "# Pricing\n\n## Plans\n\nThe Team plan is $30 per seat a month, billed yearly.\n"


def test_list_and_search_show_the_campaigns_documents_with_sections(client: TestClient, runtime: Runtime) -> None:
    knowledge_for(runtime.store).put_document("default", CAMPAIGN, load_markdown(PRICING, source="pricing.md"))
    listed = client.get(f"/v1/campaigns/{CAMPAIGN}/knowledge")
    assert listed.status_code == 200
    [doc] = listed.json()["documents"]
    assert doc["title"] == "Pricing" and doc["source"] == "pricing.md" and doc["passages"] == 1
    found = client.get(f"/v1/campaigns/{CAMPAIGN}/knowledge/search", params={"q": "price per seat"})
    assert found.status_code == 200
    [hit] = found.json()["passages"]
    assert hit["section"] == "Pricing > Plans" and "$30 per seat" in hit["text"] and hit["doc_id"] == doc["doc_id"]
    assert client.get("/v1/campaigns/nope/knowledge").status_code == 404


def test_another_workspace_never_sees_them(runtime: Runtime, client: TestClient, key_for: KeyFactory) -> None:
    knowledge_for(runtime.store).put_document("default", CAMPAIGN, load_markdown(PRICING, source="pricing.md"))
    other = client.get(f"/v1/campaigns/{CAMPAIGN}/knowledge/search", params={"q": "seat"},
                       headers=bearer(key_for("other", "viewer")))
    assert other.status_code == 200 and other.json()["passages"] == []
    assert client.get(f"/v1/campaigns/{CAMPAIGN}/knowledge", headers=bearer(key_for("other"))).json()["documents"] == []
    assert client.get(f"/v1/campaigns/{CAMPAIGN}/knowledge", headers={"Authorization": ""}).status_code == 401
