"""The in-memory :class:`~leadflow.kb.store.KnowledgeStore`: dicts and a small BM25, for tests and ``MemoryStore``.

Ranking is BM25 over the chunk's text, title and heading (title and heading weighted up, as
in the SQL backends), with a light suffix-stripping stemmer so "pricing" finds "price". It is
a faithful stand-in for the SQL search, not a copy: the contract suite checks what every
backend must agree on (which documents, which campaign, best match first).
"""

from __future__ import annotations

import math
import re
import threading
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from leadflow.exceptions import NotFound
from leadflow.kb.index import Citation, Passage
from leadflow.kb.ingest import Document
from leadflow.kb.store import DocumentInfo, KnowledgeStore, PreparedDocument, PutResult, prepare, query_terms

__all__ = ["MemoryKnowledgeStore", "stem"]

_WORD = re.compile(r"\w+", re.UNICODE)
_SUFFIXES = ("ations", "ation", "ings", "ing", "ies", "ied", "ers", "er", "ed", "es", "s", "e")
_K1, _B = 1.2, 0.75


def stem(word: str) -> str:
    """A crude stem: the word lower-cased without one common English suffix."""
    word = word.lower()
    for suffix in _SUFFIXES:
        if len(word) - len(suffix) >= 3 and word.endswith(suffix):
            return word[: -len(suffix)]
    return word


@dataclass(frozen=True)
class _Stored:
    info: DocumentInfo
    prepared: PreparedDocument


def _terms(text: str) -> list[str]:
    return [stem(w) for w in _WORD.findall(text)]


class MemoryKnowledgeStore(KnowledgeStore):
    """Documents per (workspace, campaign) in a dict; thread-safe."""

    def __init__(self, *, clock: Callable[[], datetime] = lambda: datetime.now(UTC)) -> None:
        self._docs: dict[tuple[str, str], dict[str, _Stored]] = {}
        self._lock = threading.Lock()
        self._clock = clock

    def put_document(self, workspace_id: str, campaign: str, document: Document) -> PutResult:
        prepared = prepare(workspace_id, campaign, document)
        with self._lock:
            docs = self._docs.setdefault((workspace_id, campaign), {})
            old = docs.get(prepared.doc_id)
            if old is not None and old.info.content_hash == prepared.content_hash:
                return PutResult(old.info.doc_id, "unchanged", old.info.chunks, old.info.title, old.info.source)
            info = DocumentInfo(prepared.doc_id, prepared.title, prepared.source, prepared.kind,
                                len(prepared.chunks), prepared.content_hash, self._clock())
            docs[prepared.doc_id] = _Stored(info, prepared)
        flagged = sum(1 for c in prepared.chunks if c.reasons)
        return PutResult(info.doc_id, "replaced" if old else "added", info.chunks, info.title, info.source, flagged)

    def documents(self, workspace_id: str, campaign: str) -> list[DocumentInfo]:
        with self._lock:
            found = [d.info for d in self._docs.get((workspace_id, campaign), {}).values()]
        return sorted(found, key=lambda d: (d.title, d.source))

    def remove_document(self, workspace_id: str, campaign: str, doc: str) -> DocumentInfo:
        with self._lock:
            docs = self._docs.get((workspace_id, campaign), {})
            for doc_id, stored in list(docs.items()):
                if doc in (doc_id, stored.info.source):
                    del docs[doc_id]
                    return stored.info
        raise NotFound(f"campaign {campaign!r} has no document {doc!r}")

    def search(
        self, workspace_id: str, campaign: str, query: str, *, k: int = 5, safe_only: bool = True
    ) -> list[Passage]:
        wanted = {stem(t) for t in query_terms(query)}
        if not wanted or k <= 0:
            return []
        with self._lock:
            stored = list(self._docs.get((workspace_id, campaign), {}).values())
        rows = []
        for s in stored:
            for chunk in s.prepared.chunks:
                if safe_only and chunk.reasons:
                    continue
                weighted = Counter(_terms(chunk.text))
                weighted.update({t: 2 * n for t, n in Counter(_terms(s.info.title)).items()})
                weighted.update({t: 1.5 * n for t, n in Counter(_terms(chunk.heading)).items()})
                rows.append((s, chunk, weighted))
        if not rows:
            return []
        average = sum(sum(w.values()) for *_, w in rows) / len(rows)
        frequency = Counter(t for *_, w in rows for t in wanted if w[t])
        scored = []
        for s, chunk, weighted in rows:
            length = sum(weighted.values())
            score = 0.0
            for term in wanted:
                tf = weighted[term]
                if tf:
                    idf = math.log(1 + (len(rows) - frequency[term] + 0.5) / (frequency[term] + 0.5))
                    score += idf * tf * (_K1 + 1) / (tf + _K1 * (1 - _B + _B * length / (average or 1)))
            if score > 0:
                citation = Citation(doc_id=s.info.doc_id, title=s.info.title, source=s.info.source,
                                    chunk_no=chunk.chunk_no)
                scored.append(Passage(text=chunk.text, score=score, citation=citation, heading=chunk.heading,
                                      suspicious=bool(chunk.reasons), reasons=chunk.reasons))
        scored.sort(key=lambda p: (-p.score, p.citation.source, p.citation.chunk_no))
        return scored[:k]
