"""Intent of a reply, offline: a small naive Bayes model plus high-precision rules.

The model is trained on first use (about a second) from the project's own examples in
``reply/data/intent_examples.jsonl`` (replies written for leadflow in English, German,
French, Spanish, Portuguese, Dutch and Italian). Features (``_intent_features``) are taken
from the reply's core, without greeting, sign-off or HTML: accent-folded words, word
pairs, in-word character n-grams, cross-lingual concept cues, negation scope and the
clause after "but", so unseen spellings, typos and languages still share evidence.

Rules (``_intent_rules``) run before the model and win when they fire, because some
intents must never be missed or guessed: an opt-out, a hand-over to a named colleague,
"I'm not the right person", and text that tries to instruct the system (prompt
injection), which is treated as data and labelled ``other`` or ``question``.

Confidences are tempered softmax scores whose temperature was chosen on cross-validated
training data so that they track accuracy; below :data:`LOW_CONFIDENCE` a label is a
guess, and the LLM mode (or a human) should decide.

Example::

    >>> classify_intent("Not interested, thanks.").label
    'not_interested'
"""

from __future__ import annotations

import json
import math
import re
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from typing import Literal, get_args

from pydantic import BaseModel, Field

from leadflow.reply import _intent_rules as rules
from leadflow.reply._intent_features import core_text, features, features_of_core, fold
from leadflow.reply.referral import Referral, extract_referral

IntentLabel = Literal[
    "interested",
    "meeting_request",
    "question",
    "objection_price",
    "objection_timing",
    "objection_competitor",
    "objection_need",
    "referral",
    "wrong_person",
    "not_interested",
    "unsubscribe",
    "out_of_office",
    "bounce",
    "other",
]
INTENT_LABELS: tuple[IntentLabel, ...] = get_args(IntentLabel)

# Below this top score the model is guessing (about 3 in 10 right in cross-validation on
# the training examples), so the reply is labelled ``other``: nothing is acted on, and the
# LLM mode or a person decides. Chosen on cross-validated training data, not the holdout.
LOW_CONFIDENCE = 0.4


class Intent(BaseModel):
    """What a reply wants, with how sure we are.

    Attributes:
        label: One of :data:`INTENT_LABELS`.
        confidence: Probability-like score of ``label`` in [0, 1].
        scores: Score per label (sums to about 1); useful for thresholds and review.
        rule: Name of the rule that decided, or ``None`` when the model did.
    """

    label: IntentLabel
    confidence: float = Field(ge=0.0, le=1.0)
    scores: dict[str, float] = Field(default_factory=dict)
    rule: str | None = None


class Example(BaseModel):
    """One labelled training reply."""

    text: str
    label: IntentLabel
    lang: str = "en"


def load_examples() -> list[Example]:
    """Read the packaged training examples."""
    data = resources.files("leadflow.reply").joinpath("data/intent_examples.jsonl").read_text("utf-8")
    return [Example.model_validate(json.loads(line)) for line in data.splitlines() if line.strip()]


# ---------------------------------------------------------------------------------- model


@dataclass
class NaiveBayes:
    """Multinomial naive Bayes over binary-ish (log-scaled) feature counts.

    Attributes:
        alpha: Additive smoothing.
        temperature: Divides the joint log-likelihoods before the softmax; naive Bayes is
            over-confident because n-gram features are far from independent.
    """

    alpha: float = 0.5
    temperature: float = 8.0
    labels: list[str] = field(default_factory=list)
    log_prior: dict[str, float] = field(default_factory=dict)
    log_lik: dict[str, dict[str, float]] = field(default_factory=dict)
    log_unseen: dict[str, float] = field(default_factory=dict)

    def fit(self, texts: Sequence[str], labels: Sequence[str]) -> NaiveBayes:
        """Train on parallel sequences of texts and labels; returns ``self``."""
        counts: dict[str, Counter[str]] = {}
        docs = Counter(labels)
        vocab: set[str] = set()
        for text, label in zip(texts, labels, strict=True):
            feats = {k: 1.0 + math.log(v) for k, v in features(text).items()}
            bucket = counts.setdefault(label, Counter())
            for k, v in feats.items():
                bucket[k] += v  # type: ignore[assignment]
            vocab.update(feats)
        self.labels = sorted(docs)
        n_docs = sum(docs.values())
        size = len(vocab) + 1
        for label in self.labels:
            total = sum(counts[label].values()) + self.alpha * size
            self.log_prior[label] = math.log(docs[label] / n_docs)
            self.log_lik[label] = {k: math.log((v + self.alpha) / total) for k, v in counts[label].items()}
            self.log_unseen[label] = math.log(self.alpha / total)
        self._vocab = vocab
        self._by_feature: dict[str, tuple[float, ...]] | None = None
        return self

    def _table(self) -> dict[str, tuple[float, ...]]:
        """Each known feature's log-likelihood under every label, in ``labels`` order."""
        table = self._by_feature
        if table is None:
            table = {
                k: tuple(self.log_lik[label].get(k, self.log_unseen[label]) for label in self.labels)
                for k in self._vocab
            }
            self._by_feature = table
        return table

    def predict_scores(self, text: str) -> dict[str, float]:
        """Posterior-like scores per label (softmax of tempered log-likelihoods)."""
        return self.scores_of(features(text))

    def scores_of(self, counts: Counter[str]) -> dict[str, float]:
        """:meth:`predict_scores` for the features of a text, already computed."""
        table = self._table()
        # Each known feature's row of log-likelihoods, times its weight 1 + log(count); a
        # count of 1 weighs exactly 1.0, and its row is taken as it is (x * 1.0 == x).
        rows = [
            table[k] if v == 1 else tuple((1.0 + math.log(v)) * x for x in table[k])
            for k, v in counts.items()
            if k in table
        ]
        # one column per label, summed in feature order as a loop over labels and features
        # would, so the scores are exactly the same
        columns = zip(*rows, strict=True) if rows else ([()] * len(self.labels))
        joint: dict[str, float] = {
            label: self.log_prior[label] + sum(column)
            for label, column in zip(self.labels, columns, strict=True)
        }
        top = max(joint.values())
        exp = {k: math.exp((v - top) / self.temperature) for k, v in joint.items()}
        z = sum(exp.values())
        return {k: v / z for k, v in exp.items()}


