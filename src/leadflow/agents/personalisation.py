"""Personalisation: positioning, drafts per channel, and the validation gate every draft passes.

A draft references at least one research signal (``state.signals``). Offline, a template per
channel and signal kind writes it; with a model, the tier's model (strong for tier A, fast for
tier B, which is shown only its best signal, :func:`best_signals`; tier C never calls one) returns
a typed :class:`DraftOutput`. Every draft, templates
included, goes through :func:`validate`, which rejects

* unfilled placeholders (``{name}``, ``[Company]``, ``{{first_name}}``),
* claims not backed by the research signals or the knowledge base (a number, a percentage or
  "customers like X" that appears in neither),
* an email without an unsubscribe line or without the sender's address,
* over-length drafts (email body > 100 words, LinkedIn > 300 characters, SMS > 160 characters),
* a draft that uses no signal,
* a draft that quotes a field instead of writing about it: a field label ("Company size:",
  "Title:", "industry="), a null ("None", "N/A", "null") or an empty slot (``""``, ``()``,
  "Hi ,").

Offline, the template draft (:mod:`leadflow.agents._template`) goes through the same gate; a
rejected one is replaced by a plainer note (:func:`plain_draft`) that quotes nothing, so a bad
draft is never sent.

A rejected model draft is rewritten once with the reasons; if that fails too, or the model
fails (malformed output, timeout, refusal, open circuit), the template is used.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from functools import cache
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from leadflow.agents import _template
from leadflow.agents._compose import EMAIL_WORD_LIMIT, SMS_LIMIT, email_footer, sender
from leadflow.agents._llm import data_block, one_line
from leadflow.domain.models import Campaign, Channel, LeadState, SenderIdentity
from leadflow.exceptions import LeadflowError
from leadflow.llm.datablock import unescape

log = logging.getLogger(__name__)

LINKEDIN_LIMIT = 300
SIGNAL_CHARS = 600  # of one signal's text shown to the model
EVIDENCE_CHARS = 1500  # of one knowledge passage or lead field shown to the model
SMS_FOOTER = " Reply STOP to opt out."
_KIND_ORDER = ("funding", "hiring", "news", "pain_point", "tech_stack", "company_size", "other")


class Rejection(StrEnum):
    PLACEHOLDER = "placeholder"
    UNBACKED_CLAIM = "unbacked_claim"
    NO_UNSUBSCRIBE = "no_unsubscribe"
    NO_SENDER_ADDRESS = "no_sender_address"
    TOO_LONG = "too_long"
    NO_SIGNAL = "no_signal"
    FIELD_LABEL = "field_label"


class DraftOutput(BaseModel):
    """What the model returns: a subject (email only), a body, and the signal it used."""

    subject: str | None = Field(default=None, max_length=120)
    body: str = Field(min_length=1, max_length=2000)
    signal_used: str = Field(description="the text of the research signal the message references")


class Draft(BaseModel):
    """A message ready to send: body, channel footer (email/SMS) and where it came from."""

    model_config = ConfigDict(frozen=True)

    channel: Channel
    subject: str | None = None
    body: str
    footer: str = ""
    signal_used: str = ""
    source: str = "template"  # template | llm | llm_rewrite

    @property
    def text(self) -> str:
        return self.body + self.footer


@dataclass
class Personalised:
    """The chosen draft, with what it cost and what the gate rejected on the way."""

    draft: Draft
    rejections: list[list[Rejection]] = field(default_factory=list)
    model: str | None = None
    tokens: int = 0
    cost_usd: float = 0.0
    error: str | None = None


@cache
def instructions() -> str:
    """The personalisation prompt (``prompts/personalisation.md``)."""
    return (Path(__file__).parent / "prompts" / "personalisation.md").read_text(encoding="utf-8")


# -- positioning ------------------------------------------------------------------------------


def _rank(signal: Mapping[str, Any]) -> tuple[int, float]:
    kind = str(signal.get("kind"))
    order = _KIND_ORDER.index(kind) if kind in _KIND_ORDER else len(_KIND_ORDER)
    return order, -float(signal.get("confidence", 0.0))


def best_signals(signals: Sequence[Mapping[str, Any]], n: int) -> list[Mapping[str, Any]]:
    """The ``n`` signals most worth opening with, best first: by kind (funding first), then confidence."""
    return sorted((s for s in signals if str(s.get("text", "")).strip()), key=_rank)[:n]


def best_signal(signals: Sequence[Mapping[str, Any]]) -> Mapping[str, Any] | None:
    """The signal most worth opening with (the first of :func:`best_signals`)."""
    best = best_signals(signals, 1)
    return best[0] if best else None


# -- drafts -----------------------------------------------------------------------------------


def footer_for(channel: Channel, campaign: Campaign, mailbox: SenderIdentity | None = None) -> str:
    if channel is Channel.EMAIL:
        return email_footer(campaign, mailbox)
    if channel is Channel.SMS:
        return SMS_FOOTER
    return ""


def template_draft(
    channel: Channel,
    state: LeadState,
    campaign: Campaign,
    signals: Sequence[Mapping[str, Any]],
    *,
    mailbox: SenderIdentity | None = None,
    tier: str | None = None,
    proof: str | None = None,
    variant: int = 0,
) -> Draft:
    """The offline draft (:mod:`leadflow.agents._template`): the signal that reads best, why it
    matters, for tier A a proof point, and one question; worded per lead, tier C kept short."""
    rep = mailbox.name.split()[0] if mailbox else campaign.rep_name
    written = _template.write(
        channel, state.lead, state.lead_id, campaign, signals, rep=rep, tier=tier or state.tier, proof=proof,
        variant=variant,
    )
    return Draft(
        channel=channel,
        subject=written.subject if channel is Channel.EMAIL else None,
        body=written.body,
        footer=footer_for(channel, campaign, mailbox),
        signal_used=written.signal_used,
        source="template",
    )


def plain_draft(
    channel: Channel, state: LeadState, campaign: Campaign, *, mailbox: SenderIdentity | None = None
) -> Draft:
    """The safe fallback when a draft fails the gate: a short note that quotes nothing."""
    rep = mailbox.name.split()[0] if mailbox else campaign.rep_name
    written = _template.plain(channel, state.lead, campaign, rep=rep)
    return Draft(
        channel=channel,
        subject=written.subject if channel is Channel.EMAIL else None,
        body=written.body,
        footer=footer_for(channel, campaign, mailbox),
        source="template_plain",
    )


# -- the validation gate ------------------------------------------------------------------------

_PLACEHOLDER = re.compile(
    r"\{\{[^}]*\}\}|\{[A-Za-z_][\w .-]{0,40}\}|\[[A-Z][A-Za-z _.-]{1,40}\]|<<[^>]*>>|%\(\w+\)s"
)
_NUMBER = re.compile(r"\d+(?:[.,]\d+)*")
_CUSTOMERS = re.compile(
    r"\b(?i:customers?|clients?|companies|teams|brands|firms|businesses)\s+(?i:like|such as|including)\s+"
    r"([A-Z][\w&.-]*(?:\s+[A-Z][\w&.-]*)*)|\b(?i:trusted by)\s+([A-Z][\w&.-]*(?:\s+[A-Z][\w&.-]*)*)"
)
_FIELD_LABEL = re.compile(
    r"\b(?:company[ _]size|employees?|employee[ _]count|team[ _]size|industry|job[ _]title|title|"
    r"technolog(?:y|ies)|tech[ _]stack|inquiry|notes|seniority|headcount|first[ _]name|last[ _]name)"
    r"\s*(?::(?!//)|=)",
    re.I,
)
_KEY_VALUE = re.compile(r"\b[a-z]+_[a-z_]+\s*[=:]|\{\{|\}\}")
_NULLS = re.compile(r"\bNone\b|\bN/A\b|\bn/a\b|\bnull\b|\bundefined\b|\bNaN\b")
_EMPTY_SLOT = re.compile(r'""|“”|\(\s*\)|\[\s*\]|\s,|^\s*(?:hi|hello|hey|dear)\s+[,!.]', re.I | re.M)


def quotes_a_field(text: str) -> bool:
    """Whether ``text`` echoes a raw field ("Company size: 1200", "industry=", "None", "Hi ,")."""
    return bool(
        _FIELD_LABEL.search(text) or _KEY_VALUE.search(text) or _NULLS.search(text) or _EMPTY_SLOT.search(text)
    )


_UNSUBSCRIBE = re.compile(r"\bunsubscribe\b|\breply stop\b|\bopt[ -]?out\b", re.I)
_STOPWORDS = frozenset(
    "that this with from have your about their there which what when where into team".split()
)


def _norm_number(text: str) -> str:
    return text.replace(",", "").rstrip(".")


def unbacked_claims(text: str, evidence: str) -> list[str]:
    """Numbers and "customers like X" names in ``text`` that ``evidence`` does not contain."""
    known = {_norm_number(n) for n in _NUMBER.findall(evidence)}
    claims = [n for n in _NUMBER.findall(text) if _norm_number(n) not in known]
    lowered = evidence.lower()
    for match in _CUSTOMERS.finditer(text):
        name = (match.group(1) or match.group(2) or "").strip()
        if name and name.lower() not in lowered:
            claims.append(name)
    return claims


def _uses_signal(draft: Draft, signals: Sequence[Mapping[str, Any]]) -> bool:
    if not signals:
        return True  # nothing to reference: a plain opener is allowed
    used = draft.signal_used.strip().lower()
    texts = [str(s.get("text", "")).strip().lower() for s in signals]
    if not used or not any(used == t or (len(used) >= 8 and (used in t or t in used)) for t in texts):
        return False
    body = re.sub(r"(?<=\d),(?=\d{3})", "", draft.body.lower())  # "1,200 people" uses "Company size: 1200"
    words = [
        w for w in re.findall(r"[a-z0-9][a-z0-9+.#-]{2,}", used.replace("_", " ")) if w not in _STOPWORDS
    ]
    return not words or any(w in body for w in words)


def validate(
    draft: Draft,
    *,
    campaign: Campaign,
    signals: Sequence[Mapping[str, Any]],
    evidence: Iterable[str] = (),
    mailbox: SenderIdentity | None = None,
) -> list[Rejection]:
    """Return why ``draft`` may not be sent (an empty list: it may).

    Args:
        draft: The draft with its footer.
        campaign: For the sender's address and the offer (facts we may always state).
        signals: The research signals the draft may cite.
        evidence: Further text that backs claims: knowledge-base passages, the lead's fields.
        mailbox: The sender identity the email goes out from (the campaign's first otherwise).
    """
    reasons: list[Rejection] = []
    full = f"{draft.subject or ''}\n{draft.text}"
    if _PLACEHOLDER.search(full):
        reasons.append(Rejection.PLACEHOLDER)
    if quotes_a_field(f"{draft.subject or ''}\n{draft.body}"):
        reasons.append(Rejection.FIELD_LABEL)
    name, email, postal = (
        (mailbox.name, str(mailbox.email), mailbox.postal_address) if mailbox else sender(campaign)
    )
    backing = "\n".join(
        [
            *(str(s.get("text", "")) for s in signals),
            *evidence,
            campaign.offer,
            campaign.company_name,
            name,
            email,
            postal,
        ]
    )
    if unbacked_claims(f"{draft.subject or ''}\n{draft.body}", backing):
        reasons.append(Rejection.UNBACKED_CLAIM)
    if draft.channel is Channel.EMAIL:
        if not _UNSUBSCRIBE.search(draft.footer):
            reasons.append(Rejection.NO_UNSUBSCRIBE)
        if email.lower() not in draft.footer.lower() or postal.lower() not in draft.footer.lower():
            reasons.append(Rejection.NO_SENDER_ADDRESS)
        if len(draft.body.split()) > EMAIL_WORD_LIMIT:
            reasons.append(Rejection.TOO_LONG)
    elif draft.channel is Channel.SMS and len(draft.text) > SMS_LIMIT:
        reasons.append(Rejection.TOO_LONG)
    elif draft.channel is Channel.LINKEDIN and len(draft.text) > LINKEDIN_LIMIT:
        reasons.append(Rejection.TOO_LONG)
    if not _uses_signal(draft, signals):
        reasons.append(Rejection.NO_SIGNAL)
    return reasons


def evidence_for(state: LeadState, kb: Any | None, workspace_id: str, query: str) -> list[str]:
    """Text that may back claims: the lead's own fields and safe knowledge-base passages."""
    lead = state.lead
    texts = [t for t in (lead.company, lead.company_domain, lead.industry, lead.title, lead.inquiry) if t]
    if kb is not None and query.strip():
        try:
            texts += [p.text for p in kb.search(query, k=5, workspace_id=workspace_id, safe_only=True)]
        except LeadflowError as exc:  # the knowledge base is optional evidence, never a blocker
            log.info("personalisation: knowledge base search failed: %s", exc)
    return texts


# -- the model path -----------------------------------------------------------------------------


def _prompt(
    channel: Channel,
    state: LeadState,
    campaign: Campaign,
    signals: Sequence[Mapping[str, Any]],
    evidence: Sequence[str],
    problems: Sequence[Rejection] = (),
) -> str:
    lead = state.lead
    data = [
        {"kind": one_line(s.get("kind"), limit=40), "text": one_line(s.get("text"), limit=SIGNAL_CHARS),
         "source": one_line(s.get("source"), limit=300)}
        for s in signals[:8]
    ]
    prospect = {
        "first_name": lead.first_name,
        "last_name": lead.last_name,
        "title": lead.title or "unknown title",
        "company": lead.company or "unknown company",
    }
    lines = [
        f"Channel: {channel.value}",
        f"Sender: {campaign.rep_name} at {campaign.company_name}; offer: {campaign.offer}",
        data_block("prospect", prospect),
        # JSON inside the blocks: one list each, cut per item so the JSON is never cut mid-way
        data_block("signals", json.dumps(data, ensure_ascii=False)),
        # the lead's own fields come first in ``evidence``: room for the knowledge-base passages after them
        data_block("knowledge", json.dumps([one_line(e, limit=EVIDENCE_CHARS) for e in evidence[:10]], ensure_ascii=False)),
    ]
    if problems:
        lines.append(
            "Your previous draft was rejected for: "
            + ", ".join(p.value for p in problems)
            + ". Rewrite it to fix these problems."
        )
    return "\n".join(lines)


def personalise(
    channel: Channel,
    state: LeadState,
    campaign: Campaign,
    signals: Sequence[Mapping[str, Any]],
    *,
    router: Any | None = None,
    tier: str | None = None,
    evidence: Sequence[str] = (),
    mailbox: SenderIdentity | None = None,
    agent_name: str = "personalisation",
    proof: str | None = None,
    variant: int = 0,
) -> Personalised:
    """Write the draft for ``channel``: by model when ``router`` and ``tier`` are given, else by template.

    The model's draft must pass :func:`validate`; it gets one rewrite, then the template is used.
    Model errors (malformed output, refusal, timeout, open circuit, rate limits) also fall back.
    The template passes the same gate; when it does not, the plain note (:func:`plain_draft`)
    is used and the template's reasons are recorded in ``rejections``.
    """
    template = template_draft(channel, state, campaign, signals, mailbox=mailbox, proof=proof, variant=variant)
    rejected = validate(
        template, campaign=campaign, signals=signals, evidence=[*evidence, *([proof] if proof else [])],
        mailbox=mailbox,
    )
    result = Personalised(draft=template)
    if rejected:
        log.info("personalisation: template draft rejected (%s), using the plain note",
                 ", ".join(r.value for r in rejected))
        result.rejections.append(rejected)
        template = result.draft = plain_draft(channel, state, campaign, mailbox=mailbox)
    if router is None or tier not in ("fast", "strong") or not getattr(router, "available", False):
        return result
    footer = footer_for(channel, campaign, mailbox)
    problems: list[Rejection] = []
    for attempt in range(2):
        try:
            answer = router.run(
                agent_name=agent_name,
                tier=tier,
                instructions=instructions(),
                prompt=_prompt(channel, state, campaign, signals, evidence, problems),
                output_type=DraftOutput,
            )
        except LeadflowError as exc:
            result.error = f"{type(exc).__name__}: {exc}"
            log.info("personalisation: model failed, using the template: %s", exc)
            return result
        result.model = answer.model_name
        result.tokens += answer.input_tokens + answer.output_tokens
        result.cost_usd += answer.cost_usd
        output: DraftOutput = answer.output
        draft = Draft(
            channel=channel,
            subject=(output.subject or template.subject) if channel is Channel.EMAIL else None,
            body=output.body.strip(),
            footer=footer,
            signal_used=unescape(output.signal_used),  # the model read the signals escaped
            source="llm" if attempt == 0 else "llm_rewrite",
        )
        problems = validate(draft, campaign=campaign, signals=signals, evidence=evidence, mailbox=mailbox)
        if not problems:
            result.draft = draft
            return result
        result.rejections.append(problems)
    return result
