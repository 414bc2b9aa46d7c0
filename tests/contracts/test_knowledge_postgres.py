"""The knowledge-store contract on PostgreSQL (tsvector + GIN; skipped without LEADFLOW_TEST_PG_URL)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import text
from tests.contracts.knowledge_contract import KnowledgeContract
from tests.services import empty_schema, fresh_pg_database

from leadflow.kb._backends import knowledge_for
from leadflow.kb.sql import SqlKnowledgeStore
from leadflow.kb.store import KnowledgeStore
from leadflow.state.sql import SqlStore

pytestmark = pytest.mark.postgres


@pytest.fixture(scope="module")
def kb_db_url(pg_url: str) -> Iterator[str]:
    with fresh_pg_database(pg_url, prefix="leadflow_kb") as url:
        yield url


class TestPostgresKnowledge(KnowledgeContract):
    @pytest.fixture(autouse=True)
    def _clean_schema(self, kb_db_url: str) -> Iterator[None]:
        empty_schema(kb_db_url)
        self.lead_store = SqlStore(kb_db_url)
        yield
        self.lead_store.close()

    def make_knowledge(self) -> KnowledgeStore:
        found = knowledge_for(self.lead_store)
        assert isinstance(found, SqlKnowledgeStore)
        return found

    def test_the_search_uses_the_gin_index(self) -> None:
        with self.lead_store.engine.connect() as conn:
            names = {r[0] for r in conn.execute(text("SELECT indexname FROM pg_indexes WHERE tablename = 'kb_chunks'"))}
        assert "ix_kb_chunks_tsv" in names


def test_every_worker_on_the_database_sees_a_document_added_by_another(kb_db_url: str) -> None:
    from tests.contracts.knowledge_contract import PRICING, md

    empty_schema(kb_db_url)
    cli, worker = SqlStore(kb_db_url), SqlStore(kb_db_url)
    try:
        knowledge_for(cli).put_document("ws", "acme", md(PRICING, "pricing.md"))
        hits = knowledge_for(worker).search("ws", "acme", "how much is a seat per month")
        assert [(p.citation.source, p.heading) for p in hits] == [("pricing.md", "Pricing > Plans")]
        assert knowledge_for(worker).search("ws", "other", "seat") == []
    finally:
        cli.close()
        worker.close()


def test_closings_price_query_finds_the_pricing_page(kb_db_url: str) -> None:
    from tests.contracts.knowledge_contract import ONBOARDING, PRICING, SECURITY, md

    from leadflow.agents.closing import OBJECTIONS
    from leadflow.kb import CampaignKnowledge

    empty_schema(kb_db_url)
    store = SqlStore(kb_db_url)
    try:
        budget = PRICING + "\n## Budget\n\nOn a tight budget, start smaller with a 10-seat pilot and pay monthly.\n"
        for doc, source in ((budget, "pricing.md"), (SECURITY, "security.md"), (ONBOARDING, "onboarding.md")):
            knowledge_for(store).put_document("ws", "acme", md(doc, source))
        found = CampaignKnowledge(knowledge_for(store), "ws", "acme").search(OBJECTIONS["objection_price"][1], k=3)
        assert found and found[0].citation.source == "pricing.md" and found[0].heading == "Pricing > Budget"
    finally:
        store.close()
