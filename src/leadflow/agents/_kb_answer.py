"""Answering a prospect's question from the campaign's knowledge base, with the document cited.

Qualification (and any agent writing back to a prospect) may meet a question in a reply ("Do you
integrate with HubSpot?", "Is it SOC 2?"). :func:`kb_answer` looks for it in the campaign's own
documents (``ctx.kb``: :class:`~leadflow.kb.CampaignKnowledge` in real runs) and returns one
sentence of the best passage, quoted with its document's title, plus the passage for the
decision's citations. It answers only when the passage shares at least two of the question's
content words, and never from a bare context without a knowledge base (no demo documents leak
into a user's campaign): no good match, no answer, and the agent simply goes on.

Example::

    >>> from leadflow.kb import KnowledgeBase
    >>> from types import SimpleNamespace
    >>> kb = KnowledgeBase()
    >>> _ = kb.add_text("# Security\\n\\nAcme is SOC 2 Type II certified. Backups are encrypted.",
    ...                 title="Acme security", source="security.md")
    >>> ctx = SimpleNamespace(kb=kb, workspace_id="default")
    >>> kb_answer(ctx, "Sounds good. Is Acme SOC 2 certified?").sentence
    'On your question: Acme is SOC 2 Type II certified (from our "Acme security" notes).'
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from typing import Any

from leadflow.exceptions import LeadflowError
from leadflow.kb import Passage
from leadflow.kb.store import query_terms

__all__ = ["KbAnswer", "kb_answer"]

log = logging.getLogger(__name__)

_SENTENCE = re.compile(r"(?<=[.!?])\s+")
_GENERIC = frozenset("can could would will should does do is are get next steps step much many any there it".split())
MIN_SHARED = 2


@dataclass(frozen=True)
class KbAnswer:
    """One sentence answering the prospect's question, and the passages it came from."""

    sentence: str = ""
    passages: list[Passage] = field(default_factory=list)

    def sources(self) -> list[dict[str, str | int]]:
        """The cited documents and sections, for a decision's payload."""
        return [
            {"doc_id": p.citation.doc_id, "title": p.citation.title, "section": p.heading or p.citation.title,
             "source": p.citation.source, "chunk": p.citation.chunk_no}
            for p in self.passages
        ]


def _words(text: str) -> set[str]:
    return {w for w in query_terms(text) if w not in _GENERIC and len(w) > 2}


def kb_answer(ctx: Any, text: str) -> KbAnswer:
    """Answer the first question in ``text`` that the campaign's documents cover, or nothing."""
    kb = getattr(ctx, "kb", None)
    if kb is None or "?" not in text:
        return KbAnswer()
    questions = [s.strip() for s in _SENTENCE.split(" ".join(text.split())) if s.strip().endswith("?")]
    for question in questions[:3]:
        wanted = _words(question)
        if len(wanted) < MIN_SHARED:
            continue
        try:
            found: list[Passage] = kb.search(question, k=3, workspace_id=ctx.workspace_id, safe_only=True)
        except LeadflowError as exc:  # the knowledge base helps; it never blocks a reply
            log.info("kb answer: search failed: %s", exc)
            return KbAnswer()
        for passage in found:
            if passage.suspicious:
                continue
            best = max(_SENTENCE.split(" ".join(passage.text.split())), key=lambda s: len(wanted & _words(s)))
            if len(wanted & _words(best)) >= MIN_SHARED:
                sentence = best.rstrip(".!? ")
                return KbAnswer(f'On your question: {sentence} (from our "{passage.citation.title}" notes).', [passage])
    return KbAnswer()
