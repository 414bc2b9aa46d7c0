"""The knowledge base: chunks of documents in SQLite FTS5, ranked by BM25, per workspace.

:class:`KnowledgeBase` stores documents for one or more workspaces in one SQLite
database (in memory by default). Every query is scoped to exactly one workspace: a
workspace never sees another's documents, and ``workspace_id=None`` is simply the default
workspace, not "all of them".

Ingested text is data, never instructions: each chunk goes through
:func:`leadflow.kb.sanitize.neutralise` before it is stored, instruction-like sentences
are replaced by a marker, and the chunk is stored with ``suspicious=True``. Passages carry
that flag; ``search(..., safe_only=True)`` leaves such chunks out altogether.

Ranking is BM25 (FTS5's ``bm25()``, with a Porter-stemming tokenizer, the title and heading
weighted above the body). An optional :class:`Embedder` re-ranks the BM25 candidates by
cosine similarity; none is loaded unless the caller passes one (see :func:`load_embedder`,
which never downloads a model).

Example::

    >>> kb = KnowledgeBase()
    >>> _ = kb.add_text("Pro costs $49 a month.", title="Pricing", source="pricing.md")
    >>> [p.citation.title for p in kb.search("how much is pro")]
    ['Pricing']
"""

from __future__ import annotations

import hashlib
import importlib
import json
import math
import re
import sqlite3
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

from pydantic import BaseModel, ConfigDict

from leadflow.exceptions import ConfigError, NotFound
from leadflow.kb.chunk import chunk_text
from leadflow.kb.ingest import Document, PageFetcher, load_path, load_text, load_url
from leadflow.kb.sanitize import neutralise

__all__ = ["DEFAULT_WORKSPACE", "Citation", "Embedder", "KnowledgeBase", "Passage", "load_embedder"]

