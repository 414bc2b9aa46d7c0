"""MIME parsing of inbound mail into one tolerant, typed :class:`ParsedMessage`.

Inbound mail is hostile input: broken multipart boundaries, charsets nobody has heard
of, encoded-word soup in headers, bodies of many megabytes. :func:`parse_message`
never raises for any of that; it records a short description in
:attr:`ParsedMessage.defects` and returns what it could read. Work is bounded: the raw
message, each decoded part and the HTML handed to the converter are capped, so a huge
message costs linear time.
"""

from __future__ import annotations

import email
import email.header
import email.message
import email.utils
import re
from datetime import UTC, datetime

from charset_normalizer import from_bytes
from pydantic import BaseModel, Field

from leadflow.reply._html import html_to_text

__all__ = [
    "MAX_PART_CHARS",
    "MAX_RAW_BYTES",
    "ParsedMessage",
    "html_to_text",
    "looks_like_rfc822",
    "parse_message",
]

MAX_RAW_BYTES = 25_000_000
"""Raw messages longer than this are cut before parsing (a defect is recorded)."""
MAX_PART_CHARS = 2_000_000
"""Decoded text parts longer than this are cut (a defect is recorded)."""
_MAX_HTML_CHARS = 1_000_000
_MAX_PARTS = 200

_MSG_ID = re.compile(r"<[^<>\s]+>")
_HEADER_LINE = re.compile(r"^[A-Za-z][A-Za-z0-9-]{0,60}:[ \t]*\S?")
_CONTINUATION = re.compile(r"^[ \t]+\S")
_KNOWN_HEADERS = frozenset(
    {"from", "received", "return-path", "subject", "date", "to", "message-id", "reply-to",
     "sender", "cc", "mime-version", "content-type", "delivered-to", "x-mailer", "in-reply-to"}
)  # fmt: skip


class ParsedMessage(BaseModel):
    """One inbound message, decoded: headers, addresses, best text body and all text parts."""

    message_id: str | None = None
    in_reply_to: str | None = None
    references: list[str] = Field(default_factory=list)
    subject: str = ""
    from_name: str | None = None
    from_addr: str | None = None
    to: list[str] = Field(default_factory=list)
    date: datetime | None = None
    headers: dict[str, str] = Field(default_factory=dict)
    text: str = ""
    html: str | None = None
    is_multipart_report: bool = False
    report_type: str | None = None
    raw_parts: list[tuple[str, str]] = Field(default_factory=list)
    defects: list[str] = Field(default_factory=list)


def _decode_bytes(data: bytes, charset: str | None, defects: list[str]) -> str:
    """Decode bytes with the declared charset, falling back to detection, then latin-1."""
    if charset:
        try:
            return data.decode(charset, errors="replace")
        except LookupError:
            defects.append(f"unknown charset {charset!r}")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    best = from_bytes(data[:200_000]).best()
    if best is not None:
        try:
            return data.decode(best.encoding, errors="replace")
        except LookupError:  # pragma: no cover - detector names are known codecs
            pass
    return data.decode("latin-1")


def _decode_header(value: object, defects: list[str]) -> str:
    """Decode RFC 2047 encoded words; undecodable pieces are kept as readable text."""
    if isinstance(value, email.header.Header):
        value = str(value)
    text = str(value)
    if "=?" not in text:
        return " ".join(text.split())
    try:
        chunks = email.header.decode_header(text)
    except (email.errors.HeaderParseError, ValueError):
        defects.append("malformed encoded header")
        return " ".join(text.split())
    try:
        return " ".join(str(email.header.make_header(chunks)).split())
    except (LookupError, UnicodeError, ValueError):
        pass  # an unknown charset: decode piece by piece with fallbacks
    out: list[str] = []
    for chunk, charset in chunks:
        out.append(_decode_bytes(chunk, charset, defects) if isinstance(chunk, bytes) else chunk)
    return " ".join("".join(out).split())


def _part_text(part: email.message.Message, defects: list[str]) -> str:
    """Decode a leaf part's payload to text, undoing its transfer encoding and charset."""
    try:
        payload = part.get_payload(decode=True)
    except (ValueError, TypeError, AssertionError):  # pragma: no cover - defensive
        defects.append("undecodable transfer encoding")
        payload = None
    if payload is None:
        raw = part.get_payload()
        return raw if isinstance(raw, str) else ""
    if not isinstance(payload, bytes):  # pragma: no cover - defensive
        return str(payload)
    charset = None
    try:
        charset = part.get_content_charset()
    except (ValueError, LookupError):  # pragma: no cover - defensive
        defects.append("bad charset parameter")
    text = _decode_bytes(payload, charset, defects)
    if len(text) > MAX_PART_CHARS:
        defects.append(f"part truncated to {MAX_PART_CHARS} characters")
        text = text[:MAX_PART_CHARS]
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _message_text(payload: object, defects: list[str]) -> str:
    """Render the payload of a message/* part (delivery-status blocks, rfc822) as text."""
    if isinstance(payload, str):
        return payload.replace("\r\n", "\n")
    if not isinstance(payload, list):
        return ""
    chunks: list[str] = []
    for sub in payload:
        if not isinstance(sub, email.message.Message):
            continue
        try:
            chunks.append(sub.as_string(maxheaderlen=0)[:MAX_PART_CHARS])
        except (UnicodeError, LookupError, ValueError, TypeError, KeyError):
            defects.append("unrenderable embedded message")
            head = "\n".join(f"{k}: {v}" for k, v in sub.items())
            chunks.append(head + "\n")
    return "\n".join(chunks).replace("\r\n", "\n")


def _is_attachment(part: email.message.Message) -> bool:
    disposition = str(part.get("Content-Disposition", "")).split(";")[0].strip().lower()
    return disposition == "attachment"


