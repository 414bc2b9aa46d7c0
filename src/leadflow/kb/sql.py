"""The SQL :class:`~leadflow.kb.store.KnowledgeStore`: campaign documents beside ``SqlStore``'s tables.

Documents and passages are the ``kb_documents`` and ``kb_chunks`` tables (``state.schema``,
migration 0010) on the lead store's own engine, so every worker of a deployment searches the
same knowledge. Full-text search is the database's own:

* **SQLite**: an FTS5 table ``kb_chunks_fts`` (text, title, heading; Porter stemming) whose
  rowid is the chunk's id, ranked by ``bm25()`` with the title and heading weighted up;
* **PostgreSQL**: a GIN index on ``to_tsvector('english', title || heading || text)``, queried
  with ``websearch_to_tsquery`` (the query's words joined by ``or``) and ranked by ``ts_rank``
  over the title (weight A), heading (B) and text.

The query is reduced to words first (:func:`~leadflow.kb.store.query_terms`), so no user syntax
reaches FTS5 or ``tsquery``. On SQLite, writes take the same ``BEGIN IMMEDIATE`` the store's do.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, Engine, delete, insert, select, text
from sqlalchemy.exc import DBAPIError

from leadflow.exceptions import NotFound, Unavailable
from leadflow.kb.index import Citation, Passage
from leadflow.kb.ingest import Document
from leadflow.kb.store import DocumentInfo, KnowledgeStore, PutResult, PutStatus, prepare, query_terms
from leadflow.state.schema import kb_chunks, kb_documents

__all__ = ["PG_SEARCH_INDEX", "SQLITE_FTS", "SqlKnowledgeStore", "create_search_index"]

SQLITE_FTS = (
    "CREATE VIRTUAL TABLE IF NOT EXISTS kb_chunks_fts USING fts5 ("
    "text, title, heading, tokenize = 'porter unicode61 remove_diacritics 2')"
)
_PG_VECTOR = "to_tsvector('english', title || ' ' || heading || ' ' || text)"
PG_SEARCH_INDEX = f"CREATE INDEX IF NOT EXISTS ix_kb_chunks_tsv ON kb_chunks USING GIN ({_PG_VECTOR})"

_SQLITE_SEARCH = (
    "SELECT c.text, bm25(kb_chunks_fts, 1.0, 2.0, 1.5) AS rank, c.doc_id, d.title, d.source, c.chunk_no,"
    " c.heading, c.suspicious, c.reasons"
    " FROM kb_chunks_fts JOIN kb_chunks c ON c.id = kb_chunks_fts.rowid JOIN kb_documents d ON d.doc_id = c.doc_id"
    " WHERE kb_chunks_fts MATCH :match AND c.workspace_id = :ws AND c.campaign = :campaign{safe}"
    " ORDER BY rank, c.doc_id, c.chunk_no LIMIT :k"
)
_PG_SEARCH = (
    "SELECT c.text, -ts_rank(setweight(to_tsvector('english', c.title), 'A')"
    " || setweight(to_tsvector('english', c.heading), 'B') || to_tsvector('english', c.text), q) AS rank,"
    " c.doc_id, d.title, d.source, c.chunk_no, c.heading, c.suspicious, c.reasons"
    " FROM kb_chunks c JOIN kb_documents d ON d.doc_id = c.doc_id,"
    " websearch_to_tsquery('english', :match) AS q"
    " WHERE to_tsvector('english', c.title || ' ' || c.heading || ' ' || c.text) @@ q"
    " AND c.workspace_id = :ws AND c.campaign = :campaign{safe}"
    " ORDER BY rank, c.doc_id, c.chunk_no LIMIT :k"
)


def create_search_index(conn: Connection) -> None:
    """Create the full-text index of ``kb_chunks`` if missing: FTS5 on SQLite, GIN on PostgreSQL."""
    if conn.dialect.name == "sqlite":
        conn.execute(text(SQLITE_FTS))
    elif conn.dialect.name == "postgresql":
        conn.execute(text(PG_SEARCH_INDEX))


def _info(row: Any) -> DocumentInfo:
    added = row.added_at if row.added_at.tzinfo else row.added_at.replace(tzinfo=UTC)
    return DocumentInfo(row.doc_id, row.title, row.source, row.kind, row.chunks, row.content_hash, added)


class SqlKnowledgeStore(KnowledgeStore):
    """Campaign documents in the lead store's database (SQLite or PostgreSQL).

    Args:
        engine: ``SqlStore.engine``; migration 0010 has made the tables and the search index.
        clock: Returns the current UTC time (``added_at``).
    """

    def __init__(self, engine: Engine, *, clock: Callable[[], datetime] = lambda: datetime.now(UTC)) -> None:
        self.engine = engine
        self._sqlite = engine.dialect.name == "sqlite"
        self._clock = clock

    def _read(self) -> Connection:
        return self.engine.connect().execution_options(leadflow_read=True)

    def _delete(self, conn: Connection, doc_id: str) -> None:
        if self._sqlite:
            ids = [r[0] for r in conn.execute(select(kb_chunks.c.id).where(kb_chunks.c.doc_id == doc_id))]
            for chunk_id in ids:
                conn.execute(text("DELETE FROM kb_chunks_fts WHERE rowid = :id"), {"id": chunk_id})
        conn.execute(delete(kb_chunks).where(kb_chunks.c.doc_id == doc_id))
        conn.execute(delete(kb_documents).where(kb_documents.c.doc_id == doc_id))

    def put_document(self, workspace_id: str, campaign: str, document: Document) -> PutResult:
        prepared = prepare(workspace_id, campaign, document)
        with self.engine.begin() as conn:
            old = conn.execute(
                select(kb_documents.c.content_hash, kb_documents.c.chunks).where(
                    kb_documents.c.doc_id == prepared.doc_id
                )
            ).first()
            if old is not None and old.content_hash == prepared.content_hash:
                return PutResult(prepared.doc_id, "unchanged", old.chunks, prepared.title, prepared.source)
            if old is not None:
                self._delete(conn, prepared.doc_id)
            conn.execute(insert(kb_documents).values(
                doc_id=prepared.doc_id, workspace_id=workspace_id, campaign=campaign, title=prepared.title,
                source=prepared.source, kind=prepared.kind, content_hash=prepared.content_hash,
                chunks=len(prepared.chunks), added_at=self._clock(),
            ))
            for chunk in prepared.chunks:
                row = conn.execute(insert(kb_chunks).values(
                    doc_id=prepared.doc_id, workspace_id=workspace_id, campaign=campaign, chunk_no=chunk.chunk_no,
                    title=prepared.title, heading=chunk.heading, text=chunk.text, suspicious=bool(chunk.reasons),
                    reasons=json.dumps(list(chunk.reasons)),
                ).returning(kb_chunks.c.id)).scalar_one()
                if self._sqlite:
                    # a row left by a kb_chunks table dropped and made again must not shadow this id
                    conn.execute(text("DELETE FROM kb_chunks_fts WHERE rowid = :id"), {"id": row})
                    conn.execute(
                        text("INSERT INTO kb_chunks_fts (rowid, text, title, heading) VALUES (:id, :t, :ti, :h)"),
                        {"id": row, "t": chunk.text, "ti": prepared.title, "h": chunk.heading},
                    )
        status: PutStatus = "replaced" if old is not None else "added"
        flagged = sum(1 for c in prepared.chunks if c.reasons)
        return PutResult(prepared.doc_id, status, len(prepared.chunks), prepared.title, prepared.source, flagged)

    def documents(self, workspace_id: str, campaign: str) -> list[DocumentInfo]:
        query = select(kb_documents).where(
            kb_documents.c.workspace_id == workspace_id, kb_documents.c.campaign == campaign
        ).order_by(kb_documents.c.title, kb_documents.c.source)
        with self._read() as conn:
            return [_info(r) for r in conn.execute(query)]

    def remove_document(self, workspace_id: str, campaign: str, doc: str) -> DocumentInfo:
        query = select(kb_documents).where(
            kb_documents.c.workspace_id == workspace_id, kb_documents.c.campaign == campaign,
            (kb_documents.c.doc_id == doc) | (kb_documents.c.source == doc),
        )
        with self.engine.begin() as conn:
            row = conn.execute(query).first()
            if row is None:
                raise NotFound(f"campaign {campaign!r} has no document {doc!r}")
            self._delete(conn, row.doc_id)
        return _info(row)

    def search(
        self, workspace_id: str, campaign: str, query: str, *, k: int = 5, safe_only: bool = True
    ) -> list[Passage]:
        terms = query_terms(query)
        if not terms or k <= 0:
            return []
        safe = " AND c.suspicious = :no" if safe_only else ""
        if self._sqlite:
            sql, match = _SQLITE_SEARCH.format(safe=safe), " OR ".join(f'"{t}"' for t in terms)
        else:
            sql, match = _PG_SEARCH.format(safe=safe), " or ".join(terms)
        params: dict[str, Any] = {"match": match, "ws": workspace_id, "campaign": campaign, "k": k, "no": False}
        try:
            with self._read() as conn:
                rows = conn.execute(text(sql), params).fetchall()
        except DBAPIError as exc:  # translated at the boundary: the agents treat it as "no passages"
            raise Unavailable(f"knowledge search failed: {exc.__class__.__name__}") from exc
        return [
            Passage(
                text=r.text, score=-float(r.rank),
                citation=Citation(doc_id=r.doc_id, title=r.title, source=r.source, chunk_no=r.chunk_no),
                heading=r.heading, suspicious=bool(r.suspicious), reasons=tuple(json.loads(r.reasons)),
            )
            for r in rows
        ]
