"""Bounce detection: RFC 3464 delivery status notifications and vendor plain-text formats.

A bounce is recognised in two ways:

1. **DSN** (RFC 3464): a ``message/delivery-status`` part whose per-recipient blocks
   carry ``Action: failed`` (hard) or ``Action: delayed`` (soft) and a ``Status``
   (``5.x.x`` permanent, ``4.x.x`` temporary).
2. **Plain text** from Postfix, qmail, Exim, Sendmail, Exchange, GroupWise, Yahoo, AOL,
   Netscape and many smaller MTAs: the message must come from a delivery system (a
   ``MAILER-DAEMON``/``postmaster`` sender, an empty ``Return-Path``, a delivery-failure
   subject or ``X-Failed-Recipients``) *and* its report text must say that delivery
   failed. The failed addresses are those the report text names, minus the addresses
   of the parties (us, the reporting system) and anything in the returned message.

Requiring both a system signal and failure wording keeps a human reply that says
"your last mail was undeliverable" from being taken for a bounce.
"""

from __future__ import annotations

import email
import email.utils
import re
from typing import Literal

from pydantic import BaseModel, Field

from leadflow.reply.mime import ParsedMessage

__all__ = ["Bounce", "detect_bounce"]

_MAX_SCAN = 100_000
_MAX_LINE = 2_000
_MAX_RECIPIENTS = 100

_ADDR = re.compile(
    r"(?<![\w.+/-])([A-Za-z0-9_][A-Za-z0-9._%+'-]{0,63}@[A-Za-z0-9](?:[A-Za-z0-9-]{0,62}[A-Za-z0-9])?"
    r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,62}[A-Za-z0-9])?)+)"
)
_SYSTEM_LOCAL = re.compile(
    r"^(?:mailer[-_.]?daemon|mail[-_.]?daemon|postmaster|mail[-_.]?delivery|maildelivery|"
    r"mail[-_.]?admin|mailadm|bounces?|nobody|daemon|mdaemon)$",
    re.IGNORECASE,
)
_SYSTEM_NAME = re.compile(
    r"mail delivery|mailer[-_ ]?daemon|postmaster|mail administrator|system administrator|"
    r"delivery (?:status|subsystem|system)|automated response|mail system",
    re.IGNORECASE,
)
_REPLY_SUBJECT = re.compile(r"^\s*(?:re|aw|sv|wg|fw|fwd|tr|rv|r)\s*(?:\[\d+\])?\s*:", re.IGNORECASE)
_SUBJECT = re.compile(
    r"undeliver|undelivered|not (?:been )?delivered|delivery (?:status|failure|failed|problem|notification|"
    r"report|warning|delayed|has failed)|returned mail|mail delivery|failure notice|could not (?:send|deliver)|"
    r"non remis|unzustellbar|nicht zustellbar|no se (?:pudo|puede) entregar|non recapitabile|onbestelbaar|"
    r"failed mail|mail system error|delayed mail|returned to sender|nondeliverable|mail not delivered|"
    r"message (?:not delivered|delayed)|warning: message|delivery notification|delivery failure|"
    r"mail failure|error sending|message you sent|rejected|undeliverable|non-?delivery|mail failed|"
    r"nameserver error|processing error|failed mail",
    re.IGNORECASE,
)
_FAILURE = re.compile(
    r"could ?n[o']t be delivered|was not delivered|wasn't able to deliver|was unable to deliver|"
    r"unable to deliver|undeliverable|undelivered|delivery to the following|delivery has failed|delivery failed|"
    r"delivery failure|did not reach the following|following address(?:es)? failed|permanent (?:fatal )?error|"
    r"user unknown|unknown user|no such (?:user|mailbox|recipient)|mailbox (?:unavailable|not found|is full|full)|"
    r"does not exist|doesn't exist|address rejected|recipient (?:address )?rejected|cannot be delivered|"
    r"can ?not be delivered|returned mail|failed recipient|not (?:yet )?been delivered|delivery .{0,20}postponed|"
    r"will (?:continue to |keep )?(?:retry|attempt|try)|did not receive (?:this|your) message|not reachable|"
    r"addressee unknown|did not exactly match|could not be reached|message could not be sent|"
    r"delivery (?:problem|attempts)|failed to deliver|not (?:a )?valid (?:user|recipient|mailbox)|"
    r"account (?:has been |is )?(?:disabled|discontinued|suspended|inactive)|"
    r"nicht zugestellt|nicht zustellbar|no pudo ser entregado|n'a pas pu être (?:remis|distribué)|"
    r"non è stato possibile consegnare|kon niet worden bezorgd|unknown (?:local[- ]part|recipient|address)|"
    r"invalid (?:recipient|address|mailbox)|relay(?:ing)? denied|host unknown|message delayed|delayed|"
    r"not able to deliver|no mailbox|failed addresses|fatal errors?|too many hops|"
    r"invalid (?:final )?(?:delivery )?(?:userid|user|address|recipient|mailbox)|error (?:was )?detected|"
    r"error-for|non-delivery|not delivered|was aborted|could not find a gateway|rejected|quota|"
    r"unknown host|encountered an error|intended recipient|delivery error",
    re.IGNORECASE,
)
_SOFT = re.compile(
    r"will (?:continue to |keep )?(?:retry|try again|be retried|(?:attempt|try) (?:to )?(?:deliver|send|re-?send)|"
    r"attempt delivery)|attempts will continue|will continue to (?:attempt|try)|still (?:trying|being retried)|"
    r"not yet been delivered|has not been delivered yet|delivery (?:has been |is )?(?:delayed|postponed)|"
    r"message delayed|is delayed|warning message only|just a warning|advisory|no action is required|"
    r"do not need to (?:take any action|resend)|temporar(?:y|ily) (?:failure|problem|error|unavailable)",
    re.IGNORECASE,
)
_HARD = re.compile(
    r"permanent|fatal|gave up|given up|giving up|user unknown|unknown user|does not exist|no such (?:user|mailbox)|"
    r"\b5\.\d{1,3}\.\d{1,3}\b|\b55\d[ -]|will not be retried|failed permanently|not going to try again|"
    r"no longer|after \d+ attempt",
    re.IGNORECASE,
)
_CUT = re.compile(
    r"^[ \t>]*(?:"
    r"-{2,}.*(?:original message|copy of the message|returned message|message follows|below this line|"
    r"unsent message|forwarded message|headers? (?:of|from) (?:your|the) (?:original )?message|"
    r"message headers follow|original text|rejected message|returned mail follows)|"
    r"original message (?:details|headers)|start of returned message|"
    r"\**\s*original message (?:follows|as received|headers)|(?:the )?original message follows|"
    r"the (?:first \d+ lines|text|headers) of (?:your|the) (?:original )?message|"
    r"below (?:this line )?is a copy of the message|-+ ?this is a copy of the message|"
    r"(?:return-path|received|message-id|x-mailer|dkim-signature):\s"
    r")",
    re.IGNORECASE | re.MULTILINE,
)
_QMAIL_LINE = re.compile(r"^[ \t]*<[^<>\s@]+@[^<>\s@]+>:[ \t]*$", re.MULTILINE)
_STATUS = re.compile(r"\b([245]\.\d{1,3}\.\d{1,3})\b")
_DETECTORS: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (name, re.compile(pattern, re.IGNORECASE))
    for name, pattern in (
        ("qmail", r"qmail-send program|qmail"),
        ("postfix", r"this is the postfix program|this is the mail system at host"),
        ("exim", r"created automatically by mail delivery software|following address\(es\) failed"),
        ("sendmail", r"transcript of session follows"),
        (
            "exchange",
            r"did not reach the following recipient|delivery has failed to these recipients|microsoft",
        ),
        ("groupwise", r"groupwise"),
        ("yahoo", r"message from yahoo\.com|yahoo"),
        ("aol", r"\baol\.com\b"),
        ("netscape", r"netscape|this message was undeliverable due to the following reason"),
        ("smtp32", r"rcpt to generated following response|delivery failed \d+ attempts"),
    )
)


