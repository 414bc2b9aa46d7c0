"""Turn Markdown, HTML, PDF and plain-text sources into :class:`Document` objects.

Every loader produces the same shape: a title, a source (path or URL) and Markdown-like
text with ``#`` headings and blank-line paragraphs, which :mod:`leadflow.kb.chunk` knows
how to split. Loaders do no I/O except :func:`load_path` (reads one file) and
:func:`load_url` (asks a fetcher for one page); nothing here touches the network itself.

HTML is reduced to its visible text: scripts, styles, forms and elements hidden from a
human reader (``hidden``, ``aria-hidden``, ``display:none``) are dropped, because hidden
text is where injected instructions like to live.

Example::

    >>> doc = load_markdown("# Pricing\\n\\nPro is $49.", source="pricing.md")
    >>> doc.title, doc.kind
    ('Pricing', 'markdown')
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from bs4 import BeautifulSoup
from bs4.element import NavigableString, Tag

from leadflow.exceptions import InvalidInput, NotFound

__all__ = [
    "Document",
    "FetchedLike",
    "PageFetcher",
    "html_to_text",
    "load_html",
    "load_markdown",
    "load_page",
    "load_path",
    "load_pdf",
    "load_text",
    "load_url",
]

_FRONT_MATTER = re.compile(r"\A---\s*\n(.*?)\n---\s*\n", re.DOTALL)
_MD_TITLE = re.compile(r"^#\s+(.+?)\s*#*\s*$", re.MULTILINE)
_DROP_TAGS = ("script", "style", "noscript", "template", "svg", "canvas", "iframe", "form", "head")
_BLOCK_TAGS = (
    "p", "div", "section", "article", "main", "header", "footer", "aside", "nav", "ul", "ol",
    "li", "table", "tr", "blockquote", "pre", "dl", "dt", "dd", "figure", "figcaption",
)  # fmt: skip
_HIDDEN_STYLE = re.compile(r"display\s*:\s*none|visibility\s*:\s*hidden|font-size\s*:\s*0", re.IGNORECASE)


@dataclass(frozen=True)
class Document:
    """A source ready for chunking.

    Attributes:
        title: Human-readable title (shown in citations).
        source: Where it came from: a file path or a URL.
        text: Markdown-like text: ``#`` headings and blank-line paragraphs.
        kind: ``"markdown"``, ``"html"``, ``"pdf"`` or ``"text"``.
        metadata: Free-form extra facts (PDF page count, HTTP content type).
    """

    title: str
    source: str
    text: str
    kind: str = "text"
    metadata: dict[str, str] = field(default_factory=dict)


class FetchedLike(Protocol):
    """What :func:`load_page` needs from a fetched page (``WebFetcher`` returns one)."""

    @property
    def url(self) -> str: ...

    @property
    def content_type(self) -> str: ...

    @property
    def content(self) -> bytes: ...

    @property
    def text(self) -> str: ...


class PageFetcher(Protocol):
    """Anything that fetches a URL politely; ``leadflow.integrations.web.WebFetcher`` does."""

    def fetch(self, url: str) -> FetchedLike: ...


def _tidy(text: str) -> str:
    """Collapse spaces within lines and runs of blank lines."""
    lines = [re.sub(r"[ \t\r\f\v\xa0]+", " ", line).strip() for line in text.splitlines()]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


def _fallback_title(source: str) -> str:
    name = source.rstrip("/").rsplit("/", 1)[-1] or source
    return Path(name).stem.replace("-", " ").replace("_", " ").strip() or source


def load_text(text: str, *, source: str, title: str | None = None) -> Document:
    """Wrap plain text; the title defaults to the first non-empty line."""
    body = _tidy(text)
    first = next((line for line in body.splitlines() if line.strip()), "")
    return Document(
        title=title or first[:120] or _fallback_title(source), source=source, text=body, kind="text"
    )


def load_markdown(text: str, *, source: str, title: str | None = None) -> Document:
    """Load Markdown; the title comes from front matter, the first ``#`` heading or the name."""
    front = _FRONT_MATTER.match(text)
    if front:
        text = text[front.end() :]
        meta_title = re.search(r"^title:\s*[\"']?(.+?)[\"']?\s*$", front.group(1), re.MULTILINE)
        title = title or (meta_title.group(1) if meta_title else None)
    heading = _MD_TITLE.search(text)
    title = title or (heading.group(1).strip() if heading else _fallback_title(source))
    return Document(title=title, source=source, text=_tidy(text), kind="markdown")


def _is_hidden(tag: Tag) -> bool:
    if tag.has_attr("hidden") or str(tag.get("aria-hidden", "")).lower() == "true":
        return True
    return bool(_HIDDEN_STYLE.search(str(tag.get("style", ""))))


