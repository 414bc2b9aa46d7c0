"""Intent on the honest holdout (tests/data/intent_holdout.jsonl) and the scoring behind it.

The holdout is never used for training: a test below checks that no holdout text is
among the packaged training examples. The floor is set from the measured figure with a
margin, so a regression fails while ordinary retraining noise does not.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from leadflow.exceptions import InvalidInput
from leadflow.reply.intent import fold, load_examples
from leadflow.reply.intent_eval import evaluate, format_report, load_holdout, score

DATA = Path(__file__).resolve().parents[2] / "data"
HOLDOUT = DATA / "intent_holdout.jsonl"
FRESH = DATA / "intent_holdout_fresh.jsonl"
CUSTOMER = DATA / "intent_holdout_customer.jsonl"
# Measured through analyze_reply: holdout 0.782 before this work and 0.893 after (its
# mistakes were looked at while tuning, so that figure is optimistic); the fresh set was
# written after tuning and scored once: 0.733 before, 0.817 after (60 replies, +-5 points).
# The customer set (customer/onboarding replies, non-absence auto-replies, sarcasm, mixed)
# was written before that work and scored 0.452 before it, 0.871 after; its misses were
# then looked at, so the figure is optimistic (62 replies, +-5 points).
HOLDOUT_FLOOR = 0.85
FRESH_FLOOR = 0.75
CUSTOMER_FLOOR = 0.8


def test_holdout_is_varied_and_unseen_by_training() -> None:
    items = load_holdout(HOLDOUT) + load_holdout(FRESH) + load_holdout(CUSTOMER)
    assert len(items) >= 290
    assert {"en", "es", "fr", "de", "pt", "it", "nl"} <= {i.lang for i in items}
    assert {"long", "terse", "quoted", "mixed", "sarcasm", "html", "typo"} <= {i.style for i in items}
    training = {fold(e.text).strip() for e in load_examples()}
    leaked = [i.text for i in items if fold(i.text).strip() in training]
    assert leaked == []


@pytest.mark.parametrize(
    ("path", "floor"), [(HOLDOUT, HOLDOUT_FLOOR), (FRESH, FRESH_FLOOR), (CUSTOMER, CUSTOMER_FLOOR)]
)
def test_holdout_accuracy_has_a_floor(path: Path, floor: float) -> None:
    report, _ = evaluate(load_holdout(path))
    print("\n" + format_report(report))
    assert report.accuracy >= floor


def test_score_counts_precision_recall_and_confusions() -> None:
    truth = ["interested", "interested", "question", "unsubscribe"]
    predicted = ["interested", "question", "question", "not_interested"]
    report = score(truth, predicted, [["lang:en"], ["lang:en"], ["lang:de"], ["lang:de"]])
    assert report.accuracy == pytest.approx(0.5)
    assert report.per_label["interested"].recall == pytest.approx(0.5)
    assert report.per_label["interested"].precision == pytest.approx(1.0)
    assert report.per_label["question"].precision == pytest.approx(0.5)
    assert report.per_label["unsubscribe"].f1 == 0.0
    assert report.per_label["not_interested"].support == 0
    assert ("interested", "question", 1) in report.confusions
    assert report.by_group == {"lang:de": 0.5, "lang:en": 0.5}


def test_score_rejects_unequal_lengths() -> None:
    with pytest.raises(ValueError, match="length"):
        score(["other"], [])


def test_bad_holdout_line_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "bad.jsonl"
    good = json.dumps({"text": "ok", "label": "other"})
    path.write_text(good + "\n" + json.dumps({"text": "x", "label": "maybe"}) + "\n", encoding="utf-8")
    with pytest.raises(InvalidInput, match=r"bad\.jsonl:2"):
        load_holdout(path)
