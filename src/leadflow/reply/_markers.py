"""Line patterns the reply trimmer recognises: quote headers, header blocks, signatures.

Every pattern here judges one line (or a few lines joined into one, for quote headers
that mail clients wrap). They cover the mail clients and languages met in practice:
English, German, French, Spanish, Portuguese, Italian, Dutch, Polish, Scandinavian,
Russian, Ukrainian, Chinese and Japanese. Lines are capped in length before matching
and no pattern nests unbounded repetition, so matching stays linear.
"""

from __future__ import annotations

import re

__all__ = [
    "EMAIL",
    "header_key",
    "is_forward_marker",
    "is_mobile_signature",
    "is_quote_header",
    "is_signoff",
    "starts_quote_header",
]

MAX_LINE = 600

# -- quote headers: "On <date>, <someone> wrote:" and friends -------------------------
_WROTE_WORDS = (
    "wrote", "writes", "said", "says", "a écrit", "a ecrit", "écrit", "nous a dit", "escribió",
    "escribio", "escreveu", "ha scritto", "scrisse", "schreef", "het volgende geschreven", "schrieb",
    "geschrieben", "schrieben Sie", "napisał(a)", "napisała", "napisał", "napisal", "pisze",
    "написал(а)", "написала", "написал", "пишет", "пише", "skrev", "kirjoitti", "yazdı", "napsal",
    "írta", "scris", "写道", "寫道", "のメッセージ", "書きました",
)  # fmt: skip


def _words(words: tuple[str, ...]) -> str:
    """An alternation of ``words``; a space in a word stands for any run of white space."""
    return "|".join(r"\s+".join(re.escape(part) for part in word.split(" ")) for word in words)


# "<wrote> :" at the end of a line, matched on the reversed line (``text[::-1]``): Python's
# ``re`` only searches forwards, so a search for "(?:wrote|...)\s*:?[...]*$" tries every word
# at every position of the line; anchored on the reversed line it reads only the line's end.
_WROTE_END_REVERSED = re.compile(
    rf"[\s\-*>.]*[:：]?\s*(?:{_words(tuple(word[::-1] for word in _WROTE_WORDS))})", re.IGNORECASE
)
_WROTE_ON_END = re.compile(
    r"\b(?:wrote|schrieb|a écrit|escribió|escreveu|ha scritto|schreef|napisał|skrev)\s+"
    r"(?:on|am|le|el|em|il|op|den)\s.{3,100}[:：]\s*$",
    re.IGNORECASE,
)


def _ends_with_wrote(text: str) -> bool:
    """Whether ``text`` ends with "wrote:" (in any supported language) or "wrote on <date>:"."""
    if _WROTE_END_REVERSED.match(text[::-1]):
        return True
    return text.rstrip().endswith((":", "：")) and _WROTE_ON_END.search(text) is not None


_OPENER = re.compile(
    r"^[\s>\-*]*(?:(?:On|At|In message|Am|Le|El|Em|Il|Op|Den|Dnia|Dňa|W dniu|Dne|Pada)\b|"
    r"在|于|於|\d|\(?[A-Za-zÀ-ÿА-я]{2,4}[.,]\s*\d)",
    re.IGNORECASE,
)
EMAIL = re.compile(r"[\w.+'-]+@[\w-]+(?:\.[\w-]+)+")
_DATEISH = re.compile(
    r"\d{4}[-/.年]\s?\d{1,2}|\d{1,2}[-/.]\d{1,2}[-/.]\d{2,4}|\d{1,2}:\d{2}|"
    r"\b\d{1,2}\.?\s+[A-Za-zÀ-ÿА-я]{3,}\.?\s+\d{4}",
)
_DATE_EMAIL_END = re.compile(r"<?\s*(?:mailto:)?[\w.+'-]+@[\w-]+(?:\.[\w-]+)+\s*>*\s*[:：]?\s*$")
_ISO_DATE_SOMEONE = re.compile(r"^[\s>]*\d{4}-\d\d-\d\d \d{1,2}:\d\d GMT[+-]\d\d:\d\d [^<>@]+$")
_POSTED_BY = re.compile(r"^[\s>]*Posted by .+ on \d{1,2}/\d{1,2}/\d{2,4}\s*$", re.IGNORECASE)
_JA_HEADER = re.compile(r"\d{4}年\d{1,2}月\d{1,2}日.{0,60}(?:[:：]|のメッセージ|書きました)\s*$")

