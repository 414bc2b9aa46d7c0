"""Intent of a reply, offline: a small naive Bayes model plus high-precision rules.

The model is trained on first use from the project's own examples in
``reply/data/intent_examples.jsonl`` (short replies written for leadflow in English,
German, French, Spanish, Portuguese, Dutch and Italian). Features are accent-folded word
unigrams and bigrams plus character n-grams inside words, so unseen spellings, typos and
inflections still share evidence with the training text.

Rules run before the model and win when they fire, because some intents must never be
missed or guessed: an opt-out ("unsubscribe", "remove me", SMS "STOP"), a hand-over to a
named colleague, "I'm not the right person", and text that tries to instruct the system
(prompt injection), which is treated as data and labelled ``other``.

Example::

    >>> classify_intent("Not interested, thanks.").label
    'not_interested'
"""

from __future__ import annotations

import itertools
import json
import math
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from typing import Literal, get_args

from pydantic import BaseModel, Field

from leadflow.reply.referral import extract_referral

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


# ---------------------------------------------------------------------------------- features


def fold(text: str) -> str:
    """Lower-case, strip accents and normalise apostrophes so variants share features."""
    text = unicodedata.normalize("NFKD", text.casefold())
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    return text.replace("\u2019", "'").replace("ß", "ss")


_WORD = re.compile(r"[a-z0-9]+(?:'[a-z]+)?")

# Cross-lingual concept cues (accent-folded word starts, kept in data/intent_concepts.json).
# They let a German "zu teuer" and an Italian "troppo costoso" share evidence with "too
# expensive" even when the training text for that language never used those exact words.


def _load_concepts() -> dict[str, list[str]]:
    raw = resources.files("leadflow.reply").joinpath("data/intent_concepts.json").read_text("utf-8")
    concepts: dict[str, list[str]] = json.loads(raw)
    return concepts


_CONCEPT_RES = {
    name: re.compile(r"\b(?:" + "|".join(re.escape(c) for c in cues) + ")")
    for name, cues in _load_concepts().items()
}
_CONCEPT_WEIGHT = 20


def features(text: str) -> Counter[str]:
    """Sparse features of ``text``: words, word pairs and in-word character n-grams."""
    folded = fold(text)
    words = _WORD.findall(folded)
    feats: Counter[str] = Counter()
    spaced = " " + " ".join(words) + " "
    for name, pattern in _CONCEPT_RES.items():
        if pattern.search(folded) or pattern.search(spaced):
            feats["k:" + name] += _CONCEPT_WEIGHT
    for w in words:
        feats["w:" + w] += 1
        padded = f"<{w}>"
        for n in (3, 4, 5):
            for i in range(len(padded) - n + 1):
                feats["c:" + padded[i : i + n]] += 1
    for a, b in itertools.pairwise(words):
        feats[f"b:{a}_{b}"] += 1
    if "?" in text:
        feats["p:?"] += 1
    if len(words) <= 3:
        feats["len:short"] += 1
    return feats


# ---------------------------------------------------------------------------------- model


@dataclass
class NaiveBayes:
    """Multinomial naive Bayes over binary-ish (log-scaled) feature counts.

    Attributes:
        alpha: Additive smoothing.
        temperature: Divides the joint log-likelihoods before the softmax; naive Bayes is
            over-confident because n-gram features are far from independent.
    """

    alpha: float = 3.0
    temperature: float = 4.0
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
        return self

    def predict_scores(self, text: str) -> dict[str, float]:
        """Posterior-like scores per label (softmax of tempered log-likelihoods)."""
        feats = {k: 1.0 + math.log(v) for k, v in features(text).items() if k in self._vocab}
        joint: dict[str, float] = {}
        for label in self.labels:
            lik, unseen = self.log_lik[label], self.log_unseen[label]
            joint[label] = self.log_prior[label] + sum(w * lik.get(k, unseen) for k, w in feats.items())
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


# ---------------------------------------------------------------------------------- rules

_SMS_STOP = {"stop", "stopall", "unsubscribe", "cancel", "end", "quit", "optout", "opt out", "arret", "stopp"}

