"""Reply trimming: keep the new text of a reply, drop quoted history and signatures.

The trimmer labels every line with one class, then cuts on the sequence of classes
(an approach popularised by Discourse's ``email_reply_trimmer``)::

    e  empty             t  text
    q  quoted (">")      b  quote header ("On ... wrote:") or forward marker
    h  header block      d  delimiter line ("-----", "_____")
    S  "-- " signature   s  client signature ("Sent from my iPhone")

The new text is the text before the first quote header or header block, unless the
history is answered inline (quotes followed by several lines of text), in which case
the quotes stay and only the header line goes. Client signatures vanish wherever they
are; "-- " and a trailing contact block after a sign-off ("Best regards, / Jane /
+49 ...") are cut. Work is linear in the number of lines and inputs are capped.
"""

from __future__ import annotations

import re

from leadflow.reply import _markers as mk
from leadflow.reply._html import html_to_text

__all__ = ["MAX_TRIM_CHARS", "extract_new_text", "split_reply"]

MAX_TRIM_CHARS = 200_000
"""Only this many leading characters of a body are examined; the rest counts as history."""
_JOIN_WINDOW = 6
_INVISIBLE = "\u200b\u200c\u200d\u2060\ufeff\u00a0\u1427\u034f"
_DELIMITER = re.compile(r"^\s*[-_=*#~+.•·—–]{3,}\s*$|^\s*\*-{2,}\s*\*?\s*$")
_SIG_DASHES = re.compile(r"^\s*--\s*$|^\s*-- \S.{0,40}$")
_QUOTE = re.compile(r"^\s*(?:>|[A-Za-z]{1,12}>(?:\s|$))")
_FENCE = re.compile(r"^\s*(```|~~~)")
_CONTACT = re.compile(
    r"\+?\d[\d\s().-]{6,}\d|https?://|www\.|@[\w-]+\.|\b(?:tel|phone|mobile|mobil|fax|cell|office|"
    r"direct|email|e-mail|web|linkedin)\b|\|",
    re.IGNORECASE,
)


def _classify(lines: list[str]) -> list[str]:
    """Label every line with one class letter (see the module docstring)."""
    classes = ["t"] * len(lines)
    in_fence = False
    for i, line in enumerate(lines):
        if _FENCE.match(line):
            in_fence = not in_fence
            continue
        if in_fence:
            continue
        bare = line.strip(" \t" + _INVISIBLE)
        if not bare:
            classes[i] = "e"
        elif _SIG_DASHES.match(line):
            classes[i] = "S"
        elif mk.is_mobile_signature(bare):
            classes[i] = "s"
        elif mk.is_forward_marker(line) or mk.is_quote_header(line):
            classes[i] = "b"
        elif _DELIMITER.match(line):
            classes[i] = "d"
        elif _QUOTE.match(line):
            classes[i] = "q"
    _mark_wrapped_headers(lines, classes)
    _mark_header_blocks(lines, classes)
    return classes


def _mark_wrapped_headers(lines: list[str], classes: list[str]) -> None:
    """Find "On <date>, <someone> <\\nmail> wrote:" headers that clients wrapped over lines."""
    for i, line in enumerate(lines):
        if classes[i] not in "tq" or len(line) > mk.MAX_LINE or not mk.starts_quote_header(line):
            continue
        joined = line.strip()
        for k in range(1, _JOIN_WINDOW):
            if i + k >= len(lines):
                break
            nxt = lines[i + k].strip()
            joined = f"{joined} {nxt.lstrip('>').strip()}" if nxt else joined
            if len(joined) > mk.MAX_LINE or classes[i + k] == "d":
                break
            if nxt and mk.is_quote_header(joined):
                for j in range(i, i + k + 1):
                    classes[j] = "b"
                break
            if classes[i + k] == "b":
                break


