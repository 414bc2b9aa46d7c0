"""The reply reader's fast paths answer exactly as the plain forms they replace."""

from __future__ import annotations

import re
import unicodedata
from zoneinfo import ZoneInfo

import pytest

from leadflow.exceptions import InvalidInput
from leadflow.reply import _intent_features as fe
from leadflow.reply import _markers as mk
from leadflow.reply import _time_grammar as grammar
from leadflow.reply import times
from leadflow.reply.intent import classify_intent, classify_intent_with
from leadflow.reply.referral import extract_referral

TEXTS = [
    "Hi Tom,\n\nToo expensive for us right now, maybe next quarter.\n\nBest,\nAnna",
    "Zu teuer. Wir haben bereits einen Anbieter; melden Sie sich im Herbst.",
    "C'est trop cher pour nous, désolé. Peut-être après l'été ?",
    "Please talk to Dana Lee (dana.lee@acme.example), she runs procurement.",
    "Tuesday at 3pm ET works, or Thursday 10:30-11 if that's easier.",
    "Not interested — please remove me from your list.",
    "Können wir am Montag, den 9. März um 14 Uhr telefonieren?",
    "størrelse matters; in-house team already covers it.\u00a0Thanks!",
    "",
    "?!",
]


def _plain_fold(text: str) -> str:
    text = unicodedata.normalize("NFKD", text.casefold())
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    return text.replace("\u2019", "'").replace("ß", "ss")


@pytest.mark.parametrize("text", [*TEXTS, "ÉCOLE ﬁn Straße", "naïve café \u2019s"])
def test_fold_equals_the_plain_fold(text: str) -> None:
    assert fe.fold(text) == _plain_fold(text)


def test_prefix_tree_matches_exactly_the_words() -> None:
    words = ["cost", "costos", "pric", "preis", "prix", "ya ", "in-house", "q1"]
    tree = re.compile(r"\b" + fe._prefix_tree(words))
    plain = re.compile(r"\b(?:" + "|".join(re.escape(w) for w in words) + ")")
    probes = ["costo", "the cost", "costos", "precio", "pricing", "ya no", "yay", "in-house", "inhouse", "q1", "aq1"]
    for probe in probes + [fe.fold(t) for t in TEXTS]:
        assert bool(tree.search(probe)) == bool(plain.search(probe)), probe
    # and it can fail: a tree that lost a word answers differently
    assert re.search(r"\b" + fe._prefix_tree(words[:-1]), "q1") is None


def test_features_of_core_equal_features() -> None:
    for text in TEXTS:
        core = fe.core_text(text)
        assert list(fe.features_of_core(core, fe.fold(core)).items()) == list(fe.features(text).items())


@pytest.mark.parametrize("text", TEXTS)
def test_classify_with_a_known_referral_equals_classify(text: str) -> None:
    assert classify_intent_with(text, referral=extract_referral(text)) == classify_intent(text)


_PLAIN_WROTE_END = re.compile(
    rf"(?:{mk._words(mk._WROTE_WORDS)})\s*[:：]?[\s\-*>.]*$|"
    r"\b(?:wrote|schrieb|a écrit|escribió|escreveu|ha scritto|schreef|napisał|skrev)\s+"
    r"(?:on|am|le|el|em|il|op|den)\s.{3,100}[:：]\s*$",
    re.IGNORECASE,
)


@pytest.mark.parametrize(
    "line",
    [
        "On Mon, 3 Mar 2025 at 10:00, Jane Doe <jane@acme.example> wrote:",
        "Am 03.03.2025 um 10:00 schrieb Jane Doe:",
        "Le lun. 3 mars 2025 à 10:00, Jane a   écrit :",
        "Jane WROTE: -- >>",
        "Jane wrote:\u00a0",
        "Jane napisał(a):",
        "Jane yazdI:",
        "Jane wrote on Monday, 3 March 2025:",
        "He said no.",
        "She wrote the report yesterday.",
        "wrote: ok",
        "",
    ],
)
def test_ends_with_wrote_equals_the_forward_search(line: str) -> None:
    assert mk._ends_with_wrote(line) == bool(_PLAIN_WROTE_END.search(line))


def test_the_wrote_words_are_the_alternation_they_replace() -> None:
    assert "a\\s+écrit" in mk._words(mk._WROTE_WORDS) and "napisał\\(a\\)" in mk._words(mk._WROTE_WORDS)
    assert mk._WROTE_END_REVERSED.match("Jane wrote:"[::-1])
    assert not mk._WROTE_END_REVERSED.match("Jane wrote it."[::-1])


def _scan_all_patterns(text: str) -> list[grammar.Token]:
    """:func:`scan` with no pattern skipped."""
    saved = grammar._WORD_PATTERNS
    grammar._WORD_PATTERNS = grammar.TOKEN_PATTERNS
    try:
        return grammar.scan(text)
    finally:
        grammar._WORD_PATTERNS = saved


def test_scan_skips_only_patterns_that_need_a_digit() -> None:
    words = "next tuesday morning, the first of march, noon ET, in two weeks, at half past four, end of day"
    for text in [*TEXTS, words, words.upper()]:
        assert grammar.scan(text) == _scan_all_patterns(text)
    digit_free = re.sub(r"\d", "x", " ".join(TEXTS) + " 2025-03-04 3/4 4.3.2025 3pm 10-11 kw12 1530-1600")
    for kind, pattern in grammar.TOKEN_PATTERNS:
        if kind in grammar.NEEDS_DIGIT:
            assert pattern.search(digit_free.lower()) is None, kind


def test_zone_lookup_is_kept_and_a_bad_name_fails_every_time() -> None:
    assert times._zone("Europe/Berlin") == ZoneInfo("Europe/Berlin")
    assert times._zone("Europe/Berlin") is times._zone("Europe/Berlin")
    assert times._zone("UTC+2").utcoffset(None).total_seconds() == 7200  # type: ignore[union-attr]
    for _ in range(2):
        with pytest.raises(InvalidInput):
            times._zone("Not/AZone")
