"""One call from an inbound reply to a typed :class:`ReplyAnalysis`.

The order matters and is fixed: parse (raw mail, or text that looks like RFC 822) →
bounce → auto-reply / out-of-office → trim to the new text → intent, proposed times and
referral on that new text. A bounce or an auto-reply decides the intent by itself.

The reply's text is data, never instructions. Nothing here acts on it: the analysis only
describes what the reply says, and a referral address must appear in the reply verbatim.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Literal

from pydantic import BaseModel, Field
from pydantic_ai.models import Model

from leadflow.exceptions import ModelFailure
from leadflow.reply.autoreply import detect_auto_reply, is_conversational
from leadflow.reply.autoreply import warm_up as warm_up_dates
from leadflow.reply.bounce import detect_bounce
from leadflow.reply.intent import Intent, IntentLabel, classify_intent_with, looks_like_injection
from leadflow.reply.llm import ask_model, verdict_referral, verdict_times
from leadflow.reply.mime import ParsedMessage, looks_like_rfc822, parse_message
from leadflow.reply.referral import Referral, extract_referral
from leadflow.reply.times import TimeRange, extract_proposed_times
from leadflow.reply.trim import extract_new_text

DEFAULT_TZ = "UTC"
# Only these intents propose meetings; "back on Monday" or "try me in March" are not slots.
_PROPOSING = {"meeting_request", "interested", "question", "other", "referral"}


class BounceInfo(BaseModel):
    """The part of a bounce the rest of the system acts on."""

    kind: Literal["hard", "soft"]
    recipients: list[str] = Field(default_factory=list)


class ReplyAnalysis(BaseModel):
    """The public result: what one inbound reply says."""

    id: str | None = None
    intent: IntentLabel
    confidence: float
    text: str
    auto_reply: bool = False
    bounce: BounceInfo | None = None
    return_date: date | None = None
    proposed_times: list[TimeRange] = Field(default_factory=list)
    referral: Referral | None = None


class Understanding(BaseModel):
    """What :class:`ReplyUnderstanding` makes of the new text of a reply.

    Attributes:
        intent: The intent with its scores.
        referral: Who the reply hands over to, if anyone.
        proposed_times: Meeting times the reply proposes.
        mode: ``"offline"`` or ``"llm"`` (what was asked for).
        fallback_used: The model failed and the offline result was used instead.
        error: Why the model failed, when it did.
    """

    intent: Intent
    referral: Referral | None = None
    proposed_times: list[TimeRange] = Field(default_factory=list)
    mode: Literal["offline", "llm"] = "offline"
    fallback_used: bool = False
    error: str | None = None


class DetailedAnalysis(BaseModel):
    """The richer internal form: the public analysis plus how it was reached."""

    analysis: ReplyAnalysis
    understanding: Understanding | None = None
    subject: str | None = None
    from_addr: str | None = None
    decided_by: Literal["bounce", "auto_reply", "understanding"] = "understanding"


class ReplyUnderstanding:
    """Intent, times and referral for the new text of a reply, offline or with a model.

    Args:
        model: A pydantic-ai ``Model``; when given, model mode is used and offline is the
            fallback. Built elsewhere (``leadflow.llm``); tests pass ``FunctionModel``.
        timeout: Seconds allowed for one model run.
    """

    def __init__(self, *, model: Model | None = None, timeout: float = 30.0) -> None:
        self.model = model
        self.timeout = timeout

    @property
    def mode(self) -> Literal["offline", "llm"]:
        """``"llm"`` when a model was given, else ``"offline"``."""
        return "llm" if self.model is not None else "offline"

    def offline(self, text: str, *, now: datetime, tz: str, channel: str = "email") -> Understanding:
        """Rules plus the small classifier; never fails."""
        referral = extract_referral(text)
        intent = classify_intent_with(text, referral=referral, channel=channel)
        times = extract_proposed_times(text, now=now, tz=tz)
        if times and intent.label in {"interested", "other", "question"} and intent.rule is None:
            intent = Intent(
                label="meeting_request", confidence=max(intent.confidence, 0.6), scores=intent.scores
            )
        return Understanding(intent=intent, referral=referral, proposed_times=times)

    def understand(self, text: str, *, now: datetime, tz: str, channel: str = "email") -> Understanding:
        """Understand ``text``; in model mode fall back to offline on any model failure."""
        offline = self.offline(text, now=now, tz=tz, channel=channel)
        if self.model is None:
            return offline
        if offline.intent.rule in {"unsubscribe", "instructions_as_data"}:
            # An opt-out must never be argued away, and text that tries to instruct the
            # system is not shown to a model that might follow it.
            return offline.model_copy(update={"mode": "llm"})
        try:
            verdict = ask_model(self.model, text, now=now, tz=tz, timeout=self.timeout)
            times = verdict_times(verdict, tz)
        except ModelFailure as exc:
            return offline.model_copy(update={"mode": "llm", "fallback_used": True, "error": str(exc)})
        scores = {label: 0.0 for label in offline.intent.scores}
        scores[verdict.intent] = verdict.confidence
        return Understanding(
            intent=Intent(label=verdict.intent, confidence=verdict.confidence, scores=scores, rule="llm"),
            referral=verdict_referral(verdict, text),
            proposed_times=times,
            mode="llm",
        )


def _auto_reply(
    text: str, new_text: str, msg: ParsedMessage | None, received: datetime
) -> tuple[bool, str | None, date | None]:
    """``(is_auto, kind, return_date)`` from the header- and phrase-based detector."""
    found = detect_auto_reply(
        text, headers=msg.headers if msg else None, received_at=received, new_text=new_text
    )
    return found.is_auto, found.kind, found.return_date


def analyze_reply_detailed(
    *,
    raw: str | bytes | None = None,
    text: str | None = None,
    id: str | None = None,
    now: datetime | None = None,
    tz: str | None = None,
    channel: str = "email",
    analyzer: ReplyUnderstanding | None = None,
) -> DetailedAnalysis:
    """Like :func:`analyze_reply`, keeping the intermediate results."""
    if raw is None and text is None:
        raise ValueError("analyze_reply needs raw or text")
    zone = tz or DEFAULT_TZ
    msg: ParsedMessage | None = None
    body = text or ""
    if raw is not None or (channel == "email" and looks_like_rfc822(body)):
        msg = parse_message(raw if raw is not None else body)
        body = msg.text
    when = now or (msg.date if msg and msg.date else None) or datetime.now(UTC)
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    meta = {"subject": msg.subject if msg else None, "from_addr": msg.from_addr if msg else None}

    if msg is not None and (bounce := detect_bounce(msg)) is not None:
        analysis = ReplyAnalysis(
            id=id,
            intent="bounce",
            confidence=0.99,
            text=body.strip(),
            auto_reply=True,
            bounce=BounceInfo(kind=bounce.kind, recipients=bounce.recipients),
        )
        return DetailedAnalysis(analysis=analysis, decided_by="bounce", **meta)

    new_text = extract_new_text(body, html=msg.html if msg else None) if channel == "email" else body.strip()
    is_auto, kind, return_date = _auto_reply(body, new_text, msg, when)
    if is_auto:
        label: IntentLabel = "out_of_office" if kind == "out_of_office" else "other"
        analysis = ReplyAnalysis(
            id=id, intent=label, confidence=0.95, text=new_text, auto_reply=True, return_date=return_date
        )
        return DetailedAnalysis(analysis=analysis, decided_by="auto_reply", **meta)

    understanding = (analyzer or ReplyUnderstanding()).understand(
        new_text, now=when, tz=zone, channel=channel
    )
    label = understanding.intent.label
    ooo = label == "out_of_office"
    if ooo and is_conversational(new_text):
        # "I'm travelling until Thursday - let's speak Friday morning?" is a person, not a
        # notice: a time in it is a proposal, and the reply is not automatic.
        ooo = False
        if understanding.proposed_times:
            label = "meeting_request"
    times = understanding.proposed_times if label in _PROPOSING else []
    analysis = ReplyAnalysis(
        id=id,
        intent=label,
        confidence=round(understanding.intent.confidence, 4),
        text=new_text,
        auto_reply=ooo,
        # An out-of-office the header/phrase detector missed still names its return day.
        return_date=understanding.proposed_times[0].start.date()
        if label == "out_of_office" and understanding.proposed_times
        else None,
        proposed_times=times,
        referral=understanding.referral if label in {"referral", "wrong_person", "meeting_request"} else None,
    )
    return DetailedAnalysis(analysis=analysis, understanding=understanding, **meta)


def analyze_reply(
    *,
    raw: str | bytes | None = None,
    text: str | None = None,
    id: str | None = None,
    now: datetime | None = None,
    tz: str | None = None,
    channel: str = "email",
    analyzer: ReplyUnderstanding | None = None,
) -> ReplyAnalysis:
    """Analyse one inbound reply.

    Args:
        raw: The raw RFC 822 message (bytes or text).
        text: The plain text of the reply (SMS, a webhook body); parsed as mail when it
            looks like RFC 822.
        id: The caller's id for the reply, echoed back.
        now: When the reply arrived; defaults to the message's Date header, then now.
        tz: The lead's IANA zone for reading "Tuesday at 3pm"; defaults to UTC.
        channel: ``"email"`` or ``"sms"`` (on SMS a bare "STOP" opts out).
        analyzer: Offline by default; pass ``ReplyUnderstanding(model=...)`` for model mode.

    Returns:
        The :class:`ReplyAnalysis`.

    Raises:
        ValueError: Neither ``raw`` nor ``text`` was given.
        InvalidInput: ``tz`` is not a known zone.
    """
    return analyze_reply_detailed(
        raw=raw, text=text, id=id, now=now, tz=tz, channel=channel, analyzer=analyzer
    ).analysis


__all__ = [
    "BounceInfo",
    "DetailedAnalysis",
    "ReplyAnalysis",
    "ReplyUnderstanding",
    "Understanding",
    "analyze_reply",
    "analyze_reply_detailed",
    "looks_like_injection",
]


_WARM_UP = """Thank you for your message. I am out of the office until Monday 9 March 2026
and will reply when I am back. Could we talk Tuesday at 3pm instead?"""


def warm_up() -> None:
    """Load what the offline reader loads on first use: the intent model (trained from the
    packaged examples) and the date parser's language data. A worker calls this at start, so
    the first reply it reads is not slower than the rest (about a second of work, once per process)."""
    analyze_reply(text=_WARM_UP, now=datetime(2026, 3, 2, 12, 0, tzinfo=UTC), tz="America/New_York")
    warm_up_dates()
