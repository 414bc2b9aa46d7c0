"""Resolution of the phrase-level date/time tokens, for :mod:`leadflow.reply._time_resolve`.

Covers what a group of tokens means together rather than one token alone: "the 18th"
(the nearest 18th, or the 18th of the month named beside it), "Friday the 26th" (the
nearest 26th that is a Friday), "the week of April 10th", "week 23", "the end of the month",
"later this week", "the next two weeks", "next 4 business days", and clock words ("half past
nine", "four thirty pm"). :func:`finish` runs once a whole group has been read.
"""

from __future__ import annotations

from datetime import date, time, timedelta

from dateutil.relativedelta import relativedelta

from leadflow.reply._time_expr import Expression, monday_of, safe_date
from leadflow.reply._time_grammar import Token
from leadflow.reply._time_words import HOUR_WORDS, MINUTE_WORDS, number_value, ordinal_value

_FUTURE = {"next", "coming", "upcoming", "following"}
_AFTER_PREPS = {
    "after",
    "as early as",
    "not before",
    "later than",
    "ab",
    "nach",
    "dopo",
    "après",
    "desde",
    "depois das",
    "from",
}
_BEFORE_PREPS = {"before", "as late as", "no later than", "not after", "vor", "avant", "until", "till", "by"}


def set_point(exp: Expression, t: time, known: bool, prep: str | None) -> None:
    """A clock time: the start, or the end when a start is already there ("3:30 to 4:30")."""
    if exp.t_start is not None and exp.t_end is None:
        exp.t_end, exp.end_of_day = t, False
        exp.ampm_known = exp.ampm_known or known
        return
    exp.t_start, exp.ampm_known = t, known
    if prep in _AFTER_PREPS:
        exp.end_of_day = True
    elif prep in _BEFORE_PREPS - {"by"}:
        exp.t_start, exp.t_end, exp.open_start = None, t, True


def _clock(tok: Token, exp: Expression) -> None:
    g = tok.groups
    suffix = (g.get("suffix") or "").replace(" ", "").replace(".", "")
    if g.get("dir"):
        h = number_value(str(g["h"]), HOUR_WORDS)
        m = 30 if g.get("half") == "half" else 15 if g.get("half") == "quarter" else 0
        m = m or number_value(str(g["mins"]), MINUTE_WORDS)
        if g["dir"] in {"to", "before"}:
            h, m = (h - 1) % 24, 60 - m
    else:
        h = HOUR_WORDS[str(g["hw"])]
        m = MINUTE_WORDS[str(g["mw"])] if g.get("mw") else 0
    known = suffix[:1] in {"a", "p"}
    if suffix.startswith("p") and h < 12:
        h += 12
    elif suffix.startswith("a") and h == 12:
        h = 0
    set_point(exp, time(h % 24, m), known, g.get("prep"))