class Bounce(BaseModel):
    """A delivery failure report: who could not be reached, and whether it was final."""

    kind: Literal["hard", "soft"]
    recipients: list[str] = Field(default_factory=list)
    status: str | None = None
    diagnostic: str | None = None
    detector: str


def _valid_address(addr: str) -> bool:
    if len(addr) > 254:  # no real address is longer (RFC 5321); a longer one is not stored as a suppression
        return False
    local, _, domain = addr.rpartition("@")
    if not local or ".." in local or local.startswith(".") or local.endswith("."):
        return False
    tld = domain.rsplit(".", 1)[-1]
    return tld.isalpha() and len(tld) >= 2


def _addresses(text: str) -> list[str]:
    seen: dict[str, None] = {}
    for match in _ADDR.finditer(text):
        addr = match.group(1).strip(".'").lower()
        if _valid_address(addr):
            seen.setdefault(addr, None)
    return list(seen)


def _is_system_address(addr: str) -> bool:
    return bool(_SYSTEM_LOCAL.match(addr.split("@", 1)[0]))


def _system_sender(msg: ParsedMessage) -> bool:
    headers = msg.headers
    if msg.from_addr and _is_system_address(msg.from_addr):
        return True
    if _SYSTEM_NAME.search(msg.from_name or "") or _SYSTEM_NAME.search(headers.get("from", "")[:200]):
        return True
    return_path = headers.get("return-path", "").strip()
    return (return_path in ("<>", "") and "return-path" in headers) or "mailer-daemon" in return_path.lower()