# -- forwarded / original message markers ----------------------------------------------
_FORWARD_WORDS = (
    r"Original Message|Forwarded message|Forwarded Message|Reply message|Message d'origine|"
    r"Message transféré|Message original|Ursprüngliche Nachricht|Weitergeleitete Nachricht|"
    r"Originalnachricht|Mensaje original|Mensaje reenviado|Messaggio originale|Messaggio inoltrato|"
    r"Oorspronkelijk bericht|Origineel bericht|Doorgestuurd bericht|Mensagem original|"
    r"Mensagem encaminhada|Wiadomość oryginalna|Przekazana wiadomość|Исходное сообщение|"
    r"Пересылаемое сообщение|Пересланное сообщение|Оригінальне повідомлення|原始邮件|原始郵件|"
    r"转发的邮件|転送メッセージ|元のメッセージ|Originalmeddelande|Vidarebefordrat meddelande|"
    r"Opprinnelig melding|Videresendt melding|Oprindelig meddelelse|Alkuperäinen viesti"
)
_FORWARD_DASHED = re.compile(rf"^[\s>*_]*[-=_]{{2,}}\s*(?:{_FORWARD_WORDS})\s*[-=_]*[\s*_]*$", re.IGNORECASE)
_FORWARD_PLAIN = re.compile(
    r"^[\s>*]*(?:Begin forwarded message|Début du message (?:transféré|réexpédié)|"
    r"Anfang der weitergeleiteten Nachricht|Inicio del mensaje reenviado|"
    r"Início da mensagem (?:reencaminhada|encaminhada)|Inizio messaggio inoltrato|"
    r"Begin doorgestuurd bericht|Forwarded message|Original message)\s*:?\s*\**\s*$",
    re.IGNORECASE,
)

# -- header blocks of embedded messages (Outlook, Lotus, web mail) ---------------------
_FROM_KEYS = (
    "from", "von", "de", "da", "van", "od", "от", "发件人", "寄件者", "寄件人", "差出人", "från",
    "fra", "lähettäjä", "kimden", "feladó",
)  # fmt: skip
_OTHER_KEYS = (
    "sent", "to", "cc", "bcc", "subject", "date", "reply-to", "gesendet", "an", "betreff", "datum",
    "envoyé", "envoye", "à", "a", "objet", "enviado", "enviada", "para", "asunto", "fecha", "assunto",
    "data", "inviato", "oggetto", "risposta", "verzonden", "aan", "onderwerp", "wysłano", "wysłane",
    "do", "temat", "отправлено", "кому", "тема", "дата", "копия", "发送时间", "收件人", "主题", "日期",
    "抄送", "傳送時間", "收件者", "主旨", "送信日時", "宛先", "件名", "日付", "skickat", "till", "ämne",
    "sendt", "til", "emne", "dato", "kopi", "lähetetty", "vastaanottaja", "aihe", "cc/bcc",
)  # fmt: skip
_HEADER_KEYS = {key: key in _FROM_KEYS for key in (*_FROM_KEYS, *_OTHER_KEYS)}
_HEADER_LINE = re.compile(r"^[\s>]*\*?\s*([^\s:：*][^:：*]{0,20}?)\s*\*?\s*[:：]\s*\*?\s*(\S?)")

# -- mobile / client signatures --------------------------------------------------------
_MOBILE = re.compile(
    r"^[\s(<\[*_-]*(?:"
    r"sent (?:from|via|with|using|by|on)\b|sent from my\b|envoyé (?:de|depuis|avec)\b|"
    r"enviado (?:desde|de|do|com|con)\b|inviato da\b|verzonden (?:met|vanaf|van|via)\b|"
    r"von meinem\b|gesendet (?:von|mit|vom)\b|diese nachricht wurde von\b|"
    r"get (?:\[?outlook|the .{1,20}app)|wysłane z\b|отправлено (?:с|из)\b|skickat från\b|"
    r"sendt fra\b|lähetetty\b|从我的|從我的|iPhoneから送信|\S+ from (?:my )?(?:mobile|phone|iphone|ipad|android)\b|"
    r"from my (?:iphone|ipad|android|mobile|phone|blackberry|samsung|galaxy)"
    r")",
    re.IGNORECASE,
)

