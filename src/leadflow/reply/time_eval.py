"""Score :func:`~leadflow.reply.times.resolve_datetime_expressions` on the Recognizers set.

The set (``datetime_recognizers/DateTimeModel.json`` under the shared eval folder, MIT,
from Microsoft Recognizers-Text) is read in place, never copied. For each ``TypeName``
the score is the share of sentences holding an expected result of that type for which
every such result is matched: one of our expressions has the same resolved value, or the
same start (and end, for ranges), as one of the expected readings. Results the reference
itself cannot resolve (no values, or "not resolved") are skipped.
"""

from __future__ import annotations

import json
from collections import defaultdict
from datetime import datetime
from pathlib import Path
from typing import Any

from leadflow.reply.times import resolve_datetime_expressions

DATASET = Path("datetime_recognizers") / "DateTimeModel.json"


def _expected(result: dict[str, Any]) -> list[tuple[str | None, str | None, str | None]]:
    values = (result.get("Resolution") or {}).get("values") or []
    out: list[tuple[str | None, str | None, str | None]] = []
    for v in values:
        if v.get("value") == "not resolved":
            continue
        if "value" in v:
            out.append((v["value"], None, None))
        elif "start" in v or "end" in v:
            out.append((None, v.get("start"), v.get("end")))
    return out


def _ours(found: list[dict[str, Any]]) -> set[tuple[str | None, str | None, str | None]]:
    got: set[tuple[str | None, str | None, str | None]] = set()
    for item in found:
        for v in item["values"]:
            got.add((v.get("value"), v.get("start"), v.get("end")))
    return got


def eval_datetime(eval_root: Path) -> dict[str, dict[str, float | int]]:
    """Per-``TypeName`` accuracy of date/time resolution on the Recognizers sentences.

    Args:
        eval_root: The shared eval folder (the one holding ``datetime_recognizers/``).

    Returns:
        ``{type_name: {"sentences": n, "matched": k, "accuracy": k / n}}`` plus an ``"all"``
        entry over every sentence with a resolvable expected result.
    """
    items = json.loads((eval_root / DATASET).read_text(encoding="utf-8-sig"))
    totals: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for item in items:
        ref_raw = (item.get("Context") or {}).get("ReferenceDateTime")
        reference = datetime.fromisoformat(ref_raw) if ref_raw else datetime.now().replace(microsecond=0)
        got = _ours(resolve_datetime_expressions(item["Input"], reference))
        by_type: dict[str, bool] = {}
        for result in item.get("Results", []):
            kind = str(result.get("TypeName") or result.get("Typename") or "").removeprefix("datetimeV2.")
            expected = _expected(result)
            if not kind or not expected:
                continue
            hit = any(e in got for e in expected)
            by_type[kind] = by_type.get(kind, True) and hit
        for kind, ok in by_type.items():
            totals[kind][0] += 1
            totals[kind][1] += int(ok)
        if by_type:
            totals["all"][0] += 1
            totals["all"][1] += int(all(by_type.values()))
    return {
        kind: {"sentences": n, "matched": k, "accuracy": round(k / n, 4) if n else 0.0}
        for kind, (n, k) in sorted(totals.items())
    }