def _subject_signal(subject: str) -> bool:
    return bool(subject) and not _REPLY_SUBJECT.match(subject) and bool(_SUBJECT.search(subject[:300]))


def _party_addresses(msg: ParsedMessage) -> set[str]:
    """Addresses of the parties to the bounce itself: never failed recipients."""
    values = [msg.headers.get(h, "") for h in ("from", "to", "cc", "sender", "reply-to", "errors-to")]
    values += [
        msg.headers.get(h, "") for h in ("return-path", "delivered-to", "resent-from", "resent-sender")
    ]
    found = {a.lower() for _, a in email.utils.getaddresses(values) if "@" in a}
    for value in values:
        found.update(_addresses(value))
    return found


def _report_text(msg: ParsedMessage) -> str:
    """The human-readable report: the main text part up to the returned message."""
    text = msg.text[:_MAX_SCAN]
    if not text.strip():
        for ctype, body in msg.raw_parts:
            if ctype.startswith("text/") and ctype != "text/rfc822-headers" and body.strip():
                text = body[:_MAX_SCAN]
                break
    cut = _CUT.search(text)
    return text[: cut.start()] if cut else text


def _returned_addresses(msg: ParsedMessage) -> set[str]:
    """Addresses on the From/Sender lines of the returned original message."""
    found: set[str] = set()
    for ctype, body in msg.raw_parts:
        if ctype in ("message/rfc822", "text/rfc822-headers", "message/global"):
            head = body[:20_000].split("\n\n", 1)[0]
            for line in head.split("\n"):
                if line.lower().startswith(("from:", "sender:", "reply-to:", "return-path:")):
                    found.update(_addresses(line))
    return found


def _parse_dsn(msg: ParsedMessage) -> tuple[list[str], list[str], str | None, str | None] | None:
    """Read the delivery-status part: (failed, delayed, status, diagnostic) or None."""
    blocks: list[str] = []
    for ctype, body in msg.raw_parts:
        if ctype in ("message/delivery-status", "message/global-delivery-status"):
            blocks.extend(re.split(r"\n\s*\n", body[:_MAX_SCAN]))
    if not blocks:
        return None
    failed: list[str] = []
    delayed: list[str] = []
    status: str | None = None
    diagnostic: str | None = None
    for block in blocks:
        fields = email.message_from_string(block.strip() + "\n")
        recipient = str(fields.get("Original-Recipient") or fields.get("Final-Recipient") or "")
        final = str(fields.get("Final-Recipient") or "")
        if not recipient and not final:
            continue
        addrs = _addresses(recipient.split(";", 1)[-1]) or _addresses(final.split(";", 1)[-1])
        if not addrs:
            continue
        action = str(fields.get("Action") or "").strip().lower()
        code = str(fields.get("Status") or "").strip()
        if action.startswith(("delivered", "relayed", "expanded")):
            continue
        is_soft = action.startswith("delayed") or (not action and code.startswith("4"))
        (delayed if is_soft else failed).extend(a for a in addrs if a not in failed + delayed)
        if status is None and code:
            status = code.split()[0]
        if diagnostic is None and fields.get("Diagnostic-Code"):
            diagnostic = " ".join(str(fields.get("Diagnostic-Code")).split())[:500]
    return failed, delayed, status, diagnostic


_LABEL = re.compile(r"^[\W\d]*(?:[A-Za-z][\w -]{0,30}[:=]|rcpt to:?|to:?)?[\W]*$", re.IGNORECASE)
_FROM_BEFORE = re.compile(
    r"(?<!generated )(?<!expanded )(?<!forwarded )\b(?:from|sender|sent by)\s*:?\s*[<\"']?$", re.IGNORECASE
)
_TO_BEFORE = re.compile(
    r"\b(?:addressed to|sent to|delivered to|deliver to|recipients?|to|for|user|address|mailbox|userid)"
    r"\s*:?\s*['\"<\[(]?$",
    re.IGNORECASE,
)
_ECHOED_HEADER = re.compile(
    r"^[\s*>-]*(?:to|cc|bcc|from|sender|subject|sent|date|reply-to)\s*:", re.IGNORECASE
)
_LIST_INTRO = re.compile(r"recipient|address(?:es)?\b|\(s\)|follow", re.IGNORECASE)
_SMTP_CODE = re.compile(r"\b[45]\d\d\b|\b[45]\.\d{1,3}\.\d{1,3}\b|#[45]\.\d")
_BARE_NAME = re.compile(r"^[ \t]+([A-Za-z0-9][\w.+-]{0,63})\s*$")