# -- sign-offs that close the new text (the name after them is kept) -------------------
_SIGNOFF = re.compile(
    r"^[\s-]*(?:(?:best|kind|warm|warmest|many|with)?\s*(?:regards|wishes)|best|cheers|thanks|"
    r"thank you|thanks again|many thanks|thx|sincerely|yours(?: truly| sincerely)?|all the best|"
    r"talk soon|take care|"
    r"(?:mit )?(?:freundlichen|besten|lieben|herzlichen|viele) grüßen?|mfg|lg|beste grüße|viele grüße|"
    r"cordialement|bien à vous|bien cordialement|salutations|merci|amitiés|"
    r"saludos(?: cordiales)?|un saludo|atentamente|gracias|"
    r"met vriendelijke groet(?:en)?|groeten|groet|mvg|"
    r"atenciosamente|abraços|obrigad[oa]|"
    r"cordiali saluti|saluti|distinti saluti|grazie|"
    r"pozdrawiam|с уважением|спасибо|"
    r"よろしくお願い(?:いた)?します|宜しくお願いします|以上、?よろしくお願いします|谢谢|此致)"
    r"[\s,.!:;]*$",
    re.IGNORECASE,
)


def _clip(line: str) -> str:
    return line[:MAX_LINE]


def is_quote_header(line: str) -> bool:
    """Tell whether one line (or several wrapped lines joined) introduces quoted history.

    Args:
        line: The line, possibly several physical lines joined with spaces.

    Returns:
        True for "On <date>, <someone> wrote:" in any supported language, for
        "<date> <someone> <email>:" headers and similar client attributions.
    """
    text = _clip(line).strip()
    if len(text) < 6:
        return False
    if _ends_with_wrote(text) and (
        _OPENER.match(text) or EMAIL.search(text) or _DATEISH.search(text) or " via " in text
    ):
        return True
    if _ISO_DATE_SOMEONE.match(text) or _POSTED_BY.match(text) or _JA_HEADER.search(text):
        return True
    bare = text.lstrip("> ")
    return bool(_DATEISH.search(bare[:80]) and _DATE_EMAIL_END.search(text) and len(text) < 250)


def starts_quote_header(line: str) -> bool:
    """Tell whether a line may be the first of a quote header wrapped over several lines."""
    text = _clip(line).strip()
    if not text or text.endswith(("!", "?")) or (text.endswith(".") and not text[-2:-1].isdigit()):
        return False
    return bool(_OPENER.match(text) or EMAIL.search(text))


def is_forward_marker(line: str) -> bool:
    """Tell whether a line opens a forwarded or original message ("-----Original Message-----")."""
    text = _clip(line)
    return bool(_FORWARD_DASHED.match(text) or _FORWARD_PLAIN.match(text))


def header_key(line: str) -> tuple[str, bool] | None:
    """Return ``(key, is_from_key)`` when a line looks like a mail header of an embedded message.

    Args:
        line: One line of text, e.g. ``*From:* Jane`` or ``Betreff: Angebot``.

    Returns:
        The lower-cased header name and whether it names the sender, or None.
    """
    match = _HEADER_LINE.match(_clip(line))
    if match is None:
        return None
    key = match.group(1).strip().lower()
    if key not in _HEADER_KEYS:
        return None
    return key, _HEADER_KEYS[key]


def is_mobile_signature(line: str) -> bool:
    """Tell whether a line is a client signature such as "Sent from my iPhone"."""
    text = line.strip()
    return 0 < len(text) <= 160 and bool(_MOBILE.match(text))


def is_signoff(line: str) -> bool:
    """Tell whether a line is a closing such as "Best regards," or "Mit freundlichen Grüßen"."""
    text = line.strip()
    return 0 < len(text) <= 40 and bool(_SIGNOFF.match(text))
