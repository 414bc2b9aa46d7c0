"""Raw RFC 5322 messages for the simulator: plain replies, RFC 3834 auto-replies, RFC 3464 bounces.

The messages are the ones the standard library's :mod:`email` package writes (policy
``SMTP``), so that whatever parses them in the engine sees the same structure real mail
servers produce. Every function is pure: dates and message ids come in as arguments, never
from the clock.

Building them with :mod:`email` costs most of a millisecond each (header parsing, policy
clones, the generator), so each builder first tries a direct formatter that writes the
same bytes for the inputs the simulator gives it: plain ASCII headers that fit on a line
(or on the next one, where the stdlib folds them), bodies sent as ``7bit`` or
``quoted-printable``. Whenever an input is outside what the formatter provably reproduces
(non-ASCII or longer headers, text that looks like an RFC 2047 encoded word, bodies the
stdlib would send as ``8bit`` or ``base64``, dates that would not read back as written), it
returns None and the stdlib builder next to it, the reference, writes the message. Tests
check the two agree byte for byte.
"""

from __future__ import annotations

import hashlib
import re
from binascii import b2a_base64
from dataclasses import dataclass
from datetime import UTC, datetime
from email.message import EmailMessage, Message
from email.mime.base import MIMEBase
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText
from email.policy import SMTP
from email.quoprimime import body_encode
from email.utils import format_datetime

#: Headers and body lines longer than this are folded or encoded by the stdlib (policy default).
_MAX_LINE = 78

#: Pieces of RFC 5322 syntax the stdlib's header parser reads back exactly as written.
_ATEXT = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]"
_DOT_ATOM = rf"{_ATEXT}+(?:\.{_ATEXT}+)*"
_ADDR_SPEC = rf"{_DOT_ATOM}@{_DOT_ATOM}"
_ADDRESS = rf"(?:{_ATEXT}+(?: {_ATEXT}+)* <{_ADDR_SPEC}>|{_ADDR_SPEC})"
#: Visible ASCII words with single spaces between them.
_WORDS = r"[!-~]+(?: [!-~]+)*"

#: What each header of a text message may look like for the direct formatter to write it
#: verbatim; other names are unstructured. ``Date`` must read back as the same string, which
#: needs a four-digit year and an offset in whole minutes.
_PLAIN_HEADER = {
    "From": re.compile(_ADDRESS),
    "To": re.compile(_ADDRESS),
    "Date": re.compile(
        r"[A-Z][a-z]{2}, [0-9]{2} [A-Z][a-z]{2} [1-9][0-9]{3} [0-9]{2}:[0-9]{2}:[0-9]{2} [+-][0-9]{4}"
    ),
    "Message-ID": re.compile(rf"<{_ADDR_SPEC}>"),
}
_UNSTRUCTURED = re.compile(_WORDS)

#: Printable ASCII (no line breaks) within RFC 5322's line limit: the bounce writes such values
#: as given, its own headers unfolded and the copy of the original ones through ``Header``,
#: which wraps only past a million characters.
_PRINTABLE = re.compile(r"[ -~]{0,998}")

_AUTO_REPLY_HEADERS = (
    ("Auto-Submitted", "auto-replied"),
    ("X-Auto-Response-Suppress", "All"),
    ("X-Autoreply", "yes"),
)


def _aware(at: datetime) -> datetime:
    return at if at.tzinfo is not None else at.replace(tzinfo=UTC)


def _reply_subject(subject: str | None) -> str:
    subject = (subject or "").strip()
    return subject if subject.lower().startswith("re:") else f"Re: {subject}".rstrip()


