"""Scoring of reply parsing against the public evaluation sets kept outside the repo.

The sets live in ``../shared/eval`` (see its README): Discourse's trimming pairs,
Talon's client replies and flufl.bounce's bounce corpus. Nothing from them is copied
into the project; these functions read them in place and return figures:

- trimming, per set: ``items``, ``exact_match_rate`` (after stripping trailing
  whitespace on every line and at the end) and ``mean_similarity`` (difflib ratio);
- bounces: ``messages``, ``detected_rate``, ``recipient_precision``,
  ``recipient_recall`` and ``temporary_accuracy`` over the labelled messages.
"""

from __future__ import annotations

import difflib
import json
from collections.abc import Iterator
from pathlib import Path

from leadflow.exceptions import InvalidInput
from leadflow.reply.bounce import detect_bounce
from leadflow.reply.mime import parse_message
from leadflow.reply.trim import extract_new_text

__all__ = ["eval_bounces", "eval_trimming", "normalise", "trimming_cases"]

_TALON_DEFAULT = "Hello"


def normalise(text: str) -> str:
    """Normalise text for comparison: unify line ends, strip trailing whitespace."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    return "\n".join(line.rstrip() for line in lines).strip("\n").rstrip()


def _read(path: Path) -> str:
    return path.read_bytes().decode("utf-8", errors="replace")


def trimming_cases(eval_root: Path) -> Iterator[tuple[str, str, str, str]]:
    """Yield ``(set_name, case_name, new_text_found, new_text_expected)`` for every pair.

    Args:
        eval_root: The folder holding ``reply_trimming_discourse`` and
            ``reply_trimming_talon``.
    """
    discourse = eval_root / "reply_trimming_discourse" / "test"
    if (discourse / "emails").is_dir():
        for email_path in sorted((discourse / "emails").glob("*.txt")):
            expected_path = discourse / "trimmed" / email_path.name
            if expected_path.is_file():
                found = extract_new_text(_read(email_path))
                yield "reply_trimming_discourse", email_path.stem, found, _read(expected_path)
    talon = eval_root / "reply_trimming_talon" / "tests" / "fixtures" / "standard_replies"
    if talon.is_dir():
        for eml in sorted(talon.glob("*.eml")):
            expected_path = talon / f"{eml.stem}_reply_text"
            expected = _read(expected_path) if expected_path.is_file() else _TALON_DEFAULT
            msg = parse_message(eml.read_bytes())
            yield "reply_trimming_talon", eml.stem, extract_new_text(msg.text, html=msg.html), expected


def eval_trimming(eval_root: Path) -> dict[str, dict[str, float | int]]:
    """Score reply trimming on every trimming set found under ``eval_root``.

    Args:
        eval_root: The evaluation folder (e.g. ``../shared/eval``).

    Returns:
        Per set name: ``items``, ``exact_match_rate`` and ``mean_similarity``.

    Raises:
        InvalidInput: If ``eval_root`` holds no trimming set.
    """
    totals: dict[str, list[float]] = {}
    exact: dict[str, int] = {}
    for set_name, _case, found, expected in trimming_cases(eval_root):
        got, want = normalise(found), normalise(expected)
        totals.setdefault(set_name, []).append(difflib.SequenceMatcher(None, got, want).ratio())
        exact[set_name] = exact.get(set_name, 0) + (got == want)
    if not totals:
        raise InvalidInput(f"no trimming evaluation set under {eval_root}")
    return {
        name: {
            "items": len(ratios),
            "exact_match_rate": exact[name] / len(ratios),
            "mean_similarity": sum(ratios) / len(ratios),
        }
        for name, ratios in totals.items()
    }


def eval_bounces(eval_root: Path) -> dict[str, float | int]:
    """Score bounce detection on ``bounces_flufl`` under ``eval_root``.

    Every message in the set is a bounce, so ``detected_rate`` is the share detected.
    Precision and recall of failed recipients and the temporary/permanent accuracy are
    computed over the labelled messages (those in ``expected_failures.json``).

    Args:
        eval_root: The evaluation folder (e.g. ``../shared/eval``).

    Returns:
        ``messages``, ``detected_rate``, ``recipient_precision``, ``recipient_recall``
        and ``temporary_accuracy``.

    Raises:
        InvalidInput: If the bounce set is missing.
    """
    root = eval_root / "bounces_flufl"
    labels_path = root / "expected_failures.json"
    if not labels_path.is_file():
        raise InvalidInput(f"no bounce evaluation set under {eval_root}")
    labels = {row["file"]: row for row in json.loads(labels_path.read_text(encoding="utf-8"))}
    files = sorted((root / "data").glob("*.txt"))
    detected = true_pos = found_total = expected_total = temp_right = temp_total = 0
    for path in files:
        bounce = detect_bounce(parse_message(path.read_bytes()))
        detected += bounce is not None
        label = labels.get(path.name)
        if label is None:
            continue
        want = {addr.lower() for addr in label["failed_addresses"]}
        got = {addr.lower() for addr in bounce.recipients} if bounce else set()
        true_pos += len(want & got)
        found_total += len(got)
        expected_total += len(want)
        if want:
            temp_total += 1
            temp_right += bounce is not None and (bounce.kind == "soft") == bool(label["temporary"])
    return {
        "messages": len(files),
        "detected_rate": detected / len(files) if files else 0.0,
        "recipient_precision": true_pos / found_total if found_total else 0.0,
        "recipient_recall": true_pos / expected_total if expected_total else 0.0,
        "temporary_accuracy": temp_right / temp_total if temp_total else 0.0,
    }
