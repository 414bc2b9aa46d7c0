"""The input limits every entry point enforces, and the checker that enforces them.

Free-form JSON reaches leadflow from outside in a few places: a lead's ``attributes``, the body
of every API request, event payloads built from a webhook or a reply. Whatever is accepted is
stored and read back on every worker round, so it must stay well inside what the store's JSON
parser and serializer can handle (pydantic's parser stops at about 200 levels, its serializer at
about 250; SQLite and PostgreSQL keep UTF-8 text, which has no lone surrogates, and PostgreSQL
text has no NUL). One frozen :class:`JsonLimits` says what that is, :data:`DEFAULT` is the one
in use, and :func:`check_json` walks a value against it, iteratively (a hostile value cannot
exhaust the interpreter's stack), raising ``InvalidInput`` whose ``details`` name the path of the
first problem (``attributes.a.a.a``, ``tags[3]``)::

    check_json(body["attributes"], path="attributes")

:func:`check_text` is the same rule for one string (a reply body, a lead's name).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any

from leadflow.exceptions import InvalidInput

__all__ = [
    "DEFAULT",
    "MAX_HEADER",
    "MAX_MESSAGE",
    "MAX_MIME_DEPTH",
    "MAX_REPLY_TEXT",
    "READ_BACK",
    "JsonLimits",
    "check_json",
    "check_reply",
    "check_text",
    "json_problem",
    "mime_depth",
    "read_back",
    "shorten_path",
    "storable",
    "text_problem",
]


@dataclass(frozen=True)
class JsonLimits:
    """Bounds on one JSON value from outside.

    Attributes:
        max_depth: nesting of objects and arrays (the value itself is depth 1).
        max_string: characters in one string.
        max_array: items in one array.
        max_keys: keys in one object.
        max_key: characters in one object key.
        max_nodes: values in the whole document (objects, arrays and scalars together).
        max_int: the largest magnitude of an integer (int64, what SQL columns and most JSON
            readers keep exactly).
    """

    max_depth: int = 32
    max_string: int = 1_000_000
    max_array: int = 10_000
    max_keys: int = 1_000
    max_key: int = 256
    max_nodes: int = 100_000
    max_int: int = 2**63 - 1


DEFAULT = JsonLimits()
"""The limits every entry point uses (API bodies, lead attributes, CSV, inbound mail, events)."""

READ_BACK: dict[str, Any] = {"leadflow_read_back": True}
"""Validation context of a document the store wrote (``model_validate(doc, context=READ_BACK)``):
the limits held when it was accepted, so models skip checking them again on every read (the hot
path), and a record accepted under older limits still reads back."""


def read_back(context: Any) -> bool:
    """Whether a validation ``context`` is :data:`READ_BACK`'s."""
    return isinstance(context, dict) and bool(context.get("leadflow_read_back"))

# lone surrogates cannot be written as UTF-8; NUL cannot be kept in PostgreSQL text
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


def text_problem(value: str, *, max_length: int | None = None) -> str | None:
    """Why ``value`` cannot be accepted as text (too long, NUL, a lone surrogate), or ``None``."""
    if max_length is not None and len(value) > max_length:
        return f"string of {len(value)} characters is over the {max_length}-character limit"
    bad = _UNSTORABLE.search(value)
    if bad is not None:
        what = "a NUL character" if bad.group() == "\x00" else "a lone surrogate (not valid UTF-8)"
        return f"string holds {what} at position {bad.start()}"
    return None


def check_text(value: str, *, field: str, max_length: int | None = None) -> str:
    """``value`` if :func:`text_problem` finds nothing; ``InvalidInput`` naming ``field`` otherwise."""
    problem = text_problem(value, max_length=max_length)
    if problem is not None:
        raise InvalidInput(f"{field}: {problem}", details=[_detail(field, problem)])
    return value


def shorten_path(path: str, width: int = 160) -> str:
    """``path`` cut to ``width`` characters in the middle, for a message (keys may be long)."""
    if len(path) <= width:
        return path
    half = (width - 1) // 2
    return f"{path[:half]}…{path[-half:]}"


def storable(value: str) -> str:
    """``value`` with NUL and lone surrogates written as escapes (``\\udfff``): for a message or a
    path that quotes input, so the message itself can be stored and sent as UTF-8."""
    if _UNSTORABLE.search(value) is None:
        return value
    return _UNSTORABLE.sub(lambda m: m.group().encode("unicode_escape").decode("ascii"), value)


def _join(path: str, key: str | int) -> str:
    if isinstance(key, int):
        return f"{path}[{key}]"
    key = storable(key)
    return f"{path}.{key}" if path else key