def _parse_html(html: str) -> tuple[str, str]:
    """Return ``(title, markdown-like text)`` of the visible content of ``html``."""
    soup = BeautifulSoup(html, "html.parser")
    title_tag = soup.find("title")
    title = title_tag.get_text(" ", strip=True) if isinstance(title_tag, Tag) else ""
    for tag in soup.find_all(_DROP_TAGS):
        tag.decompose()
    for tag in soup.find_all(True):
        # A descendant of a tag removed a moment ago is already gone.
        if isinstance(tag, Tag) and not tag.decomposed and _is_hidden(tag):
            tag.decompose()
    first_h1 = ""
    for tag in soup.find_all(re.compile(r"^h[1-6]$")):
        assert isinstance(tag, Tag)
        words = tag.get_text(" ", strip=True)
        first_h1 = first_h1 or (words if tag.name == "h1" else "")
        marks = "#" * int(tag.name[1])
        tag.replace_with(NavigableString(f"\n\n{marks} {words}\n\n" if words else "\n\n"))
    for tag in soup.find_all("br"):
        tag.replace_with(NavigableString("\n"))
    for tag in soup.find_all(_BLOCK_TAGS):
        assert isinstance(tag, Tag)
        tag.insert_before(NavigableString("\n\n"))
        tag.insert_after(NavigableString("\n\n"))
    text = soup.get_text()
    return title or first_h1, _tidy(text)


def html_to_text(html: str) -> str:
    """Return the visible text of an HTML page, with ``#`` headings and paragraphs."""
    return _parse_html(html)[1]


def load_html(html: str, *, source: str, title: str | None = None) -> Document:
    """Load an HTML page; the title comes from ``<title>``, the first ``<h1>`` or the name."""
    found_title, text = _parse_html(html)
    return Document(
        title=title or found_title or _fallback_title(source), source=source, text=text, kind="html"
    )


def load_pdf(data: bytes, *, source: str, title: str | None = None) -> Document:
    """Load a PDF's text layer with pypdf (scanned images without text give no text).

    Raises:
        InvalidInput: If the bytes are not a readable PDF.
    """
    from pypdf import PdfReader
    from pypdf.errors import PyPdfError

    try:
        reader = PdfReader(io.BytesIO(data))
        pages = [page.extract_text() or "" for page in reader.pages]
        meta_title = reader.metadata.title if reader.metadata else None
    except (PyPdfError, ValueError, KeyError, TypeError) as exc:
        raise InvalidInput(f"cannot read PDF {source}: {exc}") from exc
    # Pages become paragraphs; a line break inside a page is usually a layout artefact.
    text = "\n\n".join(_tidy(page) for page in pages if page.strip())
    first = next((line for line in text.splitlines() if line.strip()), "")
    return Document(
        title=title
        or (str(meta_title).strip() if meta_title else "")
        or first[:120]
        or _fallback_title(source),
        source=source,
        text=text,
        kind="pdf",
        metadata={"pages": str(len(pages))},
    )


_LOADERS = {
    ".md": "markdown",
    ".markdown": "markdown",
    ".txt": "text",
    ".html": "html",
    ".htm": "html",
    ".pdf": "pdf",
}


def load_path(path: str | Path) -> Document:
    """Load a file by its suffix: ``.md``, ``.markdown``, ``.txt``, ``.html``, ``.htm``, ``.pdf``.

    Raises:
        NotFound: If the file does not exist.
        InvalidInput: If the suffix is not supported or the file cannot be decoded.
    """
    file = Path(path)
    kind = _LOADERS.get(file.suffix.lower())
    if kind is None:
        raise InvalidInput(f"unsupported file type {file.suffix!r}; use one of {sorted(_LOADERS)}")
    try:
        data = file.read_bytes()
    except FileNotFoundError as exc:
        raise NotFound(f"no such file: {file}") from exc
    if kind == "pdf":
        return load_pdf(data, source=str(file))
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InvalidInput(f"{file} is not UTF-8 text") from exc
    if kind == "html":
        return load_html(text, source=str(file))
    if kind == "markdown":
        return load_markdown(text, source=str(file))
    return load_text(text, source=str(file))


def load_page(page: FetchedLike) -> Document:
    """Load a fetched web page by its content type (HTML, PDF, Markdown or plain text).

    Raises:
        InvalidInput: If the content type is not one of those.
    """
    media = page.content_type.split(";", 1)[0].strip().lower()
    if media in ("text/html", "application/xhtml+xml"):
        return load_html(page.text, source=page.url)
    if media == "application/pdf":
        return load_pdf(page.content, source=page.url)
    if media in ("text/markdown", "text/x-markdown"):
        return load_markdown(page.text, source=page.url)
    if media.startswith("text/"):
        return load_text(page.text, source=page.url)
    raise InvalidInput(f"cannot ingest {page.url}: unsupported content type {media!r}")


def load_url(url: str, fetcher: PageFetcher) -> Document:
    """Fetch ``url`` with ``fetcher`` (robots, limits and caching are its job) and load it."""
    return load_page(fetcher.fetch(url))
