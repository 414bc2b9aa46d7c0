"""Tests for leadflow.kb.chunk: heading-aware chunks with overlap."""

from __future__ import annotations

import itertools

import pytest

from leadflow.kb.chunk import chunk_text


def test_sections_follow_headings() -> None:
    chunks = chunk_text("# Product\n\nIntro.\n\n## Pricing\n\nPro is $49.\n\n# Support\n\nEmail us.")
    assert [(c.chunk_no, c.heading, c.text) for c in chunks] == [
        (0, "Product", "Intro."),
        (1, "Product > Pricing", "Pro is $49."),
        (2, "Support", "Email us."),
    ]


def test_small_paragraphs_are_packed_together() -> None:
    chunks = chunk_text("One.\n\nTwo.\n\nThree.")
    assert [c.text for c in chunks] == ["One.\n\nTwo.\n\nThree."]
    assert chunks[0].heading == ""


def test_long_text_is_split_within_bound_with_overlap() -> None:
    text = " ".join(f"Sentence {i} is about widgets." for i in range(200))
    chunks = chunk_text(text, max_chars=300, overlap=60)
    assert len(chunks) > 10
    assert all(len(c.text) <= 300 for c in chunks)
    for before, after in itertools.pairwise(chunks):
        # The start of each chunk repeats the end of the previous one.
        assert after.text[:20] in before.text


def test_word_without_spaces_is_hard_split() -> None:
    chunks = chunk_text("x" * 2000, max_chars=500, overlap=0)
    assert "".join(c.text for c in chunks) == "x" * 2000
    assert all(len(c.text) <= 500 for c in chunks)


def test_empty_text_gives_no_chunks() -> None:
    assert chunk_text("   \n\n") == []


def test_bad_arguments() -> None:
    with pytest.raises(ValueError):
        chunk_text("x", max_chars=100, overlap=100)
