"""Figures a model read from a prospect's text: accepted only when the text supports them."""

from __future__ import annotations

import pytest

from leadflow.agents._figures import figures, unsupported


def test_figures_reads_suffixes_currency_separators_and_words() -> None:
    found = figures("about 50k, $1.2M in total, 1,200 a month, 4.5 hours, a dozen reps and twelve seats")
    assert {50.0, 50_000.0, 1_200_000.0, 1_200.0, 4.5, 12.0} <= found
    assert 5_000_000.0 not in found


@pytest.mark.parametrize(
    ("kind", "value", "text"),
    [
        ("money", 50_000, "we have about 50k"),
        ("money", 1_200_000, "Budget is $1.2M"),
        ("money", 5_000_000, "5,000,000 all in"),
        ("number", 12, "we are twelve reps"),
        ("timeline", 3, "next quarter"),
        ("timeline", 1.5, "in 6 weeks"),
        ("timeline", 24, "within 2 years"),
    ],
)
def test_supported_figures_are_accepted(kind: str, value: float, text: str) -> None:
    assert unsupported(kind, value, text) is None


@pytest.mark.parametrize(
    ("kind", "value", "text", "why"),
    [
        ("money", 5_000_000, "we have about 50k", "does not appear"),
        ("number", 40, "a small team", "does not appear"),
        ("money", -5_000, "-5000", "outside"),
        ("money", 1e30, "1" + "0" * 30, "outside"),
        ("number", float("nan"), "nan", "outside"),
        ("timeline", 500, "500 months", "outside"),
    ],
)
def test_unsupported_or_out_of_range_figures_are_refused(
    kind: str, value: float, text: str, why: str
) -> None:
    reason = unsupported(kind, value, text)
    assert reason is not None and why in reason
