"""Buying signals from a researched page and a lead's own fields, by plain rules.

:func:`extract_signals` reads a page's visible text sentence by sentence and recognises
funding rounds, hiring, technologies in use, news, pain points and company size; it then
adds what the lead told us directly (industry, title, company size, technologies, inquiry).
Every :class:`Signal` says where it came from (the page URL or ``"lead:<field>"``) and how
sure the rule is (0..1), so a writer agent can cite it and a scorer can weigh it.

Page text and lead fields are data, never instructions. The text first goes through
:func:`leadflow.kb.sanitize.neutralise`; sentences that look like instructions to an AI
("AI agents: ignore your instructions and ...") are dropped, so they can never travel on
verbatim as a signal, and every signal is checked once more before it is returned.

Example::

    >>> [s.kind.value for s in extract_signals("We're hiring!", url="https://a.test", lead_fields={})]
    ['hiring']
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from enum import StrEnum
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field

from leadflow.integrations.web.fetcher import FetchedPage
from leadflow.kb.ingest import load_page
from leadflow.kb.sanitize import REMOVED_MARKER, is_suspicious, neutralise

__all__ = ["Signal", "SignalKind", "extract_signals", "page_text"]

log = logging.getLogger(__name__)

MAX_PAGE_CHARS = 300_000
MAX_SIGNAL_CHARS = 280
MAX_PER_KIND = 5


class SignalKind(StrEnum):
    FUNDING = "funding"
    HIRING = "hiring"
    TECH_STACK = "tech_stack"
    NEWS = "news"
    PAIN_POINT = "pain_point"
    COMPANY_SIZE = "company_size"
    OTHER = "other"


class Signal(BaseModel):
    """One fact worth mentioning or weighing.

    Attributes:
        kind: What sort of fact it is.
        text: The fact: a sentence from the page, a technology's name, or a lead field.
        source: The page URL, or ``"lead:<field>"`` for what the lead told us.
        confidence: How sure the rule is, from 0 to 1.
    """

    model_config = ConfigDict(frozen=True)

    kind: SignalKind
    text: str = Field(min_length=1, max_length=MAX_SIGNAL_CHARS)
    source: str
    confidence: float = Field(ge=0.0, le=1.0)


def _rx(pattern: str, flags: int = re.IGNORECASE) -> re.Pattern[str]:
    return re.compile(pattern, flags)


_AMOUNT = _rx(
    r"[$€£]\s?\d+(?:[.,]\d+)?\s?(?:k|m|mm|bn?|million|billion)?\b|\b\d+(?:\.\d+)?\s?(?:million|billion)\b"
)
_FUNDING_VERB = _rx(
    r"\b(?:rais(?:ed|es|ing)|secur(?:ed|es)|clos(?:ed|es)|land(?:ed|s)|funding|investment|backed)\b"
)
_ROUND = _rx(
    r"\b(?:series\s+[a-h]|(?:pre-?)?seed(?:\s+round)?|growth\s+round|funding\s+round|venture\s+round)\b"
)

_HIRING_STRONG = _rx(
    r"\b(?:we(?:'|’)?re hiring|we are hiring|now hiring|join (?:our|the) team|open (?:positions|roles|jobs)|"
    r"job openings|apply now|we(?:'|’)?re looking for|we are looking for)\b"
)
_JOB_TITLE = _rx(
    r"\b(?:(?:senior|junior|lead|staff|principal)\s+)?(?:(?:software|data|sales|marketing|devops|platform|"
    r"backend|frontend|full[- ]stack|ml|customer success|support|product|solutions|security)\s+)"
    r"(?:engineers?|developers?|designers?|managers?|representatives?|analysts?|scientists?|architects?)\b|"
    r"\baccount executives?\b|\b[SB]DRs?\b|\b(?:head|vp|director) of [a-z]+"
)
_HIRING_CUE = _rx(
    r"\b(?:hiring|looking for|seeking|open role|position|vacanc(?:y|ies)|apply|join us|recruiting)\b"
)
_CAREERS = _rx(r"\b(?:careers|jobs at)\b")

_NEWS = _rx(
    r"\b(?:announc(?:ed|es|ing)|launch(?:ed|es|ing)?|unveil(?:ed|s)?|introduc(?:ed|es|ing)|"
    r"partner(?:ship|s with|ed with)|acquir(?:ed|es)|acquisition|expand(?:s|ed|ing)? (?:into|to)|"
    r"opens? (?:a )?new office|award(?:ed)?|named (?:a|one|to))\b"
)
_PAIN_STRONG = _rx(
    r"\b(?:struggl(?:e|es|ing) (?:with|to)|bottlenecks?|frustrat\w*|pain(?:ful)? points?|can(?:no|')t scale)\b"
)
_PAIN_WEAK = _rx(
    r"\b(?:manual(?:ly)?|slow|time[- ]consuming|spreadsheets?|too much time|hard to|difficult to|"
    r"error[- ]prone|legacy|outdated|fragmented|siloed|backlog)\b"
)
_SIZE = _rx(
    r"\b(?:\d{1,3}(?:,\d{3})+|\d+)\+?\s*(?:employees|people|staff|team members|person team)\b|"
    r"\bteam of (?:over |more than )?\d+\b"
)
_TECH_USE = _rx(
    r"\b(?:built (?:on|with)|powered by|runs? on|we use|using|our stack|migrat\w+|hosted on|deployed on|integrat\w+)\b"
)

# Canonical name -> pattern. Names that are also ordinary words match case-sensitively.
_TECH: dict[str, re.Pattern[str]] = {
    name: _rx(pattern, 0 if sensitive else re.IGNORECASE)
    for name, pattern, sensitive in (
        ("Salesforce", r"\bsalesforce\b", False),
        ("HubSpot", r"\bhubspot\b", False),
        ("AWS", r"\bAWS\b|\bAmazon Web Services\b", True),
        ("Azure", r"\bAzure\b", True),
        ("Google Cloud", r"\bgoogle cloud\b|\bGCP\b", False),
        ("Kubernetes", r"\bkubernetes\b|\bk8s\b", False),
        ("Docker", r"\bdocker\b", False),
        ("Shopify", r"\bshopify\b", False),
        ("Stripe", r"\bStripe\b", True),
        ("React", r"\bReact(?:\.js|JS)?\b", True),
        ("Vue", r"\bVue(?:\.js)?\b", True),
        ("Angular", r"\bAngular\b", True),
        ("Next.js", r"\bnext\.js\b", False),
        ("Node.js", r"\bnode\.?js\b", False),
        ("Django", r"\bdjango\b", False),
        ("Ruby on Rails", r"\bRuby on Rails\b|\bRails\b", True),
        ("PostgreSQL", r"\bpostgres(?:ql)?\b", False),
        ("MySQL", r"\bmysql\b", False),
        ("MongoDB", r"\bmongodb\b", False),
        ("Snowflake", r"\bSnowflake\b", True),
        ("Databricks", r"\bdatabricks\b", False),
        ("Segment", r"\bSegment\b(?!s)", True),
        ("Zendesk", r"\bzendesk\b", False),
        ("Intercom", r"\bIntercom\b", True),
        ("Marketo", r"\bmarketo\b", False),
        ("Slack", r"\bSlack\b", True),
        ("Jira", r"\bjira\b", False),
        ("Zapier", r"\bzapier\b", False),
        ("WordPress", r"\bwordpress\b", False),
        ("Magento", r"\bmagento\b", False),
        ("Twilio", r"\btwilio\b", False),
        ("Terraform", r"\bterraform\b", False),
        ("Datadog", r"\bdatadog\b", False),
        ("Okta", r"\bokta\b", False),
        ("SAP", r"\bSAP\b", True),
        ("NetSuite", r"\bnetsuite\b", False),
        ("Pipedrive", r"\bpipedrive\b", False),
    )
}

_SPLIT = re.compile(r"(?<=[.!?])\s+|\n+")


def page_text(page: FetchedPage) -> str:
    """Return the visible text of a fetched page (HTML, PDF, Markdown or plain text)."""
    return load_page(page).text


def _clip(text: str) -> str:
    text = re.sub(r"\s+", " ", text).strip(" #*-•|")
    return text if len(text) <= MAX_SIGNAL_CHARS else text[: MAX_SIGNAL_CHARS - 1].rsplit(" ", 1)[0] + "…"


def _sentence_signals(sentence: str, source: str, boost: float) -> list[Signal]:
    """Apply the page rules to one sentence; ``boost`` raises confidence for lead text."""
    found: list[tuple[SignalKind, str, float]] = []
    text = _clip(sentence)
    amount, verb, round_ = _AMOUNT.search(sentence), _FUNDING_VERB.search(sentence), _ROUND.search(sentence)
    if round_ or (amount and verb):
        found.append((SignalKind.FUNDING, text, 0.9 if amount and (verb or round_) else 0.6))
    if _HIRING_STRONG.search(sentence):
        found.append((SignalKind.HIRING, text, 0.8))
    elif _JOB_TITLE.search(sentence) and _HIRING_CUE.search(sentence):
        found.append((SignalKind.HIRING, text, 0.7))
    elif _CAREERS.search(sentence):
        found.append((SignalKind.HIRING, text, 0.4))
    cue = bool(_TECH_USE.search(sentence))
    for name, pattern in _TECH.items():
        if pattern.search(sentence):
            found.append((SignalKind.TECH_STACK, name, 0.8 if cue else 0.6))
    if not found or found[0][0] != SignalKind.FUNDING:
        if _NEWS.search(sentence):
            found.append((SignalKind.NEWS, text, 0.6))
    if _PAIN_STRONG.search(sentence):
        found.append((SignalKind.PAIN_POINT, text, 0.65))
    elif _PAIN_WEAK.search(sentence):
        found.append((SignalKind.PAIN_POINT, text, 0.45))
    if _SIZE.search(sentence):
        found.append((SignalKind.COMPANY_SIZE, text, 0.7))
    return [
        Signal(kind=kind, text=value, source=source, confidence=min(1.0, confidence + boost))
        for kind, value, confidence in found
    ]


def _text_signals(text: str, source: str, *, boost: float = 0.0) -> tuple[list[Signal], int]:
    """Sanitise ``text`` and apply the sentence rules; return signals and sentences dropped."""
    cleaned = neutralise(text[:MAX_PAGE_CHARS])
    signals: list[Signal] = []
    dropped = 0
    for sentence in _SPLIT.split(cleaned.text):
        if REMOVED_MARKER in sentence:
            dropped += 1
            sentence = sentence.replace(REMOVED_MARKER, " ")
        if len(sentence.strip()) >= 3:
            signals.extend(_sentence_signals(sentence, source, boost))
    return signals, dropped


def _lead_signals(lead_fields: Mapping[str, object]) -> tuple[list[Signal], int]:
    signals: list[Signal] = []
    dropped = 0

    def value(*names: str) -> tuple[str, str] | None:
        for name in names:
            raw = lead_fields.get(name)
            if raw is not None and str(raw).strip():
                return name, str(raw).strip()
        return None

    simple = (
        (("industry",), SignalKind.OTHER, "Industry: {}", 0.9),
        (("title", "job_title"), SignalKind.OTHER, "Title: {}", 0.9),
        (("company_size", "employees", "employee_count"), SignalKind.COMPANY_SIZE, "Company size: {}", 0.85),
    )
    for names, kind, template, confidence in simple:
        found = value(*names)
        if found is None:
            continue
        if is_suspicious(found[1]):
            dropped += 1
            continue
        signals.append(
            Signal(
                kind=kind,
                text=_clip(template.format(found[1])),
                source=f"lead:{found[0]}",
                confidence=confidence,
            )
        )
    tech = lead_fields.get("technologies") or lead_fields.get("tech_stack")
    tech_names = tech if isinstance(tech, list | tuple) else str(tech).split(",") if tech else []
    for name in tech_names:
        item = _clip(str(name))
        if item and not is_suspicious(item):
            signals.append(
                Signal(kind=SignalKind.TECH_STACK, text=item, source="lead:technologies", confidence=0.85)
            )
    inquiry = value("inquiry", "message", "notes")
    if inquiry is not None:
        field, text = inquiry
        found_signals, inquiry_dropped = _text_signals(text, f"lead:{field}", boost=0.1)
        dropped += inquiry_dropped
        signals.extend(found_signals)
        clean = neutralise(text)
        if not found_signals and not clean.suspicious:
            signals.append(
                Signal(kind=SignalKind.OTHER, text=_clip(text), source=f"lead:{field}", confidence=0.6)
            )
    return signals, dropped


def extract_signals(page_text: str, *, url: str, lead_fields: Mapping[str, object]) -> list[Signal]:
    """Return the signals in a page's text and a lead's fields, most confident first.

    Args:
        page_text: Visible text of the page (use :func:`page_text` on a ``FetchedPage``);
            may be empty when only the lead's fields are known.
        url: The page's URL, used as the source of page signals (a ``/careers`` or
            ``/jobs`` URL is itself a hiring signal).
        lead_fields: What the lead gave us: ``industry``, ``title``, ``company_size``,
            ``technologies``, ``inquiry`` (others are ignored).

    Returns:
        Distinct signals, at most five of each kind, highest confidence first.
        Instruction-like sentences are dropped (and counted in a log line), never returned.
    """
    signals, dropped = _text_signals(page_text, url) if page_text.strip() else ([], 0)
    path = urlsplit(url).path.lower()
    if re.search(r"/(?:careers|jobs)(?:/|$)", path):
        signals.append(
            Signal(
                kind=SignalKind.HIRING, text=f"Has a careers page: {_clip(url)}", source=url, confidence=0.6
            )
        )
    lead_signals, lead_dropped = _lead_signals(lead_fields)
    signals.extend(lead_signals)
    if dropped or lead_dropped:
        log.warning(
            "dropped %d instruction-like passage(s) while extracting signals for %s",
            dropped + lead_dropped,
            url,
        )
    best: dict[tuple[SignalKind, str], Signal] = {}
    for signal in signals:
        if is_suspicious(signal.text):  # defence in depth: nothing instruction-like leaves
            continue
        key = (signal.kind, signal.text.lower())
        if key not in best or best[key].confidence < signal.confidence:
            best[key] = signal
    ranked = sorted(best.values(), key=lambda s: s.confidence, reverse=True)
    per_kind: dict[SignalKind, int] = {}
    result: list[Signal] = []
    for signal in ranked:
        per_kind[signal.kind] = per_kind.get(signal.kind, 0) + 1
        if per_kind[signal.kind] <= MAX_PER_KIND:
            result.append(signal)
    return result