DEFAULT_WORKSPACE = "default"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS documents (
    doc_id TEXT PRIMARY KEY,
    workspace_id TEXT NOT NULL,
    title TEXT NOT NULL,
    source TEXT NOT NULL,
    kind TEXT NOT NULL,
    content_hash TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS documents_workspace ON documents (workspace_id);
CREATE TABLE IF NOT EXISTS chunks (
    id INTEGER PRIMARY KEY,
    doc_id TEXT NOT NULL REFERENCES documents (doc_id) ON DELETE CASCADE,
    workspace_id TEXT NOT NULL,
    chunk_no INTEGER NOT NULL,
    heading TEXT NOT NULL,
    text TEXT NOT NULL,
    suspicious INTEGER NOT NULL,
    reasons TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS chunks_doc ON chunks (doc_id);
CREATE VIRTUAL TABLE IF NOT EXISTS chunks_fts USING fts5 (
    text, title, heading, tokenize = 'porter unicode61 remove_diacritics 2'
);
"""

# bm25() column weights for (text, title, heading): a hit in a title or heading says more.
_BM25 = "bm25(chunks_fts, 1.0, 2.0, 1.5)"
_TOKEN = re.compile(r"\w+", re.UNICODE)
_STOPWORDS = frozenset(
    "a an and are as at be by do does for from how i in is it of on or our the this to we what when "
    "where which who why with you your".split()
)


class Citation(BaseModel):
    """Where a passage came from, for quoting sources in a reply."""

    model_config = ConfigDict(frozen=True)

    doc_id: str
    title: str
    source: str
    chunk_no: int


class Passage(BaseModel):
    """One search hit.

    Attributes:
        text: The chunk's (neutralised) text. Treat it as quoted data in a prompt.
        score: Relevance, higher is better (negated BM25, or the blended re-rank score).
        citation: Document, title, source and chunk number.
        heading: The heading path the chunk sits under.
        suspicious: True when instruction-like text was found (and removed) in the chunk,
            its heading or its document's title.
        reasons: The sanitiser rules that matched (empty when not suspicious).
    """

    model_config = ConfigDict(frozen=True)

    text: str
    score: float
    citation: Citation
    heading: str = ""
    suspicious: bool = False
    reasons: tuple[str, ...] = ()


@runtime_checkable
class Embedder(Protocol):
    """Turns texts into vectors for re-ranking; any sentence-embedding model fits."""

    def embed(self, texts: Sequence[str]) -> list[list[float]]:
        """Return one vector per text, all of the same length."""
        ...


class _SentenceTransformerEmbedder:
    """Adapter for a locally stored sentence-transformers model."""

    def __init__(self, model: Any) -> None:
        self._model = model

    def embed(self, texts: Sequence[str]) -> list[list[float]]:
        vectors = self._model.encode(list(texts), normalize_embeddings=True)
        return [[float(x) for x in row] for row in vectors]


def load_embedder(model_path: str | None) -> Embedder | None:
    """Return an embedder for a model already on disk, or None.

    Returns None (BM25 only) unless ``model_path`` is given *and* the optional
    ``sentence-transformers`` package is installed. The model is loaded with
    ``local_files_only=True``: this function never downloads anything.

    Raises:
        ConfigError: If the package is installed but ``model_path`` is not a directory.
    """
    if not model_path:
        return None
    try:
        module = importlib.import_module("sentence_transformers")
    except ImportError:
        return None
    if not Path(model_path).is_dir():
        raise ConfigError(f"embedding model directory {model_path!r} does not exist")
    return _SentenceTransformerEmbedder(module.SentenceTransformer(model_path, local_files_only=True))


def _database_path(path_or_url: str) -> str:
    if path_or_url.startswith("sqlite://"):
        # sqlite:///relative.db, sqlite:////absolute.db, sqlite:///:memory:
        return path_or_url.removeprefix("sqlite://").removeprefix("/") or ":memory:"
    if "://" in path_or_url:
        raise ConfigError(f"KnowledgeBase needs a SQLite path or sqlite:/// URL, not {path_or_url!r}")
    return path_or_url


def _fts_query(query: str) -> str:
    """Build an FTS5 OR-query of quoted terms (no user syntax reaches FTS5)."""
    terms = [t.lower() for t in _TOKEN.findall(query)]
    content = [t for t in terms if t not in _STOPWORDS] or terms
    unique = list(dict.fromkeys(content))
    return " OR ".join(f'"{t}"' for t in unique)


def _cosine(a: Sequence[float], b: Sequence[float]) -> float:
    dot = sum(x * y for x, y in zip(a, b, strict=True))
    norm = math.sqrt(sum(x * x for x in a)) * math.sqrt(sum(y * y for y in b))
    return dot / norm if norm else 0.0


class KnowledgeBase:
    """Documents, chunked and indexed for BM25 search, isolated per workspace.

    Args:
        path_or_url: ``":memory:"`` (default), a file path, or ``sqlite:///path``.
        embedder: Optional re-ranker; when given, BM25 candidates are re-ordered by a
            blend of BM25 and cosine similarity.
        chunk_chars: Target chunk size in characters.
        overlap: Characters shared between consecutive chunks of a section.
        rerank_weight: Share of the cosine score in the blended score (0..1).

    Thread-safe: one connection guarded by a lock.
    """

    def __init__(
        self,
        path_or_url: str = ":memory:",
        *,
        embedder: Embedder | None = None,
        chunk_chars: int = 800,
        overlap: int = 120,
        rerank_weight: float = 0.5,
    ) -> None:
        self._conn = sqlite3.connect(_database_path(path_or_url), check_same_thread=False)
        self._conn.execute("PRAGMA foreign_keys = ON")
        self._conn.executescript(_SCHEMA)
        self._lock = threading.Lock()
        self._embedder = embedder
        self._chunk_chars = chunk_chars
        self._overlap = overlap
        self._rerank_weight = rerank_weight

    def close(self) -> None:
        """Close the database connection."""
        self._conn.close()

    def __enter__(self) -> KnowledgeBase:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    @staticmethod
    def _doc_id(workspace: str, source: str) -> str:
        return hashlib.sha256(f"{workspace}\x00{source}".encode()).hexdigest()[:16]

    def add_document(self, document: Document, *, workspace_id: str | None = None) -> str:
        """Chunk, sanitise and index ``document`` in a workspace; return its ``doc_id``.

        The id is derived from the workspace and the source, so adding the same source
        again replaces the earlier version (idempotent re-ingestion).
        """
        workspace = workspace_id or DEFAULT_WORKSPACE
        doc_id = self._doc_id(workspace, document.source)
        digest = hashlib.sha256(document.text.encode()).hexdigest()
        chunks = chunk_text(document.text, max_chars=self._chunk_chars, overlap=self._overlap)
        # Titles and headings reach prompts too (citations), so they are data as well; an
        # instruction-like title taints every chunk of its document.
        title = neutralise(document.title)
        with self._lock, self._conn:
            self._delete(doc_id)
            self._conn.execute(
                "INSERT INTO documents VALUES (?, ?, ?, ?, ?, ?)",
                (doc_id, workspace, title.text, document.source, document.kind, digest),
            )
            for chunk in chunks:
                clean = neutralise(chunk.text)
                heading = neutralise(chunk.heading)
                reasons = sorted({*clean.reasons, *heading.reasons, *title.reasons})
                cursor = self._conn.execute(
                    "INSERT INTO chunks (doc_id, workspace_id, chunk_no, heading, text, suspicious, reasons)"
                    " VALUES (?, ?, ?, ?, ?, ?, ?)",
                    (
                        doc_id,
                        workspace,
                        chunk.chunk_no,
                        heading.text,
                        clean.text,
                        bool(reasons),
                        json.dumps(reasons),
                    ),
                )
                self._conn.execute(
                    "INSERT INTO chunks_fts (rowid, text, title, heading) VALUES (?, ?, ?, ?)",
                    (cursor.lastrowid, clean.text, title.text, heading.text),
                )
        return doc_id

    def add_text(self, text: str, *, title: str, source: str, workspace_id: str | None = None) -> str:
        """Index a Markdown-like string as a document; return its ``doc_id``."""
        return self.add_document(load_text(text, source=source, title=title), workspace_id=workspace_id)

    def ingest_path(self, path: str | Path, *, workspace_id: str | None = None) -> str:
        """Load a Markdown, HTML, PDF or text file and index it; return its ``doc_id``."""
        return self.add_document(load_path(path), workspace_id=workspace_id)

    def ingest_url(self, url: str, fetcher: PageFetcher, *, workspace_id: str | None = None) -> str:
        """Fetch a web page with ``fetcher`` (a ``WebFetcher``) and index it; return its ``doc_id``."""
        return self.add_document(load_url(url, fetcher), workspace_id=workspace_id)

    def _delete(self, doc_id: str) -> int:
        rows = [row[0] for row in self._conn.execute("SELECT id FROM chunks WHERE doc_id = ?", (doc_id,))]
        self._conn.executemany("DELETE FROM chunks_fts WHERE rowid = ?", [(r,) for r in rows])
        self._conn.execute("DELETE FROM chunks WHERE doc_id = ?", (doc_id,))
        return self._conn.execute("DELETE FROM documents WHERE doc_id = ?", (doc_id,)).rowcount

    def remove_document(self, doc_id: str, *, workspace_id: str | None = None) -> None:
        """Delete a document and its chunks.

        Raises:
            NotFound: If the workspace has no such document.
        """
        workspace = workspace_id or DEFAULT_WORKSPACE
        with self._lock, self._conn:
            owner = self._conn.execute(
                "SELECT workspace_id FROM documents WHERE doc_id = ?", (doc_id,)
            ).fetchone()
            if owner is None or owner[0] != workspace:
                raise NotFound(f"no document {doc_id} in workspace {workspace}")
            self._delete(doc_id)

    def documents(self, *, workspace_id: str | None = None) -> list[Citation]:
        """List a workspace's documents (``chunk_no`` is the number of chunks)."""
        workspace = workspace_id or DEFAULT_WORKSPACE
        with self._lock:
            rows = self._conn.execute(
                "SELECT d.doc_id, d.title, d.source, COUNT(c.id) FROM documents d"
                " LEFT JOIN chunks c ON c.doc_id = d.doc_id WHERE d.workspace_id = ?"
                " GROUP BY d.doc_id ORDER BY d.title",
                (workspace,),
            ).fetchall()
        return [Citation(doc_id=r[0], title=r[1], source=r[2], chunk_no=r[3]) for r in rows]

    def search(
        self,
        query: str,
        *,
        k: int = 5,
        workspace_id: str | None = None,
        safe_only: bool = False,
    ) -> list[Passage]:
        """Return up to ``k`` passages of one workspace that best match ``query``.

        Args:
            query: Free text; it is reduced to search terms, so no FTS5 syntax applies.
            k: Maximum number of passages.
            workspace_id: The workspace to search; None means the default workspace.
            safe_only: Leave out chunks flagged as containing instruction-like text.

        Returns:
            Passages, best first, each with a citation.
        """
        match = _fts_query(query)
        if not match or k <= 0:
            return []
        workspace = workspace_id or DEFAULT_WORKSPACE
        candidates = k * 4 if self._embedder is not None else k
        sql = (
            f"SELECT c.text, {_BM25} AS rank, c.doc_id, d.title, d.source, c.chunk_no, c.heading, c.suspicious, c.reasons"
            " FROM chunks_fts JOIN chunks c ON c.id = chunks_fts.rowid JOIN documents d ON d.doc_id = c.doc_id"
            " WHERE chunks_fts MATCH ? AND c.workspace_id = ?"
            + (" AND c.suspicious = 0" if safe_only else "")
            + " ORDER BY rank LIMIT ?"
        )
        with self._lock:
            rows = self._conn.execute(sql, (match, workspace, candidates)).fetchall()
        passages = [
            Passage(
                text=r[0],
                score=-float(r[1]),
                citation=Citation(doc_id=r[2], title=r[3], source=r[4], chunk_no=r[5]),
                heading=r[6],
                suspicious=bool(r[7]),
                reasons=tuple(json.loads(r[8])),
            )
            for r in rows
        ]
        if self._embedder is not None and len(passages) > 1:
            passages = self._rerank(query, passages)
        return passages[:k]

    def _rerank(self, query: str, passages: list[Passage]) -> list[Passage]:
        """Blend min-max-normalised BM25 with cosine similarity from the embedder."""
        assert self._embedder is not None
        vectors = self._embedder.embed([query, *(p.text for p in passages)])
        low, high = min(p.score for p in passages), max(p.score for p in passages)
        spread = (high - low) or 1.0
        weight = self._rerank_weight
        blended = [
            p.model_copy(
                update={"score": (1 - weight) * (p.score - low) / spread + weight * _cosine(vectors[0], v)}
            )
            for p, v in zip(passages, vectors[1:], strict=True)
        ]
        return sorted(blended, key=lambda p: p.score, reverse=True)
