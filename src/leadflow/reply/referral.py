"""Referral extraction: who a reply hands us over to ("please contact Jane Doe, jane@acme.com").

A referral needs a hand-over cue ("talk to", "reach out to", "I've cc'd", "wenden Sie sich
an", "contactez", "fale com", ...) and then a person: a capitalised name and/or an email
address in the same sentence. Without a cue an address is just a signature, so nothing is
returned. "Contact me at ..." and "I'll talk to Jane and get back to you" are not referrals.

Example::

    >>> extract_referral("You should talk to our CTO, Bob Smith.")
    Referral(name='Bob Smith', email=None)
"""

from __future__ import annotations

import re

from pydantic import BaseModel


class Referral(BaseModel):
    """The colleague a reply points us to."""

    name: str | None = None
    email: str | None = None


_CUE = re.compile(
    r"\b(?:please\s+)?(?:contact(?:ing)?|reach(?:ing)? out to|talk(?:ing)? to|speak(?:ing)? (?:to|with)"
    r"|get in touch with|touch base with|loop(?:ing|ed)? in|cc'?e?d|cc'?ing|copying|cop(?:ied|y)(?: in)?"
    r"|connect you (?:with|to)|introduce you to|forward(?:ing|ed)?(?: (?:this|it|your \w+))? to|try"
    r"|the (?:right|best|correct) (?:person|contact) (?:is|would be)|the person you want is|you'?ll want"
    r"|wenden sie sich an|wende dich an|sprechen sie (?:am besten |bitte )?mit|kontaktieren sie|zuständig ist"
    r"|ansprechpartner(?:in)? ist|contactez|adressez-vous à|voyez avec|parlez (?:à|avec)|je mets en copie"
    r"|contacta(?:r)?(?: con| a)?|habla(?:r)? con|dirígete a|escribe a|te pongo en copia a"
    r"|fale com|falar com|entre em contato com|contate|procure"
    r"|neem contact op met|contact opnemen met|praten met|spreken met|wend je tot|mail naar"
    r"|contatta(?:re)?|parlare con|rivolgiti a|scrivi a|ho messo in copia)\b",
    re.IGNORECASE,
)
_CC_AFTER = re.compile(
    r"\b(?:in (?:cc|copy|kopie|copia|cópia|copie)|en (?:copie|copia)|em cópia|here who|who (?:handles|owns|runs|leads|is responsible))",
    re.IGNORECASE,
)
_NOT_REFERRAL_BEFORE = re.compile(
    r"(?:i'?ll|i will|let me|need to|have to|going to|i'?d|i must|we'?ll|we will|must)\s*$", re.IGNORECASE
)
_EMAIL = re.compile(r"[A-Za-z0-9._%+\-]+@[A-Za-z0-9.\-]+\.[A-Za-z]{2,}")
_TITLE = r"(?:(?:Mr|Mrs|Ms|Dr|Herr|Herrn|Frau|Mme|Mlle|M|Sr|Sra|Sig|Dott|Dhr|Mevr)\.?[ \t]+)?"
_NAME_WORD = r"[A-ZÀ-ÖØ-Þ][a-zß-öø-ÿ'’\-]+"
_NAME = re.compile(rf"{_TITLE}{_NAME_WORD}(?:[ \t]+(?:de |van |von |da |di |der |den )?{_NAME_WORD}){{0,2}}")
_SENTENCE_END = re.compile(r"[.!?;](?:\s|$)|\n")
_STOP = {
    "i",
    "the",
    "our",
    "my",
    "please",
    "thanks",
    "thank",
    "he",
    "she",
    "they",
    "we",
    "you",
    "hi",
    "hello",
    "best",
    "regards",
    "cheers",
    "sales",
    "marketing",
    "team",
    "it",
    "head",
    "chief",
    "vp",
    "director",
    "monday",
    "tuesday",
    "wednesday",
    "thursday",
    "friday",
    "saturday",
    "sunday",
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
    "ceo",
    "cto",
    "cfo",
    "coo",
    "cc",
    "sie",
    "ihr",
    "unser",
    "unsere",
    "unseren",
    "notre",
    "nuestro",
    "nuestra",
    "nosso",
    "nossa",
    "onze",
    "il",
    "la",
    "le",
    "el",
    "o",
    "a",
    "de",
    "thx",
    "dear",
    "hey",
    "procurement",
    "finance",
    "legal",
    "operations",
    "support",
    "ops",
    "engineering",
    "hr",
    "in",
    "kollegen",
    "kollegin",
    "herrn",
    "frau",
    "herr",
    "mr",
    "ms",
    "mrs",
    "dr",
    "also",
    "and",
    "or",
}