def build_reply_raw(
    *,
    from_addr: str,
    to_addr: str,
    subject: str | None,
    body: str,
    date: datetime,
    message_id: str,
    in_reply_to: str | None = None,
) -> str:
    """Return a plain-text reply as a raw RFC 5322 message.

    Args:
        from_addr: The prospect, e.g. ``"Ana Silva <ana@example.com>"``.
        to_addr: Who the reply goes to (our sender).
        subject: The subject of the message being answered; ``Re:`` is added once.
        body: The reply text, quoted history included if any.
        date: When the reply was sent; naive values are read as UTC.
        message_id: The reply's ``Message-ID``, angle brackets included.
        in_reply_to: The ``Message-ID`` of the message answered, if known.
    """
    headers = _thread_headers(from_addr, to_addr, _reply_subject(subject), date, message_id, in_reply_to)
    return _text_message(headers, body)


def build_ooo_raw(
    *,
    from_addr: str,
    to_addr: str,
    subject: str | None,
    body: str,
    date: datetime,
    message_id: str,
    in_reply_to: str | None = None,
) -> str:
    """Return an out-of-office auto-reply as RFC 3834 describes it.

    It carries ``Auto-Submitted: auto-replied`` plus the non-standard headers Exchange
    and others add (``X-Auto-Response-Suppress``, ``X-Autoreply``), so detectors keyed on
    either kind find it. Arguments are as for :func:`build_reply_raw`; ``body`` should
    name the return date.
    """
    subject = f"Automatic reply: {(subject or '').strip()}".rstrip()
    headers = _thread_headers(from_addr, to_addr, subject, date, message_id, in_reply_to)
    return _text_message([*headers, *_AUTO_REPLY_HEADERS], body)


def _thread_headers(
    from_addr: str, to_addr: str, subject: str, date: datetime, message_id: str, in_reply_to: str | None
) -> list[tuple[str, str]]:
    headers = [
        ("From", from_addr),
        ("To", to_addr),
        ("Subject", subject),
        ("Date", format_datetime(_aware(date))),
        ("Message-ID", message_id),
    ]
    if in_reply_to:
        headers += [("In-Reply-To", in_reply_to), ("References", in_reply_to)]
    return headers


def _text_message(headers: list[tuple[str, str]], body: str) -> str:
    """The text/plain message with these headers, in this order, and this body."""
    fast = _format_text_message(headers, body)
    return fast if fast is not None else _stdlib_text_message(headers, body)


def _stdlib_text_message(headers: list[tuple[str, str]], body: str) -> str:
    """The reference: the message as :class:`~email.message.EmailMessage` writes it."""
    msg = EmailMessage()
    for name, value in headers:
        msg[name] = value
    msg.set_content(body)
    return msg.as_string(policy=SMTP)


def _format_text_message(headers: list[tuple[str, str]], body: str) -> str | None:
    """What :func:`_stdlib_text_message` returns, written directly; None outside the safe inputs.

    A header is written verbatim when its value is one the header registry parses and
    refolds to the same text (see ``_PLAIN_HEADER``): on the header's line if it fits in 78
    characters, else alone on the next line, as the stdlib folds a value that fits there.
    """
    lines = []
    for name, value in headers:
        if (
            len(value) >= _MAX_LINE
            or "=?" in value  # the parser would decode it as an RFC 2047 encoded word
            or not _PLAIN_HEADER.get(name, _UNSTRUCTURED).fullmatch(value)
        ):
            return None
        fits = len(name) + 2 + len(value) <= _MAX_LINE
        lines.append(f"{name}: {value}\r\n" if fits else f"{name}:\r\n {value}\r\n")
    encoded = _encode_body(body)
    if encoded is None:
        return None
    cte, payload = encoded
    lines += (
        'Content-Type: text/plain; charset="utf-8"\r\n',
        f"Content-Transfer-Encoding: {cte}\r\n",
        "MIME-Version: 1.0\r\n\r\n",
        payload.replace("\n", "\r\n"),
    )
    return "".join(lines)


