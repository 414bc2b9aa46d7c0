"""Score offline intent on a labelled set of replies: accuracy, per-label F1, confusions.

The project's honest figure comes from ``tests/data/intent_holdout.jsonl``: replies written
for leadflow in a different style from the training examples (whole mails with greetings,
signatures and quoted history, one-liners, sarcasm, typos, HTML remnants, six languages
besides English) and never used for training. Each line is
``{"text", "label", "lang", "style", "channel"?}``.

By default every reply goes through :func:`~leadflow.reply.analyze.analyze_reply`, the same
path the agents use (trimming, auto-reply detection, then intent), so a quoted "interested?"
under a "no thanks" is judged the way production would judge it.

Run it::

    .venv/bin/python -m leadflow.reply.intent_eval tests/data/intent_holdout.jsonl

Labelling convention for mixed replies (what the sales team must act on first):
an opt-out wins; then a named hand-over (referral) over "not the right person"; a concrete
meeting ask or accepted time is ``meeting_request``; an objection with a follow-up question
keeps the objection's label; a bare decline without a reason is ``not_interested``.

Customers (after a sale): happy is ``interested``, a neutral update ``other``, a how-to
``question``, a complaint ``objection_need`` (``objection_price`` about the bill), a
cancellation threat or request ``not_interested``. Automatic answers: an absence is
``out_of_office``, any other (ticket receipt, unmonitored inbox) ``other``.
"""

from __future__ import annotations

import json
import sys
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field, ValidationError

from leadflow.exceptions import InvalidInput
from leadflow.reply.intent import INTENT_LABELS, IntentLabel, classify_intent

__all__ = ["HoldoutItem", "IntentReport", "LabelScore", "evaluate", "format_report", "load_holdout", "score"]

# A fixed arrival time keeps time-dependent decisions (proposed times) reproducible.
_NOW = datetime(2025, 4, 10, 12, 0, tzinfo=UTC)


class HoldoutItem(BaseModel):
    """One labelled reply of an evaluation set."""

    text: str
    label: IntentLabel
    lang: str = "en"
    style: str = "plain"
    channel: Literal["email", "sms"] = "email"


class LabelScore(BaseModel):
    """Precision, recall and F1 of one label."""

    precision: float
    recall: float
    f1: float
    support: int


class IntentReport(BaseModel):
    """Figures for one evaluation run.

    Attributes:
        items: Number of replies scored.
        accuracy: Share labelled correctly.
        macro_f1: Mean F1 over the labels present in the set.
        per_label: Scores per label that occurs as truth or prediction.
        confusions: ``(truth, predicted, count)`` for every mistake, most frequent first.
        by_group: Accuracy per ``lang`` and per ``style``.
    """

    items: int
    accuracy: float
    macro_f1: float
    per_label: dict[str, LabelScore]
    confusions: list[tuple[str, str, int]] = Field(default_factory=list)
    by_group: dict[str, float] = Field(default_factory=dict)


def load_holdout(path: Path) -> list[HoldoutItem]:
    """Read a JSONL evaluation set.

    Raises:
        InvalidInput: A line is not JSON or not a valid item; the message names the line.
    """
    items: list[HoldoutItem] = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            items.append(HoldoutItem.model_validate(json.loads(line)))
        except (json.JSONDecodeError, ValidationError) as exc:
            raise InvalidInput(f"{path}:{number}: not a valid intent item: {exc}") from exc
    return items