def _mark_header_blocks(lines: list[str], classes: list[str]) -> None:
    """Mark runs of embedded-message headers ("From: / Sent: / To: / Subject:") as ``h``."""
    i = 0
    n = len(lines)
    while i < n:
        found = mk.header_key(lines[i]) if classes[i] in "tqS" else None
        if found is None:
            i += 1
            continue
        keys = {found[0]}
        has_from = found[1]
        last = i
        j = i + 1
        while j < n:
            more = mk.header_key(lines[j]) if classes[j] in "tqS" else None
            if more is not None:
                keys.add(more[0])
                has_from = has_from or more[1]
                last = j
            elif classes[j] == "e" and j - last <= 1:
                pass  # one blank line may separate header lines
            elif classes[j] != "e" and j == last + 1 and _is_header_continuation(lines[j]):
                last = j
            else:
                break
            j += 1
        if len(keys) >= 2 and (has_from or len(keys) >= 3):
            for k in range(i, last + 1):
                classes[k] = "h"
        i = last + 1


def _is_header_continuation(line: str) -> bool:
    """Long To:/Cc: lists wrap onto lines that hold addresses or start indented."""
    return bool(line[:1].isspace() and line.strip()) or bool(mk.EMAIL.search(line) and len(line) < 300)


def _cut_start(classes: list[str], index: int) -> int:
    """Move a cut point back over the blank and delimiter lines just before it."""
    while index > 0 and classes[index - 1] in "ed":
        index -= 1
    return index


def _is_inline_reply(classes: list[str], start: int) -> bool:
    """After a quote header, tell whether the quotes are answered inline (q then text)."""
    rest = [c for c in classes[start + 1 :] if c != "e"]
    if not rest or rest[0] != "q":
        return False
    seen_quote = False
    text_after_quote = 0
    for c in rest:
        if c == "q":
            seen_quote = True
        elif c in "bh":
            return False
        elif c == "t" and seen_quote:
            text_after_quote += 1
    return text_after_quote >= 3


def _quotes_again(classes: list[str], start: int) -> bool:
    """Tell whether text after ``start`` is followed by more quotes (an inline reply)."""
    seen_text = False
    for c in classes[start:]:
        if c == "t":
            seen_text = True
        elif c == "q" and seen_text:
            return True
        elif c in "bhS":
            return False
    return False


def _trim_signature_block(lines: list[str], classes: list[str], end: int) -> int:
    """Cut a trailing contact block that follows a sign-off and the writer's name."""
    text_idx = [i for i in range(end) if classes[i] == "t"]
    if len(text_idx) < 3:
        return end
    for pos in range(len(text_idx) - 1, max(-1, len(text_idx) - 12), -1):
        i = text_idx[pos]
        if not mk.is_signoff(lines[i]):
            continue
        tail = text_idx[pos + 1 :]
        if pos == 0 or len(tail) < 2 or len(tail) > 10:
            return end
        block = tail[1:]
        if all(len(lines[j].strip()) <= 80 for j in block) and any(_CONTACT.search(lines[j]) for j in block):
            return block[0]
        return end
    return end


_CONTACT_LINE = re.compile(
    r"^\s*(?:(?:tel|phone|mobile|mobil|fax|cell|m|t|f|p|e|w|office|direct)\.?\s*[:.]?\s*)?"
    r"(?:\+?\(?\d[\d\s().-]{6,}\d|[\w.+-]+@[\w-]+(?:\.[\w-]+)+|(?:https?://|www\.)\S+)\s*$",
    re.IGNORECASE,
)


def _trim_contact_paragraph(lines: list[str], classes: list[str], end: int) -> int:
    """Cut a last paragraph that is a bare contact card: a name with phone, mail or web lines."""
    start = end
    while start > 0 and classes[start - 1] != "e":
        start -= 1
    block = [lines[k] for k in range(start, end)]
    if not 2 <= len(block) <= 7 or not any(classes[k] == "t" for k in range(start)):
        return end
    contacts = sum(1 for line in block if _CONTACT_LINE.match(line))
    if contacts >= 2 and all(len(line.strip()) <= 60 for line in block) and not _CONTACT_LINE.match(block[0]):
        return _cut_start(classes, start)
    return end