def _encode_body(body: str) -> tuple[str, str] | None:
    """The transfer encoding and payload ``set_content`` picks for ``body`` in UTF-8.

    The same choice as :mod:`email.contentmanager` makes under the default policy: ``7bit``
    when every line is ASCII and at most 78 bytes long; with a longer line, whichever of
    quoted-printable and base64 is shorter on the first ten lines. None for ``8bit`` (the
    generator re-encodes that one) and ``base64``, which are left to the stdlib. The payload's
    lines end in ``\\n``.
    """
    lines = body.encode().splitlines()
    normal = b"\n".join(lines) + b"\n"
    if max(map(len, lines), default=0) <= _MAX_LINE:
        return ("7bit", normal.decode("ascii")) if normal.isascii() else None
    sniff = b"\n".join(lines[:10]) + b"\n"
    if len(body_encode(sniff.decode("latin-1"), _MAX_LINE)) > len(b2a_base64(sniff)):
        return None
    return "quoted-printable", body_encode(normal.decode("latin-1"), _MAX_LINE)


@dataclass(frozen=True, slots=True)
class _Dsn:
    """What a bounce says, as the strings that go into it."""

    original_from: str
    original_to: str
    subject: str
    date: str
    original_date: str
    message_id: str
    original_message_id: str | None
    reporting_mta: str
    status: str
    diagnostic: str

    def headers(self) -> list[tuple[str, str]]:
        """The DSN's own headers, after Content-Type and MIME-Version."""
        headers = [
            ("From", f"Mail Delivery System <MAILER-DAEMON@{self.reporting_mta}>"),
            ("To", self.original_from),
            ("Subject", "Undelivered Mail Returned to Sender"),
            ("Date", self.date),
            ("Message-ID", self.message_id),
            ("Auto-Submitted", "auto-replied"),
        ]
        if self.original_message_id:
            headers.append(("In-Reply-To", self.original_message_id))
        return headers

    def human(self) -> str:
        """The human-readable explanation, the first part."""
        mta = self.reporting_mta
        return (
            f"This is the mail system at host {mta}.\n\n"
            "I'm sorry to have to inform you that your message could not\n"
            "be delivered to one or more recipients.\n\n"
            f"<{self.original_to}>: host {mta} said: {self.diagnostic}\n"
        )

    def per_message(self) -> list[tuple[str, str]]:
        """The per-message fields of the ``message/delivery-status`` part."""
        return [("Reporting-MTA", f"dns; {self.reporting_mta}"), ("Arrival-Date", self.original_date)]

    def per_recipient(self) -> list[tuple[str, str]]:
        """The per-recipient fields of the ``message/delivery-status`` part."""
        to = self.original_to
        return [
            ("Final-Recipient", f"rfc822; {to}"),
            ("Original-Recipient", f"rfc822; {to}"),
            ("Action", "failed"),
            ("Status", self.status),
            ("Remote-MTA", f"dns; {to.rpartition('@')[2]}"),
            ("Diagnostic-Code", f"smtp; {self.diagnostic}"),
        ]

    def original_headers(self) -> list[tuple[str, str]]:
        """The bounced message's headers, the third part."""
        headers = [
            ("From", self.original_from),
            ("To", self.original_to),
            ("Subject", self.subject),
            ("Date", self.original_date),
        ]
        if self.original_message_id:
            headers.append(("Message-ID", self.original_message_id))
        return headers

    def boundary(self) -> str:
        """The MIME boundary: derived from the id (the stdlib would draw it from the global RNG)."""
        return "=_dsn_" + hashlib.sha256(self.message_id.encode()).hexdigest()[:24]


