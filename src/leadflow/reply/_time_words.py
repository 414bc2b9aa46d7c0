"""Number words for the date/time grammar: ordinal days ("the twenty-third"), clock words
("half past nine", "four thirty") and counts ("next two weeks").

Only what replies use for meetings: days of the month up to 31, hours up to twelve and
minutes up to 59. Written-out years ("nineteen ninety six") are out of scope.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

_UNITS = "one two three four five six seven eight nine".split()
_TEENS = "ten eleven twelve thirteen fourteen fifteen sixteen seventeen eighteen nineteen".split()
_TENS = {"twenty": 20, "thirty": 30, "forty": 40, "fifty": 50}
_ORD_UNITS = "first second third fourth fifth sixth seventh eighth ninth".split()
_ORD_TEENS = (
    "tenth eleventh twelfth thirteenth fourteenth fifteenth sixteenth seventeenth eighteenth nineteenth"
).split()

CARDINALS: dict[str, int] = {w: i for i, w in enumerate(_UNITS, start=1)}
CARDINALS |= {w: i for i, w in enumerate(_TEENS, start=10)}
for _tens, _v in _TENS.items():
    CARDINALS[_tens] = _v
    for _i, _u in enumerate(_UNITS, start=1):
        for _sep in ("-", " "):
            CARDINALS[f"{_tens}{_sep}{_u}"] = _v + _i

ORDINALS: dict[str, int] = {w: i for i, w in enumerate(_ORD_UNITS, start=1)}
ORDINALS |= {w: i for i, w in enumerate(_ORD_TEENS, start=10)}
ORDINALS |= {"twentieth": 20, "thirtieth": 30}
for _tens, _v in (("twenty", 20), ("thirty", 30)):
    for _i, _u in enumerate(_ORD_UNITS, start=1):
        if _v + _i <= 31:
            for _sep in ("-", " "):
                ORDINALS[f"{_tens}{_sep}{_u}"] = _v + _i


def alt(words: Iterable[str]) -> str:
    """A regex alternation of ``words``, longest first so "twenty-first" beats "twenty"."""
    return "|".join(sorted((re.escape(w) for w in words), key=len, reverse=True))


ORDINAL_RE = rf"(?:(?:[12]?\d|3[01])(?:st|nd|rd|th)|{alt(ORDINALS)})"
HOUR_WORDS = {w: n for w, n in CARDINALS.items() if n <= 12}
MINUTE_WORDS = {w: n for w, n in CARDINALS.items() if n < 60} | {"o five": 5, "oh five": 5}
COUNT_WORDS = CARDINALS | {"a couple of": 2, "couple of": 2, "a couple": 2, "couple": 2, "a few": 3, "few": 3}


def ordinal_value(raw: str) -> int:
    """The day a matched ordinal names: "23rd" and "twenty-third" are both 23."""
    raw = raw.strip()
    return int(raw[:-2]) if raw[:1].isdigit() else ORDINALS[raw]


def number_value(raw: str, words: dict[str, int] = COUNT_WORDS) -> int:
    """A matched count or clock number, as digits or words."""
    raw = raw.strip()
    return int(raw) if raw.isdigit() else words[raw]