def _trim_lines(lines: list[str]) -> tuple[list[str], list[str]]:
    classes = _classify(lines)
    keep = [True] * len(lines)
    for i, c in enumerate(classes):
        if c == "s":
            keep[i] = False
            classes[i] = "e"
    end = len(lines)
    has_text = False
    i = 0
    while i < end:
        c = classes[i]
        if c == "t":
            has_text = True
        elif c == "S" and has_text:
            end = _cut_start(classes, i)
            break
        elif c == "b" and not has_text:
            j = i
            while j < end and classes[j] == "b":
                j += 1
            rest = j
            while rest < end and classes[rest] in "eqh":
                rest += 1
            header_only = (
                all(classes[k] == "e" for k in range(j, rest)) or rest == end or _quotes_again(classes, rest)
            )
            drop_to = j if header_only or rest == end else rest
            if rest == end and any(classes[k] == "q" for k in range(j, rest)):
                drop_to = end  # nothing but quoted history
            for k in range(i, drop_to):
                keep[k] = False
                classes[k] = "e"
            i = drop_to
            continue
        elif c == "b" and has_text:
            if _is_inline_reply(classes, i):
                keep[i] = False
                classes[i] = "e"
            else:
                end = _cut_start(classes, i)
                break
        elif c == "h" and has_text:
            end = _cut_start(classes, i)
            break
        elif c == "h":
            keep[i] = False
            classes[i] = "e"
        i += 1
    # a delimiter line followed by a short block at the very end is a signature
    last_d = next((k for k in range(end - 1, -1, -1) if classes[k] in "dS"), None)
    if last_d is not None and any(classes[k] == "t" for k in range(last_d)):
        after = [k for k in range(last_d + 1, end) if classes[k] == "t"]
        if len(after) <= 4 and all(len(lines[k]) < 100 for k in after):
            end = _cut_start(classes, last_d)
    if any(classes[k] == "t" for k in range(end)):
        while end > 0 and classes[end - 1] in "eqdS":
            end -= 1
    end = _trim_signature_block(lines, classes, end)
    end = _trim_contact_paragraph(lines, classes, end)
    kept = [lines[k] for k in range(end) if keep[k]]
    removed = [lines[k] for k in range(len(lines)) if k >= end or not keep[k]]
    return kept, removed


def _prepare(text: str) -> tuple[str, str]:
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    if len(text) > MAX_TRIM_CHARS:
        cut = text.rfind("\n", 0, MAX_TRIM_CHARS)
        cut = cut if cut > 0 else MAX_TRIM_CHARS
        return text[:cut], text[cut:]
    return text, ""


def _finish(lines: list[str]) -> str:
    out = "\n".join(line.rstrip() for line in lines)
    return out.strip("\n").rstrip() if out.strip() else ""


def split_reply(text: str) -> tuple[str, str]:
    """Split a reply body into the new text and what was removed.

    Args:
        text: The plain-text body of a reply.

    Returns:
        ``(new_text, removed_text)``: the new text without quoted history, forwarded
        parts and signatures, and the removed lines, both stripped of surrounding
        blank lines.
    """
    if not text or not text.strip():
        return "", ""
    head, overflow = _prepare(text)
    lines = head.split("\n")
    kept, removed = _trim_lines(lines)
    removed_text = _finish(removed)
    if overflow:
        removed_text = (removed_text + "\n" + overflow.strip("\n")).strip("\n")
    return _finish(kept), removed_text


def extract_new_text(text: str, *, html: str | None = None) -> str:
    """Return the new text of a reply, without quoted history, forwards and signatures.

    Args:
        text: The plain-text body; may be empty when only HTML was sent.
        html: The HTML body, used when ``text`` is empty.

    Returns:
        The new text, stripped of surrounding blank lines ("" when nothing is new).
    """
    if (not text or not text.strip()) and html:
        text = html_to_text(html[: MAX_TRIM_CHARS * 5])
    return split_reply(text)[0]