def score(
    truth: Sequence[str], predicted: Sequence[str], groups: Sequence[Sequence[str]] = ()
) -> IntentReport:
    """Compare predicted labels with the truth.

    Args:
        truth: The expected label per item.
        predicted: The label given per item (same order).
        groups: Per item, the group names it belongs to (e.g. ``["lang:de", "style:terse"]``).
    """
    if len(truth) != len(predicted):
        raise ValueError("truth and predicted differ in length")
    pairs = Counter(zip(truth, predicted, strict=True))
    per_label: dict[str, LabelScore] = {}
    for label in INTENT_LABELS:
        tp = pairs[(label, label)]
        support = sum(n for (t, _), n in pairs.items() if t == label)
        given = sum(n for (_, p), n in pairs.items() if p == label)
        if not support and not given:
            continue
        precision = tp / given if given else 0.0
        recall = tp / support if support else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        per_label[label] = LabelScore(precision=precision, recall=recall, f1=f1, support=support)
    present = [s.f1 for s in per_label.values() if s.support]
    right: Counter[str] = Counter()
    seen: Counter[str] = Counter()
    for i, names in enumerate(groups):
        for name in names:
            seen[name] += 1
            right[name] += truth[i] == predicted[i]
    confusions = sorted(
        ((t, p, n) for (t, p), n in pairs.items() if t != p), key=lambda x: (-x[2], x[0], x[1])
    )
    return IntentReport(
        items=len(truth),
        accuracy=sum(t == p for t, p in zip(truth, predicted, strict=True)) / len(truth) if truth else 0.0,
        macro_f1=sum(present) / len(present) if present else 0.0,
        per_label=per_label,
        confusions=confusions,
        by_group={name: right[name] / seen[name] for name in sorted(seen)},
    )


def _through_analyze(item: HoldoutItem) -> str:
    from leadflow.reply.analyze import analyze_reply

    return analyze_reply(text=item.text, channel=item.channel, now=_NOW).intent


def _through_classifier(item: HoldoutItem) -> str:
    return classify_intent(item.text, channel=item.channel).label


def evaluate(
    items: Iterable[HoldoutItem], *, path: Literal["analyze", "classify"] = "analyze"
) -> tuple[IntentReport, list[tuple[HoldoutItem, str]]]:
    """Label every item and score the result.

    Args:
        items: The labelled replies.
        path: ``"analyze"`` runs the full :func:`analyze_reply` pipeline; ``"classify"``
            calls the classifier on the text as given.

    Returns:
        The report and, for inspection, every ``(item, predicted)`` pair.
    """
    predict: Callable[[HoldoutItem], str] = _through_analyze if path == "analyze" else _through_classifier
    done = [(item, predict(item)) for item in items]
    report = score(
        [item.label for item, _ in done],
        [got for _, got in done],
        [[f"lang:{item.lang}", f"style:{item.style}"] for item, _ in done],
    )
    return report, done


def format_report(report: IntentReport, *, top: int = 15) -> str:
    """The report as plain text: headline, per-label table, groups, top confusions."""
    lines = [f"items {report.items}  accuracy {report.accuracy:.3f}  macro-F1 {report.macro_f1:.3f}", ""]
    lines.append(f"{'label':<22}{'prec':>6}{'rec':>6}{'f1':>6}{'n':>5}")
    for label, s in report.per_label.items():
        lines.append(f"{label:<22}{s.precision:6.2f}{s.recall:6.2f}{s.f1:6.2f}{s.support:5d}")
    lines.append("")
    lines.append("accuracy by group: " + ", ".join(f"{k} {v:.2f}" for k, v in report.by_group.items()))
    if report.confusions:
        lines.append("")
        lines.append("most frequent confusions (truth -> predicted: count):")
        lines.extend(f"  {t} -> {p}: {n}" for t, p, n in report.confusions[:top])
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m leadflow.reply.intent_eval [PATH] [--classify] [--errors]``."""
    args = list(sys.argv[1:] if argv is None else argv)
    flags = {a for a in args if a.startswith("--")}
    paths = [a for a in args if not a.startswith("--")]
    path = Path(paths[0] if paths else "tests/data/intent_holdout.jsonl")
    if not path.is_file():
        print(f"no evaluation set at {path}", file=sys.stderr)
        return 2
    report, done = evaluate(load_holdout(path), path="classify" if "--classify" in flags else "analyze")
    print(format_report(report))
    if "--errors" in flags:
        print("\nmistakes:")
        for item, got in done:
            if got != item.label:
                print(f"  [{item.label} -> {got}] ({item.lang}/{item.style}) {item.text[:110]!r}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