def _report_recipients(report: str, msg: ParsedMessage) -> tuple[list[str], bool]:
    """Addresses the report names as failed, preferring those in a recipient context.

    An address is in context when its line is little more than the address (with a
    short label such as ``Unknown user:`` or a trailing reason), when its line carries
    failure wording or an SMTP status, or when the line before it announces a list
    ("... to the following recipients:"). Addresses just after "from" are senders.

    Returns:
        The addresses and whether they were found in a recipient context.
    """
    lines = report.split("\n")
    strong: list[str] = []
    loose: list[str] = []
    previous = ""
    for full_line in lines:
        line = full_line[:_MAX_LINE]
        line_flag = bool(_FAILURE.search(line) or _SMTP_CODE.search(line))
        previous_flag = bool(_FAILURE.search(previous)) or (
            previous.rstrip().endswith(":") and bool(_LIST_INTRO.search(previous))
        )
        echoed = bool(_ECHOED_HEADER.match(line))
        for match in _ADDR.finditer(line):
            addr = match.group(1).strip(".'").lower()
            before = line[max(0, match.start() - 80) : match.start()]
            if not _valid_address(addr) or echoed or _FROM_BEFORE.search(before):
                continue
            in_context = (
                line_flag
                or previous_flag
                or (match.start() <= 80 and bool(_LABEL.match(before)))
                or bool(_TO_BEFORE.search(before))
            )
            bucket = strong if in_context else loose
            if addr not in bucket and len(bucket) < _MAX_RECIPIENTS:
                bucket.append(addr)
        if line.strip():
            previous = line[-_MAX_LINE:]
    if strong:
        return strong, True
    return (loose, False) if loose else (_bare_recipients(lines, msg), False)


def _bare_recipients(lines: list[str], msg: ParsedMessage) -> list[str]:
    """AOL-style reports list bare screen names under a "following recipients" line."""
    domain = (msg.from_addr or "").rpartition("@")[2]
    parts = domain.split(".")
    if len(parts) < 2:
        return []
    base = ".".join(parts[-2:])
    found: list[str] = []
    armed = False
    for line in lines:
        if _FAILURE.search(line) and "recipient" in line.lower():
            armed = True
            continue
        match = _BARE_NAME.match(line) if armed else None
        if match and "@" not in line:
            found.append(f"{match.group(1).lower()}@{base}")
        elif armed and found and line.strip():
            break
    return found


def _detector_name(text: str, msg: ParsedMessage) -> str:
    sample = f"{msg.headers.get('from', '')}\n{text[:5_000]}"
    for name, pattern in _DETECTORS:
        if pattern.search(sample):
            return name
    return "text"


def _diagnostic_line(text: str) -> str | None:
    for line in text.split("\n"):
        if _FAILURE.search(line) or _STATUS.search(line):
            return " ".join(line.split())[:500] or None
    return None


def detect_bounce(msg: ParsedMessage) -> Bounce | None:
    """Recognise a bounce and extract its failed recipients.

    Args:
        msg: A parsed inbound message.

    Returns:
        The bounce (``hard`` for permanent failures, ``soft`` for delays and
        temporary failures), or None when the message is not a bounce.
    """
    report = _report_text(msg)
    dsn = _parse_dsn(msg)
    parties = _party_addresses(msg)
    excluded = parties | _returned_addresses(msg)
    if dsn is not None and (dsn[0] or dsn[1]):
        failed, delayed, status, diagnostic = dsn
        if failed:
            return Bounce(
                kind="hard", recipients=failed, status=status, diagnostic=diagnostic, detector="dsn"
            )
        return Bounce(kind="soft", recipients=delayed, status=status, diagnostic=diagnostic, detector="dsn")
    failure = bool(_FAILURE.search(report) or _QMAIL_LINE.search(report))
    system = _system_sender(msg) or "x-failed-recipients" in msg.headers
    report_signal = msg.is_multipart_report and msg.report_type == "delivery-status"
    if not failure or not (system or _subject_signal(msg.subject) or report_signal):
        return None
    if dsn is not None and not (dsn[0] or dsn[1]) and not failure:
        return None
    recipients = [a for a in _addresses(msg.headers.get("x-failed-recipients", "")) if a not in excluded]
    candidates, strong = _report_recipients(report, msg)
    for addr in candidates:
        if addr in (parties if strong else excluded) or addr in recipients or _is_system_address(addr):
            continue
        recipients.append(addr)
    soft = bool(_SOFT.search(report)) and not _HARD.search(report)
    status_match = _STATUS.search(report)
    status = status_match.group(1) if status_match else None
    return Bounce(
        kind="soft" if soft else "hard",
        recipients=recipients,
        status=status,
        diagnostic=_diagnostic_line(report),
        detector=_detector_name(report, msg),
    )
