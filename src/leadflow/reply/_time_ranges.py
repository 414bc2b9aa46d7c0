"""Date ranges built from neighbouring expressions: "from X to Y", "before X", "since X".

:func:`join_ranges` runs after every expression is resolved on its own. Each side of a
range may have several readings (last and next "March 3"); the joiner keeps the pairs
that make a forward range shorter than a year, lends a written year to the side without
one ("Nov-Feb 2017" starts in November 2016), and reads a bare weekday after the start
("from next Monday to Friday" ends that same week).
"""

from __future__ import annotations

import re
from datetime import date, timedelta

from leadflow.reply._time_expr import Expression, safe_date

_RANGE_GLUE = re.compile(
    r"^\s*(?:-|–|—|~|to|through|thru|till|until|and|bis|au|al|a|até|tot|fino al)\s*(?:the\s+)?$",
    re.IGNORECASE,
)
_RANGE_OPEN = re.compile(
    r"(?:\bfrom|\bbetween|\bvon|\bdu|\bdel|\bde|\bvan|\bdal|\bentre)\s+(?:the\s+)?$", re.IGNORECASE
)
_BEFORE = re.compile(
    r"\b(?:before|prior to|no later than|until|till|by the end of|as late as|vor|avant|antes de)\s+(?:the\s+)?$",
    re.IGNORECASE,
)
_AFTER = re.compile(r"\b(?:after|later than|nach|après|después de)\s+(?:the\s+)?$", re.IGNORECASE)
_SINCE = re.compile(
    r"\b(?:since|starting(?: on| from)?|beginning(?: on)?|as early as|as of|seit|depuis|desde)\s+(?:the\s+)?$",
    re.IGNORECASE,
)
_LONGEST = timedelta(days=366)


def _spans(exp: Expression) -> list[tuple[date, date]]:
    """Each reading of a date-only expression as a half-open span of days."""
    if exp.t_start or exp.t_end or exp.part or exp.exact or exp.duration or exp.bounds:
        return []
    if exp.days:
        return [(d, d + timedelta(days=1)) for d in exp.days]
    return [r for r in (exp.alt_range, exp.day_range) if r]


def _in_year(exp: Expression, year: int) -> date | None:
    """The start of ``exp`` in ``year`` when it was written without one ("Nov", "March 3")."""
    if exp.month_day is None:
        return None
    month, day = exp.month_day
    return safe_date(year, month, day or 1)


def _pairs(a: Expression, b: Expression) -> list[tuple[date, date]]:
    """Forward (start, end) readings of "a to b", nearest first."""
    sa, sb = _spans(a), _spans(b)
    starts = [lo for lo, _ in sa]
    if b.year_given and not a.year_given and sb:
        end = sb[-1][0]
        lent = _in_year(a, end.year)
        if lent is not None:
            starts = [lent if lent < end else (_in_year(a, end.year - 1) or lent)]
    if a.year_given and not b.year_given and b.month_day and sa:
        start = sa[0][0]
        ends = [x for y in (start.year, start.year + 1) if (x := _in_year(b, y)) and x > start][:1]
    elif b.weekday is not None:
        ends = [s + timedelta(days=(b.weekday - s.weekday()) % 7 or 7) for s in starts]
    else:
        ends = [lo for lo, _ in sb]
    long_ok = a.year_given or b.year_given
    pairs = [(s, e) for s in starts for e in ends if s < e and (long_ok or e - s <= _LONGEST)]
    return list(dict.fromkeys(pairs))


def join_ranges(text: str, exps: list[Expression]) -> list[Expression]:
    """ "from X to Y" becomes one range; "before/after/since X" an open one."""
    out: list[Expression] = []
    i = 0
    while i < len(exps):
        a = exps[i]
        b = exps[i + 1] if i + 1 < len(exps) else None
        before = text[max(0, a.offset - 30) : a.offset]
        if b is not None and _spans(a) and _spans(b) and _RANGE_GLUE.match(text[a.end : b.offset]):
            glue = text[a.end : b.offset].strip().lower()
            pairs = _pairs(a, b)
            if pairs and (glue != "and" or _RANGE_OPEN.search(before)):
                merged = Expression(text=text[a.offset : b.end], offset=a.offset, end=b.end)
                merged.bounds = [(x, y) for x, y in pairs]
                out.append(merged)
                i += 2
                continue
        spans = _spans(a)
        if spans and _BEFORE.search(before):
            a.bounds = [(None, lo) for lo, _ in spans]
        elif spans and _AFTER.search(before):
            a.bounds = [(hi, None) for _, hi in spans]
        elif spans and _SINCE.search(before):
            a.bounds = [(lo, None) for lo, _ in spans]
        out.append(a)
        i += 1
    return out