_UNSUBSCRIBE = re.compile(
    r"\b(unsubscri\w*|unsub\b|opt(?:ing)?[- ]?out|remove (?:me|my (?:e-?mail|address|details|name))"
    r"|take (?:me|my (?:e-?mail|address|name)) off|stop (?:e-?mailing|emailing|contacting|sending|messaging|writing)"
    r"|(?:do not|don'?t|never) (?:e-?mail|contact|message|write to) me"
    r"|(?:delete|erase) my (?:data|details|contact|information|email)"
    r"|off (?:your|ur) (?:list|mailing list)|cease all communication"
    # German, French, Spanish, Portuguese, Dutch, Italian
    r"|abmelden|austragen|aus (?:ihrem|deinem|dem) verteiler|keine (?:weiteren )?(?:e-?mails|nachrichten) mehr"
    r"|nicht mehr kontaktier|desinscri|desabonn|retirer de (?:votre|ta|vos) liste|ne me contactez plus"
    r"|dar(?:me|se)? de baja|dame de baja|no me (?:envies|envie|mandes|escribas|contactes) mas"
    r"|descadastr|cancelar (?:a )?inscricao|remova da (?:sua )?lista|me remova|nao me (?:envie|mande) mais"
    r"|afmelden|uitschrijven|van (?:je|jullie|uw) (?:mailing)?lijst|geen (?:e-?mails|mails|berichten) meer"
    r"|disiscriv|cancellatemi|cancellami|toglietemi|non (?:scrivetemi|scrivermi|contattatemi) piu)",
)

_INJECTION = re.compile(
    r"\b(ignore|disregard|forget|override)\b[^.\n]{0,40}\b(instructions?|prompts?|rules|above)\b"
    r"|\bsystem prompt\b|^\s*system\s*:|\byou are now\b|\bnew instructions\b|\bact as\b[^.\n]{0,30}\b(admin|assistant|ai)\b"
    r"|\bignorier\w*\b[^.\n]{0,40}\banweisung|\bignore[sz]?\b[^.\n]{0,40}\binstructions\b|\bignora\w*\b[^.\n]{0,40}\binstruc",
    re.MULTILINE,
)

_WRONG_PERSON = re.compile(
    r"\b(not the (?:right|correct|best|appropriate) (?:person|contact)|wrong (?:person|contact)"
    r"|no longer (?:with|at|work)|(?:left|retired from) the company|not my (?:area|department|role|responsibility)"
    r"|not (?:the )?(?:decision[- ]maker|responsible for)|nicht (?:mehr )?zustandig|falsche[rn]? ansprechpartner"
    r"|nicht mehr (?:bei|fur)|pas la bonne personne|ne travaille plus|no soy la persona|ya no trabajo"
    r"|nao sou a pessoa|nao trabalho mais|niet de juiste persoon|werk (?:hier )?niet meer"
    r"|non sono la persona giusta|non lavoro piu)",
)


_ACK_ONLY = re.compile(
    r"^(?:(?:many |thanks?|thank you|thx|ty|danke(?: schon)?|merci(?: beaucoup)?|gracias|obrigad[oa]|bedankt|dank je"
    r"|grazie(?: mille)?|cheers|ok(?:ay)?|got it|noted|received|recu|bien recu|recibido|recebido|ontvangen|ricevuto"
    r"|alles klar|perfect|great)[\s!.,]*)+$"
)


def _unsubscribe_rule(folded: str, channel: str) -> bool:
    bare = re.sub(r"[^a-z ]", "", folded).strip()
    if bare in _SMS_STOP and (
        channel == "sms" or bare in {"stop", "unsubscribe", "stopall", "opt out", "optout"}
    ):
        return True
    if _UNSUBSCRIBE.search(folded) is None:
        return False
    # "Don't unsubscribe me" / "no need to remove me" are rare; the phrase alone is strong evidence.
    return re.search(r"\b(?:don'?t|do not|not) (?:unsubscribe|remove) me\b", folded) is None


def looks_like_injection(text: str) -> bool:
    """Whether ``text`` tries to give instructions to the system reading it."""
    return _INJECTION.search(fold(text)) is not None


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
    folded = fold(text).strip()
    if not folded or not _WORD.search(folded):
        return Intent(label="other", confidence=0.5, scores={"other": 0.5}, rule="empty")
    model = model or default_model()
    scores = model.predict_scores(text)
    if _unsubscribe_rule(folded, channel):
        return _ruled("unsubscribe", 0.97, "unsubscribe", scores)
    if looks_like_injection(text):
        best: IntentLabel = "question" if scores.get("question", 0.0) > scores.get("other", 0.0) else "other"
        return _ruled(best, 0.8, "instructions_as_data", scores)
    if _ACK_ONLY.match(folded):
        return _ruled("other", 0.7, "acknowledgement", scores)
    if extract_referral(text) is not None:
        return _ruled("referral", 0.9, "referral", scores)
    if _WRONG_PERSON.search(folded):
        return _ruled("wrong_person", 0.9, "wrong_person", scores)
    label = max(scores, key=lambda k: scores[k])
    return Intent(label=label, confidence=round(scores[label], 4), scores=scores)
