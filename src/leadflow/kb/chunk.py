"""Split a document's text into overlapping, heading-aware chunks for retrieval.

The input is the Markdown-like text every loader in :mod:`leadflow.kb.ingest` produces:
``#``-style heading lines and paragraphs separated by blank lines. Chunks never cross a
heading, so a passage stays about one thing; within a section, whole paragraphs are
packed up to ``max_chars``. A paragraph longer than that is split at sentence ends (or,
failing those, at word boundaries). Consecutive chunks of one section share an overlap
of about ``overlap`` characters so that a fact straddling a boundary is still found.

Example::

    >>> chunks = chunk_text("# Pricing\\n\\nPro costs $49 a month.")
    >>> chunks[0].heading, chunks[0].text
    ('Pricing', 'Pro costs $49 a month.')
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = ["Chunk", "chunk_text"]

_HEADING = re.compile(r"^(#{1,6})\s+(.+?)\s*#*\s*$")
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")


@dataclass(frozen=True)
class Chunk:
    """One retrievable piece of a document.

    Attributes:
        chunk_no: Position of the chunk in its document, from 0.
        heading: The heading path the chunk sits under ("Pricing > Enterprise"), or "".
        text: The chunk's text (without the heading line).
    """

    chunk_no: int
    heading: str
    text: str


def _sections(text: str) -> list[tuple[str, list[str]]]:
    """Group paragraphs under their heading path."""
    sections: list[tuple[str, list[str]]] = []
    path: list[tuple[int, str]] = []
    paragraphs: list[str] = []
    heading = ""
    buffer: list[str] = []

    def flush_paragraph() -> None:
        if buffer:
            paragraph = " ".join(line.strip() for line in buffer).strip()
            if paragraph:
                paragraphs.append(paragraph)
            buffer.clear()

    for line in text.splitlines():
        match = _HEADING.match(line.strip())
        if match:
            flush_paragraph()
            if paragraphs:
                sections.append((heading, paragraphs))
                paragraphs = []
            level = len(match.group(1))
            path = [(lvl, title) for lvl, title in path if lvl < level]
            path.append((level, match.group(2).strip()))
            heading = " > ".join(title for _, title in path)
        elif line.strip():
            buffer.append(line)
        else:
            flush_paragraph()
    flush_paragraph()
    if paragraphs:
        sections.append((heading, paragraphs))
    return sections


def _split_long(paragraph: str, max_chars: int) -> list[str]:
    """Split one over-long paragraph at sentence ends, then at spaces."""
    pieces: list[str] = []
    current = ""
    for sentence in _SENTENCE_END.split(paragraph):
        while len(sentence) > max_chars:
            cut = sentence.rfind(" ", 0, max_chars)
            cut = cut if cut > max_chars // 2 else max_chars
            head, sentence = sentence[:cut].strip(), sentence[cut:].strip()
            if current:
                pieces.append(current)
                current = ""
            pieces.append(head)
        if current and len(current) + 1 + len(sentence) > max_chars:
            pieces.append(current)
            current = sentence
        else:
            current = f"{current} {sentence}".strip()
    if current:
        pieces.append(current)
    return pieces


def _tail(text: str, overlap: int) -> str:
    """Return the last ``overlap`` characters of ``text``, starting at a word."""
    if overlap <= 0 or len(text) <= overlap:
        return text if overlap > 0 else ""
    tail = text[-overlap:]
    space = tail.find(" ")
    return tail[space + 1 :] if 0 <= space < len(tail) - 1 else tail


def chunk_text(text: str, *, max_chars: int = 800, overlap: int = 120) -> list[Chunk]:
    """Split ``text`` into heading-aware chunks of at most about ``max_chars``.

    Args:
        text: Markdown-like text (``#`` headings, blank-line paragraphs).
        max_chars: Upper bound on a chunk's length. The overlap is dropped for a chunk
            whose first paragraph would not fit with it.
        overlap: Characters of the previous chunk (same section only) repeated at the
            start of the next one; 0 disables overlap.

    Returns:
        Chunks in document order, numbered from 0. Empty text gives an empty list.

    Raises:
        ValueError: If ``max_chars`` is not positive or ``overlap`` is not smaller.
    """
    if max_chars <= 0 or not 0 <= overlap < max_chars:
        raise ValueError("need max_chars > 0 and 0 <= overlap < max_chars")
    chunks: list[Chunk] = []
    for heading, paragraphs in _sections(text):
        pieces: list[str] = []
        for paragraph in paragraphs:
            if len(paragraph) > max_chars:
                pieces.extend(_split_long(paragraph, max_chars - overlap))
            else:
                pieces.append(paragraph)
        current = ""
        for piece in pieces:
            if current and len(current) + 2 + len(piece) > max_chars:
                chunks.append(Chunk(len(chunks), heading, current))
                carried = _tail(current, overlap)
                fits = carried and len(carried) + 1 + len(piece) <= max_chars
                current = f"{carried} {piece}" if fits else piece
            else:
                current = f"{current}\n\n{piece}" if current else piece
        if current:
            chunks.append(Chunk(len(chunks), heading, current))
    return chunks