def train(examples: Iterable[Example]) -> NaiveBayes:
    """Train a model on ``examples`` (the held-out test trains on a subset)."""
    items = list(examples)
    return NaiveBayes().fit([e.text for e in items], [e.label for e in items])


@cache
def default_model() -> NaiveBayes:
    """The model trained on every packaged example, built once per process."""
    return train(load_examples())


def _ruled(label: IntentLabel, confidence: float, rule: str, base: dict[str, float]) -> Intent:
    rest = 1.0 - confidence
    others = {k: v for k, v in base.items() if k != label}
    total = sum(others.values()) or 1.0
    scores = {k: rest * v / total for k, v in others.items()}
    scores[label] = confidence
    return Intent(label=label, confidence=confidence, scores=scores, rule=rule)


def classify_intent(text: str, *, channel: str = "email", model: NaiveBayes | None = None) -> Intent:
    """Classify the new text of a reply.

    Args:
        text: The reply's own words (quotes and signatures already trimmed).
        channel: ``"email"`` or ``"sms"``; on SMS a bare "STOP", "END" or "CANCEL" opts out.
        model: A trained model; defaults to :func:`default_model`.

    Returns:
        The :class:`Intent`, with ``rule`` set when a rule decided.
    """
    return _classify(text, channel, model, extract_referral)


def classify_intent_with(text: str, *, referral: Referral | None, channel: str = "email") -> Intent:
    """:func:`classify_intent` with the default model, for a caller that already holds
    ``referral = extract_referral(text)`` (the referral rule reads it instead of searching again)."""
    return _classify(text, channel, None, lambda _: referral)


_WORD_CHAR = re.compile(r"\w")


def _classify(
    text: str, channel: str, model: NaiveBayes | None, find_referral: Callable[[str], Referral | None]
) -> Intent:
    core = core_text(text)
    folded_core = fold(core)
    folded = folded_core.strip()
    if not folded or not _WORD_CHAR.search(folded):
        return Intent(label="other", confidence=0.5, scores={"other": 0.5}, rule="empty")
    model = model or default_model()
    scores = model.scores_of(features_of_core(core, folded_core))
    if rules.is_unsubscribe(folded, channel):
        return _ruled("unsubscribe", 0.97, "unsubscribe", scores)
    if rules.looks_like_injection_folded(fold(text)):
        best: IntentLabel = "question" if scores.get("question", 0.0) > scores.get("other", 0.0) else "other"
        return _ruled(best, 0.8, "instructions_as_data", scores)
    if rules.is_acknowledgement(folded):
        return _ruled("other", 0.7, "acknowledgement", scores)
    if not rules.is_out_of_office(folded):
        # "For urgent matters contact James" in an absence notice is not a hand-over.
        if find_referral(text) is not None:
            return _ruled("referral", 0.9, "referral", scores)
        if rules.is_wrong_person(folded):
            if rules.is_handover(folded):
                return _ruled("referral", 0.85, "handover", scores)
            return _ruled("wrong_person", 0.9, "wrong_person", scores)
    label = max(scores, key=lambda k: scores[k])
    if scores[label] < LOW_CONFIDENCE:
        # Abstain: the best guess stays visible in ``scores``.
        return Intent(label="other", confidence=round(scores.get("other", 0.0), 4), scores=scores)
    return Intent(label=label, confidence=round(scores[label], 4), scores=scores)


def looks_like_injection(text: str) -> bool:
    """Whether ``text`` tries to give instructions to the system reading it."""
    return rules.looks_like_injection_folded(fold(text))
