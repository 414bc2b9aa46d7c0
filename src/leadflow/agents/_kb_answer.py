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

__all__ = ["KbAnswer", "kb_answer", "readable"]

log = logging.getLogger(__name__)

_SENTENCE = re.compile(r"(?<=[.!?])\s+")
_GENERIC = frozenset("can could would will should does do is are get next steps step much many any there it".split())
MIN_SHARED = 2
_TABLE_RULE = re.compile(r"^\|?\s*:?-{2,}:?\s*(\|\s*:?-{2,}:?\s*)*\|?$")
_FLAT_ROWS = re.compile(r"(?<=\|)\s+(?=\|)")
_HEADING = re.compile(r"^#{1,6}\s+")
_LIST_MARK = re.compile(r"^(?:[-*+]|>)\s+")
_IMAGE = re.compile(r"!\[([^\]]*)\]\([^)]*\)")
_LINK = re.compile(r"\[([^\]]+)\]\([^)]*\)")
_EMPHASIS = (
    re.compile(r"\*\*(.+?)\*\*"), re.compile(r"(?<!\w)__(.+?)__(?!\w)"),
    re.compile(r"(?<![\w*])\*(?!\s)(.+?)(?<!\s)\*(?![\w*])"), re.compile(r"(?<!\w)_(?!\s)(.+?)(?<!\s)_(?!\w)"),
    re.compile(r"`([^`]+)`"),
)


def _is_row(line: str) -> bool:
    return line.startswith("|") or line.count("|") >= 2


def _inline(text: str) -> str:
    text = _LINK.sub(r"\1", _IMAGE.sub(r"\1", text))
    for pattern in _EMPHASIS:
        text = pattern.sub(r"\1", text)
    return text


def _ended(text: str) -> str:
    return text if not text or text[-1] in ".!?:;" else text + "."


def readable(text: str) -> str:
    """A knowledge passage's Markdown as plain text, for quoting it to a prospect or a seller.

    Heading marks, list and quote marks, emphasis, code ticks and link syntax are dropped (a
    link keeps its text); a table's header and rule lines go, and each row reads
    ``first cell: other cells.`` (also when the chunker flattened the table onto one line); a
    heading or row becomes a sentence of its own.

    >>> readable("# Pricing\\n\\n| plan | price |\\n|---|---|\\n| Team | $39 per seat |\\n\\n**No** [set-up fee](x.md).")
    'Pricing. Team: $39 per seat. No set-up fee.'
    """
    lines: list[str] = []
    for line in text.splitlines():
        line = line.strip()
        if line.startswith("|") and line.endswith("|") and _FLAT_ROWS.search(line):
            lines += _FLAT_ROWS.split(line)  # a table the chunker flattened onto one line: its rows again
        else:
            lines.append(line)
    out: list[str] = []
    for i, line in enumerate(lines):
        if not line or _TABLE_RULE.match(line):
            continue
        if _is_row(line):
            if i + 1 < len(lines) and _TABLE_RULE.match(lines[i + 1]):
                continue  # the header row: the rows read without it
            cells = [_inline(c.strip()) for c in line.strip("|").split("|")]
            cells = [c for c in cells if c]
            if cells:
                out.append(_ended(cells[0] + (": " + "; ".join(cells[1:]) if len(cells) > 1 else "")))
            continue
        heading = bool(_HEADING.match(line))
        line = _inline(_LIST_MARK.sub("", _HEADING.sub("", line)))
        out.append(_ended(line) if heading or _LIST_MARK.match(lines[i]) else line)
    return " ".join(" ".join(out).split())


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
            best = max(_SENTENCE.split(readable(passage.text)), key=lambda s: len(wanted & _words(s)))
            if len(wanted & _words(best)) >= MIN_SHARED:
                sentence = best.rstrip(".!? ")
                return KbAnswer(f'On your question: {sentence} (from our "{passage.citation.title}" notes).', [passage])
    return KbAnswer()
