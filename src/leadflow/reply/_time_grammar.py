"""The small date/time grammar under :mod:`leadflow.reply.times`: tokens and how they group.

The scanner finds atomic pieces (a weekday, "15 March", "3pm", "2-3pm", "morning", "ET",
"next week") with positions, in English plus the common German, French, Spanish,
Portuguese, Dutch and Italian forms. :func:`group_tokens` joins pieces that sit next to
each other ("Tuesday" + "at" + "3pm") into one expression. Resolution against a reference
time lives in :mod:`leadflow.reply._time_resolve`; number words in :mod:`leadflow.reply._time_words`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from leadflow.reply._time_words import COUNT_WORDS, HOUR_WORDS, MINUTE_WORDS, ORDINAL_RE, ORDINALS, alt

WEEKDAYS: dict[str, int] = {}
for _i, _names in enumerate(
    [
        "monday mon mo montag lundi lunes segunda maandag lunedi lunedì",
        "tuesday tues tue tu dienstag di mardi martes terça terca dinsdag martedi martedì",
        "wednesday weds wed mittwoch mi mercredi miércoles miercoles quarta woensdag mercoledi mercoledì",
        "thursday thurs thur thu donnerstag do jeudi jueves quinta donderdag giovedi giovedì",
        "friday fri fr freitag vendredi viernes sexta vrijdag venerdi venerdì",
        "saturday sat sa samstag samedi sábado sabado zaterdag",
        "sunday sun so sonntag dimanche domingo zondag domenica",
    ]
):
    for _n in _names.split():
        WEEKDAYS[_n] = _i
# Two-letter German abbreviations collide with ordinary words; only full names are matched there.
for _short in ("mo", "tu", "di", "mi", "do", "fr", "sa", "so"):
    WEEKDAYS.pop(_short)

MONTHS: dict[str, int] = {}
for _i, _names in enumerate(
    [
        "january jan januar janvier enero janeiro januari gennaio",
        "february feb februar février fevrier febrero fevereiro februari febbraio",
        "march mar märz maerz mars marzo março marco maart",
        "april apr avril abril aprile",
        "may mai mayo maio mei maggio",
        "june jun juni juin junio junho giugno",
        "july jul juli juillet julio julho luglio",
        "august aug août aout agosto augustus",
        "september sep sept septembre septiembre setembro settembre",
        "october oct oktober octobre octubre outubro oktober ottobre",
        "november nov novembre noviembre novembro",
        "december dec dezember décembre decembre diciembre dezembro dicembre",
    ],
    start=1,
):
    for _n in _names.split():
        MONTHS[_n] = _i

REL_DAYS: dict[str, int] = {
    "today": 0, "tonight": 0, "tomorrow": 1, "tmrw": 1, "tomorow": 1, "tmr": 1, "yesterday": -1,
    "last night": -1, "day after tomorrow": 2, "the day after tomorrow": 2, "day before yesterday": -2,
    "heute": 0, "morgen": 1, "übermorgen": 2, "gestern": -1, "aujourd'hui": 0, "demain": 1,
    "après-demain": 2, "hier": -1, "hoy": 0, "mañana": 1, "pasado mañana": 2, "ayer": -1, "hoje": 0,
    "amanhã": 1, "amanha": 1, "ontem": -1, "vandaag": 0, "overmorgen": 2, "gisteren": -1, "oggi": 0,
    "domani": 1, "dopodomani": 2, "ieri": -1,
}  # fmt: skip

# Part of day -> (start hour, end hour). Business reading for proposals; the eval uses its own.
PARTS: dict[str, str] = {
    "morning": "MO", "mornings": "MO", "afternoon": "AF", "afternoons": "AF", "evening": "EV",
    "evenings": "EV", "night": "NI", "tonight": "EV", "lunchtime": "LU", "noon": "NOON", "midday": "NOON",
    "vormittag": "MO", "vormittags": "MO", "morgens": "MO", "nachmittag": "AF", "nachmittags": "AF",
    "abend": "EV", "abends": "EV", "matin": "MO", "matinée": "MO", "après-midi": "AF", "apres-midi": "AF",
    "soir": "EV", "soirée": "EV", "por la mañana": "MO", "de la mañana": "MO", "por la tarde": "AF",
    "la tarde": "AF", "por la noche": "EV", "de manhã": "MO", "pela manhã": "MO", "à tarde": "AF",
    "de tarde": "AF", "à noite": "EV", "ochtend": "MO", "'s ochtends": "MO", "middag": "AF",
    "'s middags": "AF", "avond": "EV", "mattina": "MO", "mattinata": "MO", "pomeriggio": "AF", "sera": "EV",
    "mittag": "NOON", "midi": "NOON", "mediodía": "NOON", "lunch": "LU", "dinner": "EV",
    "dinnertime": "EV", "breakfast": "MO", "daytime": "DAY",
}  # fmt: skip

ZONES: dict[str, str] = {
    "et": "America/New_York", "est": "America/New_York", "edt": "America/New_York",
    "eastern": "America/New_York", "pt": "America/Los_Angeles", "pst": "America/Los_Angeles",
    "pdt": "America/Los_Angeles", "pacific": "America/Los_Angeles", "ct": "America/Chicago",
    "cst": "America/Chicago", "cdt": "America/Chicago", "central": "America/Chicago",
    "mt": "America/Denver", "mst": "America/Denver", "mdt": "America/Denver", "cet": "Europe/Berlin",
    "cest": "Europe/Berlin", "mez": "Europe/Berlin", "mesz": "Europe/Berlin", "gmt": "UTC", "utc": "UTC",
    "bst": "Europe/London", "uk time": "Europe/London", "london time": "Europe/London",
    "ist": "Asia/Kolkata", "india time": "Asia/Kolkata", "jst": "Asia/Tokyo", "sgt": "Asia/Singapore",
    "hkt": "Asia/Hong_Kong", "aest": "Australia/Sydney", "aedt": "Australia/Sydney", "wet": "Europe/Lisbon",
    "west": "Europe/Lisbon", "eet": "Europe/Athens", "eest": "Europe/Athens", "pacific time": "America/Los_Angeles",
    "eastern time": "America/New_York", "central time": "America/Chicago", "mountain time": "America/Denver",
    "new york time": "America/New_York", "ny time": "America/New_York", "paris time": "Europe/Paris",
    "berlin time": "Europe/Berlin", "irish time": "Europe/Dublin", "dublin time": "Europe/Dublin",
}  # fmt: skip

NUMBERS: dict[str, float] = {
    "a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
    "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "fifteen": 15, "twenty": 20,
    "thirty": 30, "a couple of": 2, "couple of": 2, "a few": 3, "few": 3, "half an": 0.5, "half a": 0.5,
}  # fmt: skip

NEXT_WORDS = r"next|coming|upcoming|following|nächsten|nächste|naechste|kommenden|kommende|prochain|prochaine|próximo|próxima|proximo|proxima|que vem|volgende|prossimo|prossima"
THIS_WORDS = r"this|diesen|diese|dieser|ce|cette|este|esta|deze|questo|questa"
LAST_WORDS = r"last|previous|past|letzten|letzte|vergangenen|dernier|dernière|pasado|pasada|passado|passada|vorige|scorso|scorsa"


def _alt(words: Any) -> str:
    return "|".join(sorted((re.escape(w) for w in words), key=len, reverse=True))


_WD = _alt(WEEKDAYS)
_MON = _alt(MONTHS)
_ORD = r"(?:st|nd|rd|th|er|e|º|ª|\.)?"
_AMPM = r"(?:\s*(?P<{n}>a\.?m\.?|p\.?m\.?|am|pm|a|p)\b)?"
_T = r"(?<![\d:.,/])(?P<{h}>[01]?\d|2[0-3])(?:[:.h](?P<{m}>[0-5]\d))?(?![\d,/]|\.\d)"


def _time_re(h: str, m: str, ap: str) -> str:
    return _T.format(h=h, m=m) + _AMPM.format(n=ap)


TOKEN_PATTERNS: list[tuple[str, re.Pattern[str]]] = [
    (
        "iso",
        re.compile(
            r"\b(?P<y>(?:19|20)\d\d)[-/.](?P<mo>0?[1-9]|1[0-2])[-/.](?P<d>[0-3]?\d)(?:[t ](?P<th>\d\d):(?P<tm>\d\d))?\b"
        ),
    ),
    (
        "mdy",
        re.compile(r"\b(?P<mo>0?[1-9]|1[0-2])/(?P<d>[0-3]?\d)(?:/(?P<y>(?:19|20)?\d\d))?\b"),
    ),
    (
        "dmy",
        re.compile(r"\b(?P<d>[0-3]?\d)\.(?P<mo>0?[1-9]|1[0-2])\.(?P<y>(?:19|20)\d\d)?(?!\d)"),
    ),
    (
        "month_day",
        re.compile(
            rf"\b(?P<mon>{_MON})\.?\s*,?\s*(?:the\s+)?(?:(?P<d>[0-3]?\d){_ORD}(?!\s*(?::|am|pm|h\b|uhr|-\d))|(?P<dw>{alt(ORDINALS)}))"
            r"(?:\s*,?\s*(?:of\s+|in\s+)?(?P<y>(?:19|20)\d\d))?\b"
        ),
    ),
    (
        "day_month",
        re.compile(
            rf"\b(?:the\s+)?(?:(?P<d>[0-3]?\d){_ORD}|(?P<dw>{alt(ORDINALS)})(?:\s+day)?(?=\s+of))\s*(?:of\s+|de\s+|di\s+)?(?P<mon>{_MON})\b\.?"
            r"(?:\s*,?\s*(?:of\s+|in\s+)?(?P<y>(?:19|20)\d\d))?"
        ),
    ),
    (
        "day_mon_sep",
        re.compile(rf"\b(?P<d>[0-3]?\d)[-/](?P<mon>{_MON})(?:[-/](?P<y>(?:19|20)\d\d))?\b"),
    ),
    (
        "mon_day_sep",
        re.compile(rf"\b(?:(?P<y>(?:19|20)\d\d)[-/])?(?P<mon>{_MON})[-/](?P<d>[0-3]?\d)\b"),
    ),
    (
        "span",
        re.compile(
            rf"\b(?:(?P<within>within|in|over|during|for)\s+)?(?:the\s+)?(?:(?P<mod>next|coming|upcoming|following|past|last|previous)\s+(?P<n>\d+|{alt(COUNT_WORDS)})"
            rf"|(?P<n2>\d+|{alt(COUNT_WORDS)})\s+(?P<mod2>next|coming|upcoming|following|past|last|previous))\s+"
            r"(?P<biz>business\s+|working\s+)?(?P<unit>days|weeks|fortnights|months|quarters|years|day|week|month)\b"
        ),
    ),
    (
        "position",
        re.compile(
            r"\b(?:(?P<pprep>at|by|before|in|for|from|until|till|to)\s+)?(?:the\s+)?(?P<pos>end|beginning|start|middle|mid|early|late|later|earlier|rest|remainder|remaining)"
            r"(?=[\s-])(?![\s-]+(?:as\b|(?:in\s+the\s+|this\s+)?(?:morning|afternoon|evening|night)))(?:[\s-]+(?:of|in))?"
        ),
    ),
    (
        "week_of",
        re.compile(r"\b(?:the\s+)?(?:week\s+(?:of|beginning|starting(?:\s+on)?|commencing)|w/c|wc)(?=\s)"),
    ),
    (
        "iso_week",
        re.compile(
            r"\b(?:the\s+)?(?:week|wk|kw|cw)\s?(?P<wn>[1-9]|[1-4]\d|5[0-3])\b(?!\s*(?:days|of\s+\w+\s+\d))"
        ),
    ),
    (
        "ordinal_day",
        re.compile(
            rf"(?:\b(?:on|by|until|till|before|after|from|for)\s+(?:the\s+)?|\bthe\s+)(?P<od>{ORDINAL_RE})(?:\s+day)?\b"
            r"(?!\s+(?!(?:of|at|or|and|works?|is|would|could|from|between|in|to|through|till|until|this|next)\b)[a-z])"
        ),
    ),
    (
        "clock",
        re.compile(
            rf"\b(?:(?P<prep>at|around|about|by|after|before|from|until|till)\s+)?"
            rf"(?:(?P<half>half|quarter|(?P<mins>\d{{1,2}}|{alt(MINUTE_WORDS)})(?:\s+min(?:ute)?s?)?)\s+(?P<dir>past|after|to|before)\s+(?P<h>\d{{1,2}}|{alt(HOUR_WORDS)})"
            rf"|(?P<hw>{alt(HOUR_WORDS)})(?:[\s-]+(?P<mw>{alt(MINUTE_WORDS)}))?"
            r"(?!\s+(?:of|point|another|time|stage|more|or|and|day|week|month|year|hour|minute|person|people|thing)s?\b))"
            r"(?P<suffix>\s*(?:o'?clock|a\s*\.?\s*m\b\.?|p\s*\.?\s*m\b\.?|ish\b))?(?:\s+minutes)?"
        ),
    ),
    (
        "shift",
        re.compile(
            rf"\b(?:(?P<in>in|within|after|dans|en|em|over|tra|fra)\s+)?(?:the\s+next\s+)?(?P<n>\d+(?:\.\d+)?|{_alt(NUMBERS)})\s+"
            r"(?P<unit>min(?:ute)?s?|hours?|hrs?|days?|weeks?|fortnights?|months?|years?)(?:'s|’s)?"
            r"(?:\s+(?P<dir>ago|later|from now|from today|before|after|from|since|time))?\b"
        ),
    ),
    (
        "now",
        re.compile(
            r"\b(?:right now|just now|at the moment|at present|at this time|at the minute|as of now|now)\b"
        ),
    ),
    ("eod", re.compile(r"\b(?:(?:the\s+)?eod|end of (?:the\s+)?day|end of (?P<rel>today|tomorrow))\b")),
    (
        "quarter",
        re.compile(
            r"\b(?:(?P<y>(?:19|20)\d\d)\s*)?q(?P<q>[1-4])(?:\s*(?P<y2>(?:19|20)\d\d))?\b"
            r"|\b(?:the\s+)?(?P<qw>first|second|third|fourth)\s+quarter(?:\s+of\s+(?P<y3>(?:19|20)\d\d))?"
            rf"|\b(?P<mod>{NEXT_WORDS}|{THIS_WORDS}|{LAST_WORDS})\s+quarter\b"
        ),
    ),
    (
        "month",
        re.compile(rf"\b(?:(?:in|im|en|em|in)\s+)?(?P<mon>{_MON})\b(?:\s+(?:of\s+)?(?P<y>(?:19|20)\d\d))?"),
    ),
    ("rel_day", re.compile(rf"\b(?P<rel>{_alt(REL_DAYS)})(?![\w-])")),
    (
        "weekday",
        re.compile(
            rf"\b(?:(?P<mod>{NEXT_WORDS}|{THIS_WORDS}|{LAST_WORDS}|on|am|le|el|op|a|de|o|il)\s+)?(?P<wd>{_WD})(?:-feira)?\b\.?"
            rf"(?:\s+(?P<post>next week|this week|last week|of next week|of this week|of last week|prochain|prochaine|que vem|nächste woche|nächster woche|prossimo|prossima))?"
            rf"(?:,?\s+(?:the\s+)?(?P<dom>{ORDINAL_RE}|(?:1[3-9]|2\d|3[01])(?![\d:./-]|\s*(?:am|pm|a\.m|p\.m|h\b|uhr|o'clock))))?\b"
        ),
    ),
    (
        "rel_unit",
        re.compile(
            rf"\b(?P<mod>{NEXT_WORDS}|{THIS_WORDS}|{LAST_WORDS}|the)\s+(?P<unit>week|month|year|weekend|woche|monat|jahr|semaine|mois|année|semana|mes|año|mês|ano|week|maand|jaar|settimana|mese|anno)\b"
            r"|\b(?P<unit2>semaine|semana|settimana|woche)\s+(?P<mod2>prochaine|que vem|próxima|proxima|prossima|nächste)\b"
        ),
    ),
    ("weekend", re.compile(r"\b(?:the\s+|this\s+)?weekend\b")),
    ("year", re.compile(r"\b(?:in\s+|the\s+year\s+(?:of\s+)?)?(?P<y>(?:19|20)\d\d)\b")),
    (
        "time_range",
        re.compile(
            r"\b(?:(?:from|between|at|around|von|de|entre|tra|van|dalle|um|à|a las|às|om|alle)\s+)?"
            + _time_re("h1", "m1", "ap1")
            + r"\s*(?:-|–|—|to|till|until|til|and|bis|à|a|às|tot|alle|e)\s*"
            + _time_re("h2", "m2", "ap2")
            + r"(?:\s*(?:uhr|h)\b)?"
            + r"(?!\s*(?:people|persons|users|seats|licen[cs]es|reps|employees|years|days|weeks|months|hours|minutes|times|%))"
        ),
    ),
    (
        "time_range",
        re.compile(
            r"\b(?:between\s+|from\s+)?(?P<h1>[01]\d|2[0-3])(?P<m1>[0-5]\d)\s*(?:-|–|to)\s*(?P<h2>[01]\d|2[0-3])(?P<m2>[0-5]\d)\b"
        ),
    ),
    (
        "time",
        re.compile(
            r"(?:\b(?P<prep>at|around|by|after|as early as|as late as|no later than|not before|not after|later than|before|from|um|gegen|ab|nach|vor|à|a las|a la|às|as|om|alle|verso|dopo|après|avant|desde|depois das|na|@)\s*)?"
            r"(?<![\d:.,/-])(?P<h>[01]?\d|2[0-3])(?:(?P<sep>[:.h])(?P<m>[0-5]\d))?(?![\d,/%]|\.\d|-\d)(?P<suffix>\s*(?:a\.m\.|p\.m\.|am|pm|a|p|uhr|h|o'?clock|hrs|hours|noon|ish)\b)?(?P<later>\s+or\s+(?:later|after))?"
        ),
    ),
    (
        "part",
        re.compile(
            rf"\b(?:(?P<pprep>after|before|around|at|over)\s+)?(?:(?P<half>early|late|later|earlier|mid)[\s-]+(?:in\s+)?)?"
            rf"(?:(?P<this>this\s+)|the\s+|in the\s+|am\s+|le\s+|en la\s+|de la\s+|del\s+|al\s+|di\s+|in\s+)?(?P<part>{_alt(PARTS)})\b"
        ),
    ),
    (
        "tz",
        re.compile(
            r"(?<![\w])(?:utc|gmt)\s*(?P<off>[+-]\s*(?:1[0-4]|0?\d)(?::?[0-5]\d)?)(?![\w])"
            rf"|(?<![\w])(?P<tz>{_alt(ZONES)})(?![\w])"
        ),
    ),
]


@dataclass
class Token:
    """One matched piece of a date/time expression."""

    kind: str
    start: int
    end: int
    groups: dict[str, str | None] = field(default_factory=dict)


def _valid_time(m: re.Match[str]) -> bool:
    prep, sep, suffix = m.group("prep"), m.group("sep"), m.group("suffix")
    if sep == "." and not suffix and not prep:
        return False
    if suffix and suffix.strip() in {"a", "p"} and not prep:
        return False
    if prep in {"by", "before"} and suffix and suffix.strip() == "h":
        return False
    if suffix and suffix.strip() in {"hours", "hrs"}:
        return False
    return bool(sep or suffix or (prep and prep not in {"by", "na", "as", "a la", "from"}) or prep == "@")


def _valid_clock(m: re.Match[str]) -> bool:
    """Clock words need a clue: "at five", "five thirty", "six pm", "quarter to four", "10 past 9"."""
    if m.group("dir"):
        named = m.group("half") in {"half", "quarter"} or "min" in m.group(0)
        return m.group("dir") == "past" or bool(named and m.group("dir") in {"to", "before"})
    return bool(m.group("mw") or m.group("suffix") or m.group("prep") in {"at", "around", "until", "till"})


# Kinds whose every pattern matches only where there is a digit (a year, a day number, an
# hour); most replies name no number, and :func:`scan` skips them there.
NEEDS_DIGIT = frozenset({"iso", "mdy", "dmy", "day_mon_sep", "mon_day_sep", "iso_week", "year", "time_range", "time"})
_WORD_PATTERNS = [(kind, pattern) for kind, pattern in TOKEN_PATTERNS if kind not in NEEDS_DIGIT]
_DIGIT = re.compile(r"\d")


def scan(text: str) -> list[Token]:
    """Every non-overlapping token in ``text`` (lower-cased), earliest and longest first."""
    low = text.lower()
    found: list[Token] = []
    for pattern_kind, pattern in TOKEN_PATTERNS if _DIGIT.search(low) else _WORD_PATTERNS:
        for m in pattern.finditer(low):
            kind = pattern_kind
            if m.end() == m.start():
                continue
            if kind == "time" and not _valid_time(m):
                continue
            if kind == "clock" and not _valid_clock(m):
                continue
            if kind == "shift" and not (m.group("in") or m.group("dir")):
                kind = "duration"
            if (
                kind == "tz"
                and m.group("tz") in {"et", "pt", "ct", "mt"}
                and not text[m.start() : m.end()].isupper()
            ):
                continue
            if (
                kind == "weekday"
                and m.group("wd") in {"sun", "sat", "mar", "wed", "do", "so"}
                and not m.group("mod")
            ):
                if text[m.start() : m.end()].islower() and m.group("wd") in {"sun", "sat", "mar"}:
                    continue
            if (
                kind == "month"
                and m.group("mon") in {"may", "mar", "mai", "sept", "sep", "mei"}
                and not m.group("y")
            ):
                if not re.match(r"(in|im|en|em)\s", m.group(0)):
                    continue
            found.append(Token(kind, m.start(), m.end(), m.groupdict()))
    found.sort(key=lambda t: (t.start, -(t.end - t.start)))
    chosen: list[Token] = []
    last_end = -1
    for tok in found:
        if tok.start >= last_end:
            chosen.append(tok)
            last_end = tok.end
    return chosen


_JOIN = re.compile(
    r"^[\s,]*(?:(?:at|on|um|am|à|a las|às|om|alle|at around|around|in the|on the|the|of|from|starting|de|del|el|le|il|op|"
    r"after|dès|ab|,|-|\(|\)|/)\s*)*$"
)


_POINT_RANGE = re.compile(r"^\s*(?:-|–|to|till|until|and)\s*$")
_POINTS = {"time", "time_range", "clock"}


def _combines(last: Token, tok: Token) -> bool:
    """Date tokens that build one date together ("the 15th" + "of next month")."""
    if last.kind in {"position", "week_of"}:
        return True
    pair = {last.kind, tok.kind}
    week = any(t.kind == "rel_unit" and "week" in str(t.groups.get("unit") or "") for t in (last, tok))
    return (
        pair in ({"ordinal_day", "month"}, {"iso_week", "year"}, {"span", "year"})
        or (pair == {"ordinal_day", "rel_unit"} and not week)
        or (pair in ({"weekday", "rel_unit"}, {"weekday", "position"}) and week)
    )


def group_tokens(text: str, tokens: list[Token]) -> list[list[Token]]:
    """Join tokens separated only by glue ("at", "on", commas) into expressions."""
    groups: list[list[Token]] = []
    for tok in tokens:
        gap = text[groups[-1][-1].end : tok.start].lower() if groups else ""
        if groups and tok.kind in _POINTS and [t.kind for t in groups[-1]][-1:] in (["clock"], ["time"]):
            if _POINT_RANGE.match(gap) and len([t for t in groups[-1] if t.kind in _POINTS]) == 1:
                groups[-1].append(tok)  # "three thirty to four thirty"
                continue
        if groups and _JOIN.match(gap):
            kinds = {t.kind for t in groups[-1]}
            last = groups[-1][-1]
            anchored = last.kind == "shift" and last.groups.get("dir") in {"before", "after", "from", "since"}
            clash = _is_date(tok.kind) and any(_is_date(k) for k in kinds) and not anchored
            clash = clash and not _combines(last, tok)
            clash = (
                clash
                or (tok.kind in _POINTS and bool(kinds & _POINTS))
                or (tok.kind == "part" and "part" in kinds)
            )
            if not clash:
                groups[-1].append(tok)
                continue
        groups.append([tok])
    return groups


DATE_KINDS = {
    "iso", "mdy", "dmy", "month_day", "day_month", "day_mon_sep", "mon_day_sep", "rel_day", "weekday",
    "month", "rel_unit", "weekend", "year", "eod", "now", "quarter", "span", "position", "week_of", "iso_week",
    "ordinal_day",
}  # fmt: skip


def _is_date(kind: str) -> bool:
    return kind in DATE_KINDS


def _is_time(kind: str) -> bool:
    return kind in {"time", "time_range", "part", "tz", "clock"}
