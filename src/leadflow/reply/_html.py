"""HTML-to-text conversion for mail bodies: readable lines, quotes kept as ``> `` prefixes.

Mail clients put the quoted history of a reply in ``<blockquote>`` elements (Gmail,
Apple Mail, Thunderbird) or after a separator ``<div>``/``<hr>`` (Outlook). The
converter keeps that structure visible in plain text so the trimmer can see it:
block elements start new lines, ``<br>`` breaks lines, every level of blockquote adds
a ``> `` prefix, and scripts, styles and the ``<head>`` are dropped.

The converter is built on :class:`html.parser.HTMLParser`, which reads its input in
one pass, so the work is linear in the size of the input; callers cap huge bodies.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

__all__ = ["html_to_text"]

_BLOCK_TAGS = frozenset(
    {
        "address", "article", "aside", "center", "dd", "div", "dl", "dt", "fieldset",
        "figcaption", "figure", "footer", "form", "h1", "h2", "h3", "h4", "h5", "h6",
        "header", "li", "main", "nav", "ol", "p", "pre", "section", "table", "tbody",
        "thead", "tfoot", "tr", "ul",
    }
)  # fmt: skip
_SKIP_TAGS = frozenset({"script", "style", "head", "title", "template", "noscript", "xml"})
_VOID_TAGS = frozenset({"br", "hr", "img", "meta", "link", "input", "wbr", "col", "area", "base"})
_SPACES = re.compile(r"[ \t\r\n\f\v\u00a0\u200b]+")


class _TextBuilder(HTMLParser):
    """Collects text into lines, tracking blockquote depth and skipped elements."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.lines: list[str] = []
        self._current: list[str] = []
        self._quote_depth = 0
        self._line_depth = 0
        self._skip_depth = 0
        self._pre_depth = 0

    # -- line handling -------------------------------------------------------------
    def _flush(self, *, force_blank: bool = False) -> None:
        text = "".join(self._current)
        if self._pre_depth == 0:
            text = text.strip()
        prefix = "> " * self._line_depth
        if text:
            self.lines.append((prefix + text).rstrip())
        elif force_blank and self.lines and self.lines[-1].strip(" >"):
            self.lines.append(prefix.rstrip())
        self._current = []
        self._line_depth = self._quote_depth

    def _append(self, text: str) -> None:
        if not self._current or not "".join(self._current).strip():
            self._line_depth = self._quote_depth
        self._current.append(text)

    # -- parser callbacks ----------------------------------------------------------
    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _SKIP_TAGS:
            self._skip_depth += 1
            return
        if tag == "br":
            self._flush(force_blank=True)
        elif tag == "hr":
            self._flush()
            self.lines.append("> " * self._quote_depth + "-" * 30)
        elif tag == "blockquote":
            self._flush()
            self._quote_depth += 1
            self._line_depth = self._quote_depth
        elif tag == "pre":
            self._flush()
            self._pre_depth += 1
        elif tag in ("td", "th"):
            if self._current and "".join(self._current).strip():
                self._current.append(" ")
        elif tag == "li":
            self._flush()
            self._append("- ")
        elif tag == "p":
            self._flush(force_blank=True)
        elif tag in _BLOCK_TAGS:
            self._flush()

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIP_TAGS:
            self._skip_depth = max(0, self._skip_depth - 1)
            return
        if tag == "blockquote":
            self._flush()
            self._quote_depth = max(0, self._quote_depth - 1)
            self._line_depth = self._quote_depth
        elif tag == "pre":
            self._flush()
            self._pre_depth = max(0, self._pre_depth - 1)
        elif tag == "p":
            self._flush()
            self._flush(force_blank=True)
        elif tag in _BLOCK_TAGS:
            self._flush()

    def handle_data(self, data: str) -> None:
        if self._skip_depth:
            return
        if self._pre_depth:
            parts = data.split("\n")
            for index, part in enumerate(parts):
                if index:
                    self._flush(force_blank=True)
                self._append(part)
            return
        self._append(_SPACES.sub(" ", data))

    def close(self) -> None:
        super().close()
        self._flush()


def html_to_text(html: str) -> str:
    """Convert an HTML mail body to readable plain text.

    Block elements and ``<br>`` become line breaks, ``<blockquote>`` content is
    prefixed with ``> `` once per nesting level, ``<hr>`` becomes a dashed line and
    list items start with ``- ``. Broken markup never raises; what can be read is kept.

    Args:
        html: The HTML source.

    Returns:
        The text, lines separated by ``\\n``, without leading or trailing blank lines.
    """
    builder = _TextBuilder()
    try:
        builder.feed(html)
        builder.close()
    except (AssertionError, ValueError):  # pragma: no cover - HTMLParser is lenient
        builder._flush()
    lines: list[str] = []
    for line in builder.lines:
        if not line.strip(" >") and lines and not lines[-1].strip(" >"):
            continue  # collapse runs of blank lines
        lines.append(line)
    return "\n".join(lines).strip("\n")
