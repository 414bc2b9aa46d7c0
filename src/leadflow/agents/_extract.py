"""Offline answer extraction for qualification questions: timelines, yes/no, money, numbers, text.

Rules, not a model: each extractor reads a reply and returns a normalised value or None. They
cope with several answers in one message and answers to questions not yet asked.
"""

from __future__ import annotations

import re
from typing import Any

_WORDNUM = {"a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
            "eight": 8, "nine": 9, "ten": 10, "twelve": 12, "a couple of": 2, "a few": 3, "couple": 2, "few": 3}
_NUM = r"(\d+(?:\.\d+)?|a couple of|a few|couple|few|an|a|one|two|three|four|five|six|seven|eight|nine|ten|twelve)"
_UNIT = {"day": 1 / 30, "week": 0.25, "month": 1.0, "year": 12.0}
BROWSING = re.compile(r"\b(just (browsing|looking)|no (rush|hurry)|not sure (yet|when)|window shopping|someday)\b", re.I)


def _num(text: str) -> float:
    return float(_WORDNUM.get(text.lower(), 0) or text) if not text.replace(".", "").isdigit() else float(text)


_AMOUNT = r"(?:[$€£]\s?\d[\d,]*(?:\.\d+)?\s*(?:k|m|million|thousand)?|\b\d[\d,]*(?:\.\d+)?\s*(?:k|m|million|thousand)?\s*(?:dollars|usd|eur|euros|bucks))"
RATE = re.compile(
    rf"{_AMOUNT}\s*(?:(?:a|an|per|each|every|/)\s*(?:day|week|month|year|yr|mo)\b|annually|monthly|yearly|weekly|daily)"
    r"|\bper\s+(?:day|week|month|year)\b",
    re.I,
)
"""A money amount with its period ("$20,000 a year", "500 dollars per month"): a rate, not a timeline."""


def timeline_months(text: str) -> float | None:
    t = RATE.sub(" ", text.lower())
    if BROWSING.search(t):
        return 99.0
    if re.search(r"\b(asap|right away|immediately|urgent|right now|this week|today|tomorrow|as soon as)\b", t):
        return 0.5
    m = re.search(rf"\b{_NUM}\s*(?:-|to|or)\s*{_NUM}\s*(day|week|month|year)s?\b", t)
    if m:
        return _num(m.group(2)) * _UNIT[m.group(3)]
    m = re.search(rf"\b{_NUM}\s*(day|week|month|year)s?\b", t)
    if m:
        return _num(m.group(1)) * _UNIT[m.group(2)]
    if re.search(r"\b(next month|this month|within a month|in a month)\b", t):
        return 1.0
    if re.search(r"\b(this (spring|summer|fall|autumn|winter|quarter)|next quarter|end of (the )?quarter)\b", t):
        return 3.0
    if re.search(r"\b(end of (the )?year|later this year|this year)\b", t):
        return 6.0
    if re.search(r"\b(next year|maybe next year|not this year|long term|eventually)\b", t):
        return 12.0
    return None


def yes_no(text: str, *, yes: list[str], no: list[str] | None = None, partial: list[str] | None = None) -> str | None:
    t = " " + text.lower() + " "
    for cue in partial or []:
        if cue in t:
            return "partial"
    for cue in no or []:
        if cue in t:
            return "no"
    for cue in yes:
        i = t.find(cue)
        if i >= 0:
            before = t[max(0, i - 12) : i]
            if re.search(r"\b(not|no|never|n't)\b|n't ", before):
                return "no"
            return "yes"
    return None


def money(text: str) -> float | None:
    t = text.lower().replace(",", "")
    m = re.search(r"[$€£]\s?(\d+(?:\.\d+)?)\s*(k|m|million|thousand)?\b", t) or re.search(
        r"\b(\d+(?:\.\d+)?)\s*(k|m|million|thousand)?\s*(?:dollars|usd|eur|euros|bucks|/mo|a month|per month|/month)", t
    )
    if not m:
        return None
    value = float(m.group(1))
    scale = {"k": 1e3, "thousand": 1e3, "m": 1e6, "million": 1e6}.get(m.group(2) or "", 1.0)
    return value * scale


def number(text: str, *, cues: list[str] | None = None, pending: bool = False) -> float | None:
    t = text.lower()
    words = "|".join(re.escape(c) for c in (cues or ["people", "reps", "sellers", "years", "users", "seats", "employees", "agents"]))
    m = re.search(rf"\b(\d{{1,5}})\s*(?:\w+\s)?(?:{words})\b", t) or re.search(r"\b(?:team of|about|around)\s*(\d{1,5})\b", t)
    if m:
        return float(m.group(1))
    if pending:
        m = re.search(r"\b(\d{1,5})\b", t)
        if m:
            return float(m.group(1))
    return None


def text_answer(text: str, *, cues: list[str], pending: bool) -> str | None:
    sentences = [s.strip() for s in re.split(r"(?<=[.!?\n])\s+", text) if s.strip()]
    for s in sentences:
        if any(c in s.lower() for c in cues):
            return s[:200]
    if pending and sentences:
        return sentences[0][:200]
    return None


def extract(question: dict[str, Any], text: str, *, pending: bool) -> Any:
    kind = question["type"]
    if kind == "timeline":
        return timeline_months(text)
    if kind == "yes_no":
        value = yes_no(text, yes=question.get("yes", []), no=question.get("no"), partial=question.get("partial"))
        if value is None and pending:
            t = text.strip().lower()
            if re.match(r"^(yes|yep|yeah|sure|correct|we do|i do|absolutely)\b", t):
                return "yes"
            if re.match(r"^(no|nope|not yet|we don't|i don't)\b", t):
                return "no"
        return value
    if kind == "money":
        return money(text)
    if kind == "number":
        return number(text, cues=question.get("cues"), pending=pending)
    return text_answer(text, cues=question.get("cues", []), pending=pending)