def _to_bytes(raw: bytes | str, defects: list[str]) -> bytes:
    data = raw.encode("utf-8", errors="surrogateescape") if isinstance(raw, str) else raw
    if len(data) > MAX_RAW_BYTES:
        defects.append(f"message truncated to {MAX_RAW_BYTES} bytes")
        data = data[:MAX_RAW_BYTES]
    return data


def parse_message(raw: bytes | str) -> ParsedMessage:
    """Parse a raw RFC 5322 message; never raises for malformed input.

    Args:
        raw: The message as bytes (preferred) or text.

    Returns:
        The decoded message. ``text`` is the first inline ``text/plain`` body (or the
        first HTML body converted to text); ``raw_parts`` lists every text-ish part,
        including ``message/delivery-status`` and ``message/rfc822`` bodies; problems
        met on the way are listed in ``defects``.
    """
    defects: list[str] = []
    data = _to_bytes(raw, defects)
    try:
        msg = email.message_from_bytes(data)
    except Exception as exc:  # the stdlib parser is lenient; this is a last resort
        defects.append(f"unparseable message: {type(exc).__name__}")
        text = _decode_bytes(data, None, defects)
        return ParsedMessage(text=text[:MAX_PART_CHARS], defects=defects)

    headers: dict[str, str] = {}
    for name, value in msg.items():
        key = name.strip().lower()
        if key not in headers:
            headers[key] = _decode_header(value, defects)

    result = ParsedMessage(headers=headers, defects=defects)
    result.subject = headers.get("subject", "")
    ids = _MSG_ID.findall(headers.get("message-id", ""))
    result.message_id = ids[0] if ids else (headers.get("message-id") or None)
    reply_ids = _MSG_ID.findall(headers.get("in-reply-to", ""))
    result.in_reply_to = reply_ids[0] if reply_ids else (headers.get("in-reply-to") or None)
    result.references = _MSG_ID.findall(headers.get("references", ""))
    if "from" in headers:
        name, addr = email.utils.parseaddr(headers["from"])
        result.from_name = name or None
        result.from_addr = addr.lower() if addr and "@" in addr else (addr or None)
    if "to" in headers:
        result.to = [a.lower() for _, a in email.utils.getaddresses([headers["to"]]) if a]
    if "date" in headers:
        try:
            parsed = email.utils.parsedate_to_datetime(headers["date"])
            result.date = parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
        except (TypeError, ValueError, IndexError, OverflowError):
            defects.append("unparseable Date header")

    ctype = msg.get_content_type()
    result.is_multipart_report = ctype == "multipart/report"
    report_type = msg.get_param("report-type")
    if isinstance(report_type, str):
        result.report_type = report_type.lower()

    _collect_parts(msg, result, defects)
    defects.extend(_defect_names(msg))
    result.defects = defects  # the model holds a copy of the list given at construction
    return result


def _defect_names(msg: email.message.Message) -> list[str]:
    names: list[str] = []
    for part in msg.walk():
        for defect in getattr(part, "defects", []):
            names.append(type(defect).__name__)
    return names


def _collect_parts(msg: email.message.Message, result: ParsedMessage, defects: list[str]) -> None:
    """Fill ``text``, ``html`` and ``raw_parts`` from the message tree."""
    plain: str | None = None
    html: str | None = None
    nested_ids: set[int] = set()
    for count, part in enumerate(msg.walk()):
        if count >= _MAX_PARTS:
            defects.append(f"more than {_MAX_PARTS} parts; the rest ignored")
            break
        ctype = part.get_content_type()
        maintype = part.get_content_maintype()
        nested = id(part) in nested_ids
        if maintype == "multipart":
            if not part.is_multipart():
                # a multipart without a usable boundary: keep its body as text
                body = part.get_payload()
                if isinstance(body, str) and body.strip():
                    result.raw_parts.append(("text/plain", body))
                    if plain is None and not nested:
                        plain = body
            continue
        if maintype == "message":
            text = _message_text(part.get_payload(), defects)
            result.raw_parts.append((ctype, text))
            if ctype in ("message/rfc822", "message/global"):
                nested_ids.update(id(sub) for sub in part.walk() if sub is not part)
            continue
        if maintype != "text":
            continue
        text = _part_text(part, defects)
        result.raw_parts.append((ctype, text))
        if nested or _is_attachment(part):
            continue
        if ctype == "text/html":
            if html is None:
                html = text
        elif plain is None:
            plain = text
    result.html = html
    if plain is not None and plain.strip():
        result.text = plain
    elif html is not None:
        if len(html) > _MAX_HTML_CHARS:
            defects.append(f"HTML truncated to {_MAX_HTML_CHARS} characters for text conversion")
        result.text = html_to_text(html[:_MAX_HTML_CHARS])
    elif plain is not None:
        result.text = plain


def looks_like_rfc822(text: str) -> bool:
    """Tell whether a text starts with a mail header block.

    True when the first non-blank lines are ``Name: value`` header lines (with
    optional folded continuations), at least one of them a well-known mail header such
    as ``From``, ``Received``, ``Return-Path`` or ``Subject``, and the block ends with
    a blank line (or the end of the text).

    Args:
        text: Any text, e.g. the body of a ``message/rfc822`` or ``text/plain`` part.

    Returns:
        Whether the text looks like a message with headers.
    """
    lines = text.lstrip("\r\n").splitlines()
    seen = 0
    known = False
    for line in lines[:200]:
        if not line.strip():
            break
        if _CONTINUATION.match(line) and seen:
            continue
        if not _HEADER_LINE.match(line):
            return False
        seen += 1
        if line.split(":", 1)[0].strip().lower() in _KNOWN_HEADERS:
            known = True
    return seen >= 1 and known