def _valid(name: str) -> bool:
    words = [w for w in re.split(r"\s+", name) if w]
    return (
        bool(words)
        and words[-1].lower().strip(".") not in _STOP
        and any(w.lower().strip(".") not in _STOP for w in words)
    )


def _clean(name: str) -> str:
    words = name.split()
    while words and words[0].lower().strip(".") in _STOP - {"herr", "herrn", "frau", "mr", "ms", "mrs", "dr"}:
        words.pop(0)
    return " ".join(words)


def _pick_name(segment: str, *, last: bool = False) -> str | None:
    """The most name-like capitalised run: one with a title or two words beats a lone word.

    A lone capitalised word may be a German noun ("Vertriebsleiter"), so it only wins when
    nothing better is in the segment.
    """
    found = [_clean(m.group(0)) for m in _NAME.finditer(segment)]
    found = [n for n in found if n and _valid(n)]
    if last:
        found.reverse()
    strong = [n for n in found if " " in n]
    ranked = strong or found
    return ranked[0] if ranked else None


def _name_before_email(text: str, start: int) -> str | None:
    before = text[max(0, start - 60) : start]
    m = re.search(
        rf"({_TITLE}{_NAME_WORD}(?:[ \t]+{_NAME_WORD}){{0,2}})\s*(?:[(<\[,:]|\bat\b|-)?\s*$", before
    )
    if m and _valid(_clean(m.group(1))):
        return _clean(m.group(1))
    return None


def _name_from_address(email: str) -> str | None:
    local = email.split("@", 1)[0]
    parts = [p for p in re.split(r"[._]", local) if p.isalpha() and len(p) > 1]
    if len(parts) >= 2:
        return " ".join(p.capitalize() for p in parts[:3])
    return None


def _sentence(text: str, pos: int) -> tuple[int, int]:
    start = 0
    for m in _SENTENCE_END.finditer(text, 0, pos):
        start = m.end()
    end_m = _SENTENCE_END.search(text, pos)
    return start, (end_m.start() if end_m else len(text))


def extract_referral(text: str) -> Referral | None:
    """Find the person a reply refers us to.

    Args:
        text: The new text of a reply.

    Returns:
        A :class:`Referral` with a name and/or an email, or ``None`` when the reply does not
        hand over to anyone identifiable.
    """
    for cue in [*_CUE.finditer(text), *_CC_AFTER.finditer(text)]:
        if _NOT_REFERRAL_BEFORE.search(text[max(0, cue.start() - 20) : cue.start()]):
            continue
        s_start, s_end = _sentence(text, cue.start())
        after = text[cue.end() : s_end]
        if re.match(r"\s+(?:me|us|mich|uns|moi|nous)\b", after, re.IGNORECASE):
            continue
        if re.match(r"\s+(?:info|details|information|form|page|us|me)\b", after, re.IGNORECASE):
            continue
        is_cc = cue.re is _CC_AFTER
        segment = text[s_start:s_end] if is_cc else after
        if not is_cc and re.fullmatch(r"[\s:]*", after):
            # "Please contact:\nJane Doe\njane@acme.com": the person is on the next lines.
            segment = text[cue.end() : cue.end() + 120]
        email_m = _EMAIL.search(segment)
        name = _pick_name(text[s_start : cue.start()], last=True) if is_cc else _pick_name(segment)
        email = email_m.group(0) if email_m else None
        if email and not name:
            name = _name_before_email(text, email_m.start()) if email_m else None
            name = name or _name_from_address(email)
        if name or email:
            return Referral(name=name, email=email.lower() if email else None)
    return None
