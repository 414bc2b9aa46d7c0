"""Auto-reply detection: out-of-office notices and other automatic answers, with return dates.

Signals, strongest first:

- headers: RFC 3834 ``Auto-Submitted`` (anything but ``no``), ``X-Autoreply``,
  ``X-Autorespond``, ``X-Auto-Response-Suppress``, ``Precedence: auto_reply/bulk/junk``;
- subject prefixes such as "Automatic reply:", "Out of Office:", "Abwesenheitsnotiz",
  "Réponse automatique", "Respuesta automática";
- body phrases in English, German, French, Spanish, Dutch, Portuguese and Italian: absences
  ("I am out of the office", "our offices are closed until 2 January") and other automatic
  answers (receipts, ticket numbers, "this inbox is not monitored": ``_autoreply_cues``).

``kind`` is ``"out_of_office"`` for an absence, with or without a return date, and
``"auto_reply"`` for any other automatic answer; :func:`~leadflow.reply.analyze.analyze_reply`
labels the first ``out_of_office`` and the second ``other``, both with ``auto_reply: true``.
An absence phrase with nothing else automatic about the message must not read like a
conversation: "I'm out Friday but Thursday at 2pm works" is a person proposing a meeting.

An out-of-office notice usually names when the writer is back. The return date is the
*first day back*: "back on Monday 14 July" gives 14 July; "until 12.08.2025" gives the
day after (moved to Monday when that falls on a weekend). Dates are resolved with
``dateparser`` relative to when the message was received.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta

import dateparser
from pydantic import BaseModel

from leadflow.reply._autoreply_cues import CLOSED, auto_cue

__all__ = ["AutoReply", "detect_auto_reply", "is_conversational"]

_MAX_BODY = 4_000
_MAX_DATE_ATTEMPTS = 6
_LANGUAGES = ["en", "de", "fr", "es", "nl", "pt", "it"]

_OOO_SUBJECT = re.compile(
    r"out of (?:the )?office|\booo\b|abwesenheit|nicht im büro|außer haus|absence|absent|"
    r"fuera de (?:la )?oficina|ausente|afwezig|niet aanwezig|fora do escritório|fuori (?:sede|ufficio)|"
    r"assente|on (?:annual )?leave|vacation|holiday|urlaub|vacances|congé|vacaciones|vakantie|férias|ferie|不在",
    re.IGNORECASE,
)
_AUTO_SUBJECT = re.compile(
    r"^\s*(?:automatic reply|auto(?:matic)?[- ]?(?:reply|response|responder)|autoreply|"
    r"automatische antwort|abwesenheitsnotiz|réponse automatique|respuesta automática|"
    r"respuesta automatica|automatisch antwoord|resposta automática|resposta automatica|"
    r"risposta automatica|autosvar|automaattinen vastaus|自動返信|自动回复|out of (?:the )?office|"
    r"ooo\b|abwesend|absence|absent|fuera de la oficina|afwezig|ausente|fuori sede)",
    re.IGNORECASE,
)
_OOO_BODY = re.compile(
    r"out of (?:the )?office|i(?:'m| am) (?:currently |now )?(?:out|away|on (?:annual |parental |sick )?leave|"
    r"on (?:vacation|holiday|holidays)|travell?ing|off)\b|limited access to (?:my )?e-?mail|"
    r"(?:nicht|nicht mehr) im büro|bin (?:ich )?(?:derzeit |zurzeit |leider )?(?:nicht erreichbar|abwesend|im urlaub)|"
    r"außer haus|abwesenheit|"
    r"je suis (?:actuellement )?(?:absente?|en (?:congés?|vacances|déplacement))|hors du bureau|"
    r"(?:estoy|me encuentro) (?:actualmente )?(?:fuera|de vacaciones|ausente)|fuera de la oficina|"
    r"ik ben (?:momenteel |op dit moment )?(?:afwezig|niet (?:aanwezig|op kantoor)|met vakantie)|"
    r"(?:estou|encontro-me) (?:atualmente )?(?:fora|de férias|ausente)|fora do escritório|"
    r"sono (?:attualmente )?(?:assente|fuori (?:sede|ufficio)|in ferie)|fuori ufficio",
    re.IGNORECASE,
)
# A person answering in a conversation asks, proposes or agrees; a notice does not. Used
# only when nothing but the body says "automatic": "I'm out Friday but Thursday at 2pm works
# for me" is a human's reply with a meeting in it, not an out-of-office notice.
_CONVERSATIONAL = re.compile(
    r"\?|\b(?:works for me|would work|let'?s|how about|what about|could we|can we|shall we|sounds good"
    r"|send me|call me|ping me|happy to|passt (?:mir|gut)|können wir|ça me va|on peut|podemos|me va bien"
    r"|kunnen we|possiamo|va bene)\b",
    re.IGNORECASE,
)
_BACK = (
    r"back (?:in the office |at (?:my desk|work) |in office )?(?:on |from )?|return(?:ing)? (?:to the office )?(?:on )?|"
    r"returns? (?:on )?|will be back (?:on )?|reachable again (?:on |from )?|(?:re-?open(?:s|ing)?) (?:on )?|"
    r"zurück (?:am |ab )?|wieder (?:im büro |erreichbar )?(?:am |ab )?|ab dem|ab |"
    r"de retour (?:le |au bureau le )?|retour (?:le )?|à partir du|"
    r"de vuelta (?:el )?|regreso (?:el )?|vuelvo (?:el )?|a partir del?|"
    r"terug (?:op |vanaf )?|weer (?:aanwezig |op kantoor )?(?:op |vanaf )?|vanaf|"
    r"de volta (?:em |no dia |a )?|regresso (?:em |a )?|retorno (?:em |a )?|a partir de|"
    r"rientro (?:il |in ufficio il )?|di ritorno (?:il )?|rientrerò (?:il )?"
)
_UNTIL = (
    r"until|till|til|through|thru|to and including|"
    r"bis (?:einschließlich |einschl\. |inkl\. |zum |zu )?|"
    r"jusqu'au|jusqu’au|jusqu'à|jusqu’à|hasta el|hasta|tot en met|t/m|tot|até (?:ao dia |a |o )?|"
    r"fino al|fino a"
)
_RETURN = re.compile(rf"\b(?:(?P<back>{_BACK})|(?P<until>{_UNTIL}))\s*", re.IGNORECASE)
_STOP = re.compile(r"[,;!?()\n]|(?<!\d)\.\s+[A-ZÄÖÜ]|\s(?i:and|und|et|y|en|e|ed|with|mit|avec|con|met|com)\s")
_DATE_HINT = re.compile(
    r"\d|monday|tuesday|wednesday|thursday|friday|tomorrow|next|[a-zäéû]{3,}", re.IGNORECASE
)


class AutoReply(BaseModel):
    """What an inbound message says about itself as an automatic answer."""

    is_auto: bool
    kind: str | None = None
    return_date: date | None = None
    reason: str | None = None


def _header_reason(headers: dict[str, str]) -> str | None:
    h = {k.lower(): v.strip().lower() for k, v in headers.items()}
    submitted = h.get("auto-submitted")
    if submitted and submitted != "no":
        return f"Auto-Submitted: {submitted}"
    for name in ("x-autoreply", "x-autorespond", "x-autoresponder", "x-auto-reply"):
        if name in h and h[name] not in ("no", "false", "0"):
            return f"{name} header"
    if h.get("x-autogenerated") == "reply":
        return "X-Autogenerated: reply"
    precedence = h.get("precedence")
    # a mailing list stamps "bulk" on every post it relays, human ones included
    if precedence == "auto_reply" or (precedence in ("bulk", "junk") and "list-id" not in h):
        return f"Precedence: {precedence}"
    if "x-auto-response-suppress" in h:
        return "X-Auto-Response-Suppress header"
    return None


def _parse_date(fragment: str, base: datetime) -> date | None:
    settings = {
        "RELATIVE_BASE": base.replace(tzinfo=None),
        "PREFER_DATES_FROM": "future",
        "PREFER_DAY_OF_MONTH": "first",
        "DATE_ORDER": "DMY" if re.search(r"\d{1,2}\.\d{1,2}\.", fragment) else "MDY",
    }
    words = fragment.split()[:6]
    for size in range(len(words), 0, -1):
        candidate = " ".join(words[:size]).strip(" .:")
        if not candidate or not _DATE_HINT.search(candidate):
            continue
        parsed = dateparser.parse(candidate, languages=_LANGUAGES, settings=settings)
        if isinstance(parsed, datetime):
            return parsed.date()
    return None


def warm_up() -> None:
    """Have ``dateparser`` load its languages and build its patterns (a few hundred ms the
    first time, then under a millisecond a date)."""
    base = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
    for fragment in ("Monday 9 March 2026", "March 12th, please", "10.03.2026", "Montag, 9. März"):
        _parse_date(fragment, base)


def _first_working_day(day: date) -> date:
    while day.weekday() >= 5:
        day += timedelta(days=1)
    return day


def _return_date(text: str, received_at: datetime) -> date | None:
    base = received_at if received_at.tzinfo else received_at.replace(tzinfo=UTC)
    for attempt, match in enumerate(_RETURN.finditer(text[:_MAX_BODY])):
        if attempt >= _MAX_DATE_ATTEMPTS:
            break
        rest = text[match.end() : match.end() + 80]
        stop = _STOP.search(rest)
        fragment = rest[: stop.start()] if stop else rest
        if not fragment.strip() or not _DATE_HINT.search(fragment):
            continue
        day = _parse_date(fragment, base)
        if day is None or day < base.date() - timedelta(days=1) or day > base.date() + timedelta(days=400):
            continue
        if match.group("until"):
            day = _first_working_day(day + timedelta(days=1))
        return day
    return None


def is_conversational(text: str) -> bool:
    """Whether ``text`` reads like a person in a conversation (asks, proposes, agrees)."""
    return _CONVERSATIONAL.search(text[:_MAX_BODY]) is not None


def detect_auto_reply(
    text: str,
    *,
    headers: dict[str, str] | None = None,
    received_at: datetime | None = None,
    new_text: str | None = None,
) -> AutoReply:
    """Tell whether a message is an automatic reply, and when an absent writer is back.

    Args:
        text: The plain-text body (the whole body; quotes do not matter here).
        headers: Message headers (any case); ``subject`` is read from them too.
        received_at: When the message arrived; relative dates resolve against it
            (defaults to now, UTC).
        new_text: The writer's own words (quotes trimmed), when known. An absence phrase
            alone marks a message automatic only if these words do not read like a
            conversation (a question, "works for me", "let's"); defaults to ``text``.

    Returns:
        ``is_auto`` with ``kind`` ``"out_of_office"`` or ``"auto_reply"``, the first
        day back when one is stated, and a short human-readable reason.
    """
    headers = headers or {}
    lowered = {k.lower(): v for k, v in headers.items()}
    subject = lowered.get("subject", "")[:500]
    body = text[:_MAX_BODY]
    header_reason = _header_reason(lowered)
    subject_auto = bool(_AUTO_SUBJECT.search(subject))
    absence = _OOO_BODY.search(body) or CLOSED.search(body)
    ooo = bool(absence) or bool(_OOO_SUBJECT.search(subject) and (subject_auto or header_reason))
    cue = auto_cue(body)
    if header_reason:
        reason: str | None = header_reason
    elif subject_auto:
        reason = f"subject: {subject[:80]}"
    elif cue is not None:
        reason = f"body: {cue[:80]}"
    elif (
        absence
        and len(body.strip()) < 3_000
        and not is_conversational(body if new_text is None else new_text)
    ):
        reason = f"body: {absence.group(0)}"
    else:
        return AutoReply(is_auto=False)
    kind = "out_of_office" if ooo else "auto_reply"
    when = received_at or datetime.now(UTC)
    return_date = _return_date(f"{subject}\n{body}", when) if kind == "out_of_office" else None
    return AutoReply(is_auto=True, kind=kind, return_date=return_date, reason=reason)
