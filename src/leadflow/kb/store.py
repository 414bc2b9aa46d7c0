"""The campaign knowledge store: each campaign's documents, kept in the main database.

:class:`KnowledgeStore` is the interface; :class:`~leadflow.kb.memory.MemoryKnowledgeStore`
keeps documents in process (tests, ``MemoryStore``) and :class:`~leadflow.kb.sql.SqlKnowledgeStore`
keeps them beside ``SqlStore``'s tables (FTS5 on SQLite, ``tsvector`` + GIN on PostgreSQL), so
every worker of a deployment searches the same documents. :func:`knowledge_for` gives the one
store that goes with a lead store.

Every call names a workspace *and* a campaign: a campaign never sees another campaign's or
another workspace's documents. A document is identified by its source (path or URL): putting
the same source again replaces its passages when its text changed and does nothing when it did
not (:attr:`PutResult.status` says which).

Text is data, never instructions: chunks go through :func:`leadflow.kb.sanitize.neutralise`
before they are stored (as in :class:`~leadflow.kb.KnowledgeBase`) and ``safe_only=True``
leaves flagged ones out.

Example::

    >>> from leadflow.kb.memory import MemoryKnowledgeStore
    >>> kb = MemoryKnowledgeStore()
    >>> doc = load_markdown("# Pricing\\n\\nTeams pay $30 per seat.", source="pricing.md")
    >>> kb.put_document("ws", "acme", doc).status
    'added'
    >>> kb.put_document("ws", "acme", doc).status
    'unchanged'
    >>> kb.search("ws", "acme", "seat price")[0].citation.source
    'pricing.md'
    >>> kb.search("ws", "other-campaign", "seat price")
    []
"""

from __future__ import annotations

import hashlib
import re
from abc import ABC, abstractmethod
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from leadflow.kb.chunk import chunk_text
from leadflow.kb.index import Passage
from leadflow.kb.ingest import Document, load_markdown  # noqa: F401 - the example uses it
from leadflow.kb.sanitize import neutralise

__all__ = [
    "DocumentInfo",
    "KnowledgeStore",
    "PreparedChunk",
    "PreparedDocument",
    "PutResult",
    "PutStatus",
    "doc_id_for",
    "prepare",
    "query_terms",
]

PutStatus = Literal["added", "replaced", "unchanged"]

_TOKEN = re.compile(r"\w+", re.UNICODE)
_STOPWORDS = frozenset(
    "a an and are as at be by do does for from how i in is it of on or our the this to we what when "
    "where which who why with you your".split()
)


@dataclass(frozen=True)
class DocumentInfo:
    """One stored document, as ``kb list`` shows it."""

    doc_id: str
    title: str
    source: str
    kind: str
    chunks: int
    content_hash: str
    added_at: datetime


@dataclass(frozen=True)
class PutResult:
    """What :meth:`KnowledgeStore.put_document` did: ``added``, ``replaced`` or ``unchanged``."""

    doc_id: str
    status: PutStatus
    chunks: int
    title: str
    source: str
    flagged: int = 0  # passages where instruction-like text was found (and removed)


@dataclass(frozen=True)
class PreparedChunk:
    """A chunk ready to store: neutralised text and heading, the sanitiser's reasons."""

    chunk_no: int
    heading: str
    text: str
    reasons: tuple[str, ...]


@dataclass(frozen=True)
class PreparedDocument:
    """A document chunked and neutralised once, for every backend alike."""

    doc_id: str
    title: str
    source: str
    kind: str
    content_hash: str
    chunks: tuple[PreparedChunk, ...]


def doc_id_for(workspace_id: str, campaign: str, source: str) -> str:
    """The stable id of ``source`` in one campaign (the same source elsewhere gets another id)."""
    return hashlib.sha256(f"{workspace_id}\x00{campaign}\x00{source}".encode()).hexdigest()[:16]


def prepare(
    workspace_id: str, campaign: str, document: Document, *, chunk_chars: int = 800, overlap: int = 120
) -> PreparedDocument:
    """Chunk and neutralise ``document``; titles and headings are data too (they reach citations)."""
    title = neutralise(document.title)
    chunks = []
    for chunk in chunk_text(document.text, max_chars=chunk_chars, overlap=overlap):
        clean, heading = neutralise(chunk.text), neutralise(chunk.heading)
        reasons = tuple(sorted({*clean.reasons, *heading.reasons, *title.reasons}))
        chunks.append(PreparedChunk(chunk.chunk_no, heading.text, clean.text, reasons))
    digest = hashlib.sha256(f"{document.title}\x00{document.kind}\x00{document.text}".encode()).hexdigest()
    return PreparedDocument(
        doc_id=doc_id_for(workspace_id, campaign, document.source),
        title=title.text,
        source=document.source,
        kind=document.kind,
        content_hash=digest,
        chunks=tuple(chunks),
    )


def query_terms(query: str) -> list[str]:
    """The distinct search words of ``query``, lower-cased, stop words dropped (no query syntax)."""
    terms = [t.lower() for t in _TOKEN.findall(query)]
    content = [t for t in terms if t not in _STOPWORDS] or terms
    return list(dict.fromkeys(content))[:32]


class KnowledgeStore(ABC):
    """Each campaign's documents: put, list, remove and search, scoped to (workspace, campaign)."""

    @abstractmethod
    def put_document(self, workspace_id: str, campaign: str, document: Document) -> PutResult:
        """Add ``document``, or replace the campaign's document of the same source.

        Returns:
            ``status="unchanged"`` (nothing written) when the stored copy has the same text,
            ``"replaced"`` when the old passages were swapped for the new ones, else ``"added"``.
        """

    @abstractmethod
    def documents(self, workspace_id: str, campaign: str) -> list[DocumentInfo]:
        """The campaign's documents, by title."""

    @abstractmethod
    def remove_document(self, workspace_id: str, campaign: str, doc: str) -> DocumentInfo:
        """Delete a document (by its id or its source) and its passages; return what was removed.

        Raises:
            NotFound: If the campaign has no such document.
        """

    @abstractmethod
    def search(
        self, workspace_id: str, campaign: str, query: str, *, k: int = 5, safe_only: bool = True
    ) -> list[Passage]:
        """Up to ``k`` passages of the campaign's documents best matching ``query``, best first.

        ``query`` is free text (reduced to words: no query syntax reaches the database); each
        passage carries its document id, title, source, chunk number and section heading.
        """

    def close(self) -> None:  # noqa: B027 - nothing to release by default
        """Release what the store holds (the SQL one shares the lead store's engine)."""
