"""Reading a campaign file: YAML (or a JSON document) to a :class:`CampaignFile`, every error
naming its key path and line.

The YAML is composed to a node tree first, so each key path keeps the line it was written on;
pydantic's error locations and :func:`~leadflow.campaigns.spec.problems` paths are then mapped
back to the nearest line (a missing key points at its parent's). Keys are read as written (a
bare ``on:`` stays ``"on"``, not YAML 1.1's ``True``), and a key given twice is an error.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import yaml
from pydantic import ValidationError

from leadflow.campaigns.spec import CampaignFile, problems
from leadflow.exceptions import InvalidInput

Path_ = tuple[str | int, ...]


class CampaignFileError(InvalidInput):
    """A campaign file that cannot be applied; ``details`` has one entry per problem
    (``field``: the dotted key path, ``line``: its line or ``None``, ``message``)."""


def spell(path: Path_) -> str:
    """``senders[1].address`` for ``("senders", 1, "address")``."""
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "(the file)"


def _build(node: yaml.Node, path: Path_, lines: dict[Path_, int], loader: yaml.SafeLoader, dupes: list[Path_]) -> Any:
    if isinstance(node, yaml.MappingNode):
        out: dict[str, Any] = {}
        for key_node, value_node in node.value:
            key = str(key_node.value) if isinstance(key_node, yaml.ScalarNode) else str(loader.construct_object(key_node))
            sub = (*path, key)
            if key in out:
                dupes.append(sub)
            lines[sub] = key_node.start_mark.line + 1
            out[key] = _build(value_node, sub, lines, loader, dupes)
        return out
    if isinstance(node, yaml.SequenceNode):
        items = []
        for i, item in enumerate(node.value):
            lines[(*path, i)] = item.start_mark.line + 1
            items.append(_build(item, (*path, i), lines, loader, dupes))
        return items
    return loader.construct_object(node, deep=True)


def read_yaml(text: str, *, origin: str = "campaign file") -> tuple[Any, dict[Path_, int]]:
    """The document and the line of each key path (1-based)."""
    loader = yaml.SafeLoader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            raise CampaignFileError(f"{origin}: empty file", details=[{"field": "(the file)", "line": None, "message": "empty"}])
        lines: dict[Path_, int] = {(): node.start_mark.line + 1}
        dupes: list[Path_] = []
        data = _build(node, (), lines, loader, dupes)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        message = f"not valid YAML: {getattr(exc, 'problem', None) or exc}"
        raise CampaignFileError(
            f"{origin}:{line or '?'}: {message}", details=[{"field": "(the file)", "line": line, "message": message}]
        ) from None
    finally:
        loader.dispose()
    if dupes:
        details: list[dict[str, object]] = [
            {"field": spell(p), "line": lines.get(p), "message": "key given twice"} for p in dupes
        ]
        raise CampaignFileError(_summary(origin, details), details=details)
    return data, lines


def _line(path: Path_, lines: Mapping[Path_, int]) -> int | None:
    for n in range(len(path), -1, -1):
        if path[:n] in lines:
            return lines[path[:n]]
    return None


def _summary(origin: str, details: list[dict[str, object]]) -> str:
    rows = [f"{origin}:{d['line'] or '?'}: {d['field']}: {d['message']}" for d in details]
    return f"{len(rows)} problem(s) in {origin}:\n" + "\n".join(rows)


def validate(data: Any, lines: Mapping[Path_, int] | None = None, *, origin: str = "campaign file") -> CampaignFile:
    """The document as a :class:`CampaignFile`, or :class:`CampaignFileError` with every problem."""
    lines = lines or {}
    if not isinstance(data, dict):
        details: list[dict[str, object]] = [
            {"field": "(the file)", "line": _line((), lines), "message": "a campaign file is a mapping of keys (name:, offer:, ...)"}
        ]
        raise CampaignFileError(_summary(origin, details), details=details)
    try:
        spec = CampaignFile.model_validate(data)
    except ValidationError as exc:
        details = []
        for e in exc.errors(include_url=False):
            loc: Path_ = tuple(p for p in e["loc"] if isinstance(p, str | int))
            msg = str(e["msg"]).removeprefix("Value error, ")
            if e["type"] == "extra_forbidden":
                msg = "unknown key (a typo?)"
            details.append({"field": spell(loc), "line": _line(loc, lines), "message": msg})
        raise CampaignFileError(_summary(origin, details), details=details) from None
    found = problems(spec)
    if found:
        details = [{"field": spell(p), "line": _line(p, lines), "message": m} for p, m in found]
        raise CampaignFileError(_summary(origin, details), details=details)
    return spec


def load_text(text: str, *, origin: str = "campaign file") -> CampaignFile:
    """A campaign file's text (YAML; JSON is YAML too) as a validated :class:`CampaignFile`."""
    data, lines = read_yaml(text, origin=origin)
    return validate(data, lines, origin=origin)
