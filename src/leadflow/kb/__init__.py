"""The knowledge base: ingest documents, chunk them, search them with citations.

Documents (Markdown, HTML, PDF, web pages) are data, never instructions: every chunk is
checked by :mod:`leadflow.kb.sanitize` and instruction-like text is removed and flagged.

Each campaign's own documents live in a :class:`KnowledgeStore` beside the lead store
(:func:`knowledge_for`: the main database's FTS5 / ``tsvector`` index, or memory), added with
``leadflow kb add``; agents read them through :class:`CampaignKnowledge` (``AgentContext.kb``),
scoped to one workspace and campaign. :class:`KnowledgeBase` is the standalone SQLite index the
demo's seed documents use (:class:`SeedKnowledge`).

Example::

    >>> kb = KnowledgeBase()
    >>> _ = kb.add_text("# Pricing\\n\\nPro costs $49 a month.", title="Pricing", source="pricing.md")
    >>> kb.search("price of pro", safe_only=True)[0].citation.source
    'pricing.md'
"""

from __future__ import annotations

from leadflow.kb._backends import knowledge_for
from leadflow.kb.chunk import Chunk, chunk_text
from leadflow.kb.index import DEFAULT_WORKSPACE, Citation, Embedder, KnowledgeBase, Passage, load_embedder
from leadflow.kb.ingest import (
    Document,
    FetchedLike,
    PageFetcher,
    html_to_text,
    load_html,
    load_markdown,
    load_page,
    load_path,
    load_pdf,
    load_text,
    load_url,
)
from leadflow.kb.retriever import CampaignKnowledge, SeedKnowledge
from leadflow.kb.sanitize import REMOVED_MARKER, Sanitized, is_suspicious, neutralise, scan
from leadflow.kb.store import DocumentInfo, KnowledgeStore, PutResult

__all__ = [
    "DEFAULT_WORKSPACE",
    "REMOVED_MARKER",
    "CampaignKnowledge",
    "Chunk",
    "Citation",
    "Document",
    "DocumentInfo",
    "Embedder",
    "FetchedLike",
    "KnowledgeBase",
    "KnowledgeStore",
    "PageFetcher",
    "Passage",
    "PutResult",
    "Sanitized",
    "SeedKnowledge",
    "chunk_text",
    "html_to_text",
    "is_suspicious",
    "knowledge_for",
    "load_embedder",
    "load_html",
    "load_markdown",
    "load_page",
    "load_path",
    "load_pdf",
    "load_text",
    "load_url",
    "neutralise",
    "scan",
]
