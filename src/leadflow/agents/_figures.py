"""Numbers a model read from a prospect's text, accepted only when the text supports them.

A model asked for "the budget" may answer 5,000,000 for a reply that says "about 50k", because
it misread, guessed, or followed an injected line. :func:`unsupported` compares a figure the
model returned with every figure written in the text it read, so a model can normalise ("$5k" is
5000, "1.2M" is 1,200,000, "six weeks" is 1.5 months) but cannot invent. Ranges are bounded too:
no negative budget, no 10**30 seats.
"""

from __future__ import annotations

import math
import re

from leadflow.agents._extract import timeline_months

__all__ = ["RANGES", "figures", "unsupported"]

RANGES: dict[str, tuple[float, float]] = {
    "money": (0.0, 1e10),
    "number": (0.0, 1e7),
    "timeline": (0.0, 120.0),
}
"""The plausible range of each numeric question type (inclusive)."""

_SCALE = {
    "k": 1e3,
    "thousand": 1e3,
    "m": 1e6,
    "mm": 1e6,
    "mn": 1e6,
    "million": 1e6,
    "b": 1e9,
    "bn": 1e9,
    "billion": 1e9,
}
_FIGURE = re.compile(
    r"(?<![\w.])(\d{1,3}(?:,\d{3})+|\d+)(?:\.(\d+))?\s*(k|mm|mn|m|bn|b|thousand|million|billion)?(?![a-z])",
    re.IGNORECASE,
)
_WORDS = {
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "eleven": 11,
    "twelve": 12,
    "fifteen": 15,
    "twenty": 20,
    "thirty": 30,
    "forty": 40,
    "fifty": 50,
    "hundred": 100,
    "dozen": 12,
    "couple": 2,
    "few": 3,
    "half": 0.5,
}
_WORD = re.compile(r"\b(" + "|".join(_WORDS) + r")\b", re.IGNORECASE)
# a timeline in months may come from days, weeks, quarters or years written in the text
_TIME_UNITS = (1.0, 1 / 30, 7 / 30, 0.25, 3.0, 12.0)


def figures(text: str) -> set[float]:
    """Every figure written in ``text``: ``50k``, ``$1.2M``, ``1,200``, ``4.5``, ``twelve``."""
    found: set[float] = set()
    for whole, frac, unit in _FIGURE.findall(text):
        value = float(whole.replace(",", "") + (f".{frac}" if frac else ""))
        found.add(value)
        if unit:
            found.add(value * _SCALE[unit.lower()])
    found.update(float(_WORDS[w.lower()]) for w in _WORD.findall(text))
    return found


def _close(a: float, b: float) -> bool:
    return math.isclose(a, b, rel_tol=0.01, abs_tol=0.01)


def unsupported(kind: str, value: float, text: str) -> str | None:
    """Why ``value`` (a ``money``/``number``/``timeline`` answer) is not backed by ``text``; None if it is."""
    low, high = RANGES.get(kind, RANGES["number"])
    if not math.isfinite(value) or not low <= value <= high:
        return f"{value:g} is outside {low:g}..{high:g}"
    written = figures(text)
    if kind == "timeline":
        offline = timeline_months(text)
        if offline is not None and _close(value, offline):
            return None
        if any(_close(value, f * unit) for f in written for unit in _TIME_UNITS):
            return None
    elif any(_close(value, f) for f in written):
        return None
    return f"{value:g} does not appear in the prospect's text"
