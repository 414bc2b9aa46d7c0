"""The knowledge-store contract on SQLite (FTS5), plus migration 0010 on old and new databases."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import inspect, text
from tests.contracts.knowledge_contract import PRICING, KnowledgeContract, md

from leadflow.kb._backends import knowledge_for
from leadflow.kb.sql import SqlKnowledgeStore
from leadflow.kb.store import KnowledgeStore
from leadflow.state.migrate import upgrade
from leadflow.state.sql import SqlStore


class TestSqliteKnowledge(KnowledgeContract):
    @pytest.fixture(autouse=True)
    def _db(self, tmp_path: Path) -> Iterator[None]:
        self.lead_store = SqlStore(f"sqlite:///{tmp_path / 'leadflow.db'}")
        yield
        self.lead_store.close()

    def make_knowledge(self) -> KnowledgeStore:
        return knowledge_for(self.lead_store)


def test_documents_survive_reopening_and_every_store_on_the_file_sees_them(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'leadflow.db'}"
    first, second = SqlStore(url), SqlStore(url)
    try:
        assert isinstance(knowledge_for(first), SqlKnowledgeStore)
        knowledge_for(first).put_document("ws", "acme", md(PRICING, "pricing.md"))
        assert [p.citation.source for p in knowledge_for(second).search("ws", "acme", "seat")] == ["pricing.md"]
        upgrade(first.engine)  # 0010 again on a database that has it: a no-op
    finally:
        first.close()
        second.close()
    reopened = SqlStore(url)
    try:
        assert knowledge_for(reopened).put_document("ws", "acme", md(PRICING, "pricing.md")).status == "unchanged"
    finally:
        reopened.close()


def test_0010_adds_the_tables_and_fts5_to_a_database_from_before_it(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'leadflow.db'}"
    store = SqlStore(url)
    with store.engine.begin() as conn:  # a database as 0009 left it
        for table in ("kb_chunks_fts", "kb_chunks", "kb_documents"):
            conn.execute(text(f"DROP TABLE {table}"))
        conn.execute(text("UPDATE alembic_version SET version_num = '0009'"))
    store.close()
    upgraded = SqlStore(url)
    try:
        assert {"kb_documents", "kb_chunks", "kb_chunks_fts"} <= set(inspect(upgraded.engine).get_table_names())
        knowledge_for(upgraded).put_document("ws", "acme", md(PRICING, "pricing.md"))
        assert knowledge_for(upgraded).search("ws", "acme", "seats billed")[0].heading == "Pricing > Plans"
    finally:
        upgraded.close()


def test_a_search_row_left_by_dropped_tables_never_shadows_a_new_passage(tmp_path: Path) -> None:
    from sqlalchemy import text as sql

    from leadflow.state import schema

    url = f"sqlite:///{tmp_path / 'leadflow.db'}"
    store = SqlStore(url)
    knowledge_for(store).put_document("ws", "acme", md(PRICING, "pricing.md"))
    with store.engine.begin() as conn:  # the tables made again from the schema (the FTS5 table is not in it)
        schema.kb_chunks.drop(conn)
        schema.kb_documents.drop(conn)
        schema.kb_documents.create(conn)
        schema.kb_chunks.create(conn)
        assert conn.execute(sql("SELECT count(*) FROM kb_chunks_fts")).scalar_one() == 1
    try:
        new = md("# Security\n\n## Backups\n\nEvery backup is encrypted at rest.\n", "security.md")
        knowledge_for(store).put_document("ws", "acme", new)
        assert knowledge_for(store).search("ws", "acme", "seat month billed") == []
        assert [p.citation.source for p in knowledge_for(store).search("ws", "acme", "backup")] == ["security.md"]
    finally:
        store.close()