def build_bounce_raw(
    *,
    original_from: str,
    original_to: str,
    original_subject: str | None,
    date: datetime,
    message_id: str,
    original_message_id: str | None = None,
    original_date: datetime | None = None,
    reporting_mta: str = "mx1.example.net",
    status: str = "5.1.1",
    diagnostic: str | None = None,
) -> str:
    """Return a hard bounce: an RFC 3464 delivery status notification.

    The message is ``multipart/report; report-type=delivery-status`` with three parts: a
    human-readable explanation, a ``message/delivery-status`` part (``Reporting-MTA``,
    then ``Final-Recipient``, ``Action: failed``, ``Status`` and ``Diagnostic-Code`` for
    the recipient) and the original headers as ``text/rfc822-headers``.

    Args:
        original_from: Our sender address, which the DSN is sent back to.
        original_to: The address that does not exist.
        original_subject: Subject of the bounced message.
        date: When the DSN was generated; naive values are read as UTC.
        message_id: The DSN's own ``Message-ID``.
        original_message_id: ``Message-ID`` of the bounced message, if known.
        original_date: When the bounced message was sent; defaults to ``date``.
        reporting_mta: Host name of the MTA that gave up.
        status: The RFC 3463 enhanced status code.
        diagnostic: The remote SMTP server's words; a typical 550 by default.
    """
    date = _aware(date)
    dsn = _Dsn(
        original_from=original_from,
        original_to=original_to,
        subject=(original_subject or "").strip(),
        date=format_datetime(date),
        original_date=format_datetime(_aware(original_date or date)),
        message_id=message_id,
        original_message_id=original_message_id,
        reporting_mta=reporting_mta,
        status=status,
        diagnostic=diagnostic or f"550 {status} <{original_to}>: Recipient address rejected: User unknown",
    )
    fast = _format_bounce(dsn)
    return fast if fast is not None else _stdlib_bounce(dsn)


def _stdlib_bounce(dsn: _Dsn) -> str:
    """The reference: the DSN as the :mod:`email` MIME classes write it."""
    report = MIMEMultipart("report", report_type="delivery-status")
    for name, value in dsn.headers():
        report[name] = value
    report.attach(_text_part(dsn.human(), "plain"))

    per_message = Message()
    for name, value in dsn.per_message():
        per_message[name] = value
    per_recipient = Message()
    for name, value in dsn.per_recipient():
        per_recipient[name] = value
    status_part = MIMEBase("message", "delivery-status")
    del status_part["MIME-Version"]
    status_part.set_payload([per_message, per_recipient])
    report.attach(status_part)

    headers = Message()
    for name, value in dsn.original_headers():
        headers[name] = value
    report.attach(_text_part(headers.as_string().rstrip("\n") + "\n", "rfc822-headers"))
    report.set_boundary(dsn.boundary())
    return report.as_string(policy=SMTP)


def _text_part(text: str, subtype: str) -> MIMEText:
    charset = "us-ascii" if text.isascii() else "utf-8"
    part = MIMEText(text, subtype, charset)
    del part["MIME-Version"]
    return part


def _format_bounce(dsn: _Dsn) -> str | None:
    """What :func:`_stdlib_bounce` returns, written directly; None outside the safe inputs.

    With every field printable ASCII (see ``_PRINTABLE``) all headers come out as given and
    both text parts are ASCII, sent ``7bit``.
    """
    fields = (
        dsn.original_from, dsn.original_to, dsn.subject, dsn.message_id, dsn.original_message_id or "",
        dsn.reporting_mta, dsn.status, dsn.diagnostic,
    )  # fmt: skip
    if not all(_PRINTABLE.fullmatch(field) for field in fields):
        return None
    boundary = dsn.boundary()
    ascii_text = 'charset="us-ascii"\r\nContent-Transfer-Encoding: 7bit\r\n\r\n'
    parts = (
        "Content-Type: text/plain; " + ascii_text + dsn.human().replace("\n", "\r\n"),
        "Content-Type: message/delivery-status\r\n\r\n"
        + _header_block(dsn.per_message())
        + "\r\n"
        + _header_block(dsn.per_recipient()),
        "Content-Type: text/rfc822-headers; " + ascii_text + _header_block(dsn.original_headers()),
    )
    return (
        f'Content-Type: multipart/report; report-type="delivery-status"; boundary="{boundary}"\r\n'
        "MIME-Version: 1.0\r\n"
        + _header_block(dsn.headers())
        + f"\r\n--{boundary}\r\n"
        + f"\r\n--{boundary}\r\n".join(parts)
        + f"\r\n--{boundary}--\r\n"
    )


def _header_block(headers: list[tuple[str, str]]) -> str:
    return "".join(f"{name}: {value}\r\n" for name, value in headers)