def _span(tok: Token, ref: date, exp: Expression) -> None:
    """'next two weeks', 'the past 3 months', 'next 4 business days', 'the 5 coming years'."""
    g = tok.groups
    n = number_value(str(g.get("n") or g.get("n2")))
    mod, unit = str(g.get("mod") or g.get("mod2")), str(g["unit"]).rstrip("s")
    future, within = mod in _FUTURE, g.get("within") == "within"
    if g.get("biz") and unit == "day":
        step, day, left = (1 if future else -1), ref, n
        while left:
            day += timedelta(days=step)
            left -= day.weekday() < 5
        exp.day_range = (ref + timedelta(days=1), day + timedelta(days=1)) if future else (day, ref)
        return
    if unit == "quarter":
        q0 = date(ref.year, 3 * ((ref.month - 1) // 3) + 1, 1)
        lo = q0 + relativedelta(months=3) if future else q0 - relativedelta(months=3 * n)
        exp.day_range = (lo, lo + relativedelta(months=3 * n))
        return
    delta = {
        "day": relativedelta(days=n),
        "week": relativedelta(weeks=n),
        "fortnight": relativedelta(weeks=2 * n),
        "month": relativedelta(months=n),
        "year": relativedelta(years=n),
    }[unit]
    if future:
        start = ref if within else ref + timedelta(days=1)
        exp.day_range = (start, start + delta)
    else:
        exp.day_range = (ref - delta, ref)


def resolve_phrase(tok: Token, ref: date, exp: Expression) -> bool:
    """Read a phrase-level token into ``exp``; False when ``tok`` is not one."""
    g = tok.groups
    if tok.kind == "clock":
        _clock(tok, exp)
    elif tok.kind == "span":
        _span(tok, ref, exp)
    elif tok.kind == "position":
        exp.position, exp.position_prep = str(g["pos"]), g.get("pprep")
    elif tok.kind == "week_of":
        exp.week_of = True
    elif tok.kind == "iso_week":
        exp.iso_week = int(str(g["wn"]))
    elif tok.kind == "ordinal_day":
        exp.dom = ordinal_value(str(g["od"]))
    else:
        return False
    return True


def _nearest_dom(ref: date, dom: int, weekday: int | None) -> list[date]:
    """The last day numbered ``dom`` before ``ref`` and the next one on or after it (on ``weekday``)."""
    found: list[date] = []
    for step in (-1, 1):
        first = date(ref.year, ref.month, 1)
        for i in range(60):
            m0 = first + relativedelta(months=step * i)
            d = safe_date(m0.year, m0.month, dom)
            if d is None or (weekday is not None and d.weekday() != weekday):
                continue
            if (step < 0 and d < ref) or (step > 0 and d >= ref):
                found.append(d)
                break
    return sorted(found)


def _positioned(span: tuple[date, date], pos: str, ref: date, year_given: bool) -> tuple[date, date]:
    """Part of a week, month or year: its start, middle, end, or what is left of it."""
    lo, hi = span
    days = (hi - lo).days
    if days <= 7:
        split = lo + timedelta(days=3)
        first, mid = (lo, split), (lo + timedelta(days=2), lo + timedelta(days=5))
    elif days <= 31:
        split = lo.replace(day=16)
        first, mid = (lo, split), (lo.replace(day=10), lo.replace(day=21))
    else:
        if year_given:
            thirds = (lo.replace(month=5), lo.replace(month=9))
            return {
                "beginning": (lo, thirds[0]),
                "start": (lo, thirds[0]),
                "middle": thirds,
                "mid": thirds,
            }.get(pos, (thirds[1], hi) if pos == "end" else (lo, hi))
        split = lo.replace(month=7)
        first, mid = (lo, split), (lo.replace(month=5), lo.replace(month=9))
    current = lo <= ref < hi
    if pos in {"middle", "mid"}:
        return mid
    if pos in {"rest", "remainder", "remaining"}:
        return (max(ref, lo), hi)
    if pos in {"beginning", "start", "early", "earlier"}:
        return (first[0], min(first[1], ref)) if pos == "earlier" and current and ref > lo else first
    return (max(split, ref), hi) if pos == "later" and current else (split, hi)


def finish(exp: Expression, ref: date) -> None:
    """Combine what a group said: a day of the month with its month, a week with its weekday."""
    if exp.iso_week is not None:
        year = exp.day_range[0].year if exp.day_range and exp.year_given else ref.year
        start = date.fromisocalendar(year, exp.iso_week, 1)
        exp.day_range, exp.alt_range, exp.days = (start, start + timedelta(days=7)), None, []
    if exp.dom is not None:
        months = [r for r in (exp.alt_range, exp.day_range) if r and 28 <= (r[1] - r[0]).days <= 31]
        if months:
            exp.days = [d for r in months if (d := safe_date(r[0].year, r[0].month, exp.dom))]
            exp.day_range = exp.alt_range = None
        else:
            exp.days = _nearest_dom(ref, exp.dom, exp.dow)
    elif exp.dow is not None and exp.day_range and (exp.day_range[1] - exp.day_range[0]).days == 7:
        exp.days = [exp.day_range[0] + timedelta(days=exp.dow)]  # "Tuesday of next week"
        exp.day_range, exp.weekday = None, None
    if exp.week_of and exp.days:
        weeks = [(monday_of(d), monday_of(d) + timedelta(days=7)) for d in exp.days]
        exp.days, exp.day_range = [], weeks[-1]
        exp.alt_range = weeks[0] if len(weeks) > 1 else None
    if exp.position and exp.day_range:
        spans = [r for r in (exp.day_range, exp.alt_range) if r]
        exp.day_range, *rest = [_positioned(r, exp.position, ref, exp.year_given) for r in spans]
        exp.alt_range = rest[0] if rest else None
        if exp.position_prep in _BEFORE_PREPS:  # "by the end of the month"
            exp.bounds = [(None, r[1]) for r in spans]
    if exp.t_start and exp.t_end and not exp.ampm_known and exp.t_end <= exp.t_start and exp.t_end.hour < 12:
        exp.t_end, exp.ampm_known = exp.t_end.replace(hour=exp.t_end.hour + 12), True