def json_problem(value: Any, *, path: str = "", limits: JsonLimits = DEFAULT) -> tuple[str, str] | None:
    """The first ``(path, problem)`` of ``value`` against ``limits``, or ``None`` when it is fine.

    Only JSON values pass: dicts with string keys, lists (tuples too), strings, finite floats,
    ints within ``max_int``, booleans and ``None``. Walks with an explicit stack, never recursion;
    a value's path is kept as a link to its parent's and spelled out only for a problem (every
    lead read validates its attributes again: the walk is on the hot path).
    """
    stack: list[tuple[Any, _Link, int]] = [(value, None, 1)]
    nodes = 0
    while stack:
        item, where, depth = stack.pop()
        nodes += 1
        if nodes > limits.max_nodes:
            return _spell(path, where), f"more than {limits.max_nodes} values in one document"
        if item is None:
            continue
        kind = type(item)
        if kind not in _KINDS:  # a subclass (an OrderedDict, an IntEnum): checked as its JSON kind
            kind = next((k for k in _KINDS if isinstance(item, k)), object)
        if kind is bool:
            continue
        if kind is str:
            problem = text_problem(item, max_length=limits.max_string)
            if problem is not None:
                return _spell(path, where), problem
        elif kind is dict:
            if depth > limits.max_depth:
                return _spell(path, where), f"nested more than {limits.max_depth} levels deep"
            if len(item) > limits.max_keys:
                return _spell(path, where), f"object has {len(item)} keys, over the {limits.max_keys}-key limit"
            for key, sub in item.items():
                if type(key) is not str:
                    return _spell(path, where), f"object key {key!r} is not a string"
                key_problem = text_problem(key, max_length=limits.max_key)
                if key_problem is not None:
                    return _spell(path, (where, key[:40])), f"key: {key_problem}"
                stack.append((sub, (where, key), depth + 1))
        elif kind is list or kind is tuple:
            if depth > limits.max_depth:
                return _spell(path, where), f"nested more than {limits.max_depth} levels deep"
            if len(item) > limits.max_array:
                return _spell(path, where), f"array has {len(item)} items, over the {limits.max_array}-item limit"
            stack.extend((sub, (where, i), depth + 1) for i, sub in enumerate(item))
        elif kind is int:
            if abs(item) > limits.max_int:
                return _spell(path, where), f"integer out of range (at most {limits.max_int} in magnitude)"
        elif kind is float:
            if not math.isfinite(item):
                return _spell(path, where), f"number {item} is not finite (NaN and Infinity are not JSON)"
        else:
            return _spell(path, where), f"{type(item).__name__} is not a JSON value"
    return None


_KINDS = (bool, str, dict, list, tuple, int, float)  # bool before int: a bool is an int
_Link = tuple[Any, str | int] | None
"""A value's place: ``(its parent's link, its key or index)``; ``None`` for the root."""


def _spell(root: str, link: _Link) -> str:
    """``attributes.a[3].b`` from a link chain (built only when a problem is reported)."""
    keys: list[str | int] = []
    while link is not None:
        link, key = link
        keys.append(key)
    out = root
    for key in reversed(keys):
        out = _join(out, key)
    return out or "(value)"


def check_json(value: Any, *, path: str = "", limits: JsonLimits = DEFAULT) -> Any:
    """``value`` if it keeps within ``limits``; ``InvalidInput`` with the path of the problem otherwise."""
    found = json_problem(value, path=path, limits=limits)
    if found is not None:
        where, problem = shorten_path(found[0]), found[1]
        raise InvalidInput(f"{where}: {problem}", details=[_detail(where, problem)])
    return value


MAX_MESSAGE = 1_000_000
"""Characters of one raw inbound message (RFC 822 text) leadflow records."""
MAX_REPLY_TEXT = 200_000
"""Characters of one reply's text."""
MAX_HEADER = 1_000
"""Characters of one header-like field of a reply (message id, sender, subject)."""
MAX_MIME_DEPTH = 16
"""Multipart levels of one raw message (mail clients nest three or four)."""

_BOUNDARY = re.compile(r"""boundary\s*=\s*"?([^";\s]+)""", re.IGNORECASE)


def mime_depth(raw: str) -> int:
    """How deep the multipart parts of ``raw`` nest, read in one linear pass over its lines
    (no parser: it is what decides whether the message is parsed at all)."""
    open_: list[str] = []
    deepest = 0
    for line in raw.splitlines():
        found = _BOUNDARY.search(line)
        if found is not None:
            open_.append(found.group(1))
            deepest = max(deepest, len(open_))
        elif open_ and line.strip() == f"--{open_[-1]}--":
            open_.pop()
    return deepest


def check_reply(*, text: str | None, raw: str | None, fields: dict[str, str | None]) -> None:
    """An inbound reply within the limits: ``text`` and ``raw`` sizes, ``raw``'s MIME nesting, and
    each header-like field in ``fields``; ``InvalidInput`` naming the first problem otherwise."""
    problems: list[tuple[str, str]] = []
    for name, value in fields.items():
        problem = None if value is None else text_problem(value, max_length=MAX_HEADER)
        if problem is not None:
            problems.append((name, problem))
    if text is not None and (problem := text_problem(text, max_length=MAX_REPLY_TEXT)) is not None:
        problems.append(("text", problem))
    if raw is not None:
        problem = text_problem(raw, max_length=MAX_MESSAGE)
        if problem is None and (depth := mime_depth(raw)) > MAX_MIME_DEPTH:
            problem = f"MIME parts nested {depth} levels deep, over the {MAX_MIME_DEPTH}-level limit"
        if problem is not None:
            problems.append(("raw", problem))
    if problems:
        raise InvalidInput("; ".join(f"{f}: {p}" for f, p in problems), details=[_detail(f, p) for f, p in problems])


def _detail(field: str, message: str) -> dict[str, object]:
    return {"field": field, "message": message, "type": "json_limit"}
