"""Raw RFC 5322 messages for the simulator: plain replies, RFC 3834 auto-replies, RFC 3464 bounces.

Built with the standard library's :mod:`email` package so that whatever parses them in
the engine sees the same structure real mail servers produce. Every function is pure:
dates and message ids come in as arguments, never from the clock.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from email.message import EmailMessage, Message
from email.mime.base import MIMEBase
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText
from email.policy import SMTP
from email.utils import format_datetime


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
    msg = EmailMessage()
    msg["From"] = from_addr
    msg["To"] = to_addr
    msg["Subject"] = _reply_subject(subject)
    msg["Date"] = format_datetime(_aware(date))
    msg["Message-ID"] = message_id
    if in_reply_to:
        msg["In-Reply-To"] = in_reply_to
        msg["References"] = in_reply_to
    msg.set_content(body)
    return msg.as_string(policy=SMTP)


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
    msg = EmailMessage()
    msg["From"] = from_addr
    msg["To"] = to_addr
    msg["Subject"] = f"Automatic reply: {(subject or '').strip()}".rstrip()
    msg["Date"] = format_datetime(_aware(date))
    msg["Message-ID"] = message_id
    if in_reply_to:
        msg["In-Reply-To"] = in_reply_to
        msg["References"] = in_reply_to
    msg["Auto-Submitted"] = "auto-replied"
    msg["X-Auto-Response-Suppress"] = "All"
    msg["X-Autoreply"] = "yes"
    msg.set_content(body)
    return msg.as_string(policy=SMTP)


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
    diagnostic = diagnostic or f"550 {status} <{original_to}>: Recipient address rejected: User unknown"
    report = MIMEMultipart("report", report_type="delivery-status")
    report["From"] = f"Mail Delivery System <MAILER-DAEMON@{reporting_mta}>"
    report["To"] = original_from
    report["Subject"] = "Undelivered Mail Returned to Sender"
    report["Date"] = format_datetime(date)
    report["Message-ID"] = message_id
    report["Auto-Submitted"] = "auto-replied"
    if original_message_id:
        report["In-Reply-To"] = original_message_id

    human = (
        f"This is the mail system at host {reporting_mta}.\n\n"
        "I'm sorry to have to inform you that your message could not\n"
        "be delivered to one or more recipients.\n\n"
        f"<{original_to}>: host {reporting_mta} said: {diagnostic}\n"
    )
    report.attach(_text_part(human, "plain"))

    per_message = Message()
    per_message["Reporting-MTA"] = f"dns; {reporting_mta}"
    per_message["Arrival-Date"] = format_datetime(_aware(original_date or date))
    per_recipient = Message()
    per_recipient["Final-Recipient"] = f"rfc822; {original_to}"
    per_recipient["Original-Recipient"] = f"rfc822; {original_to}"
    per_recipient["Action"] = "failed"
    per_recipient["Status"] = status
    per_recipient["Remote-MTA"] = f"dns; {original_to.rpartition('@')[2]}"
    per_recipient["Diagnostic-Code"] = f"smtp; {diagnostic}"
    status_part = MIMEBase("message", "delivery-status")
    del status_part["MIME-Version"]
    status_part.set_payload([per_message, per_recipient])
    report.attach(status_part)

    headers = Message()
    headers["From"] = original_from
    headers["To"] = original_to
    headers["Subject"] = (original_subject or "").strip()
    headers["Date"] = format_datetime(_aware(original_date or date))
    if original_message_id:
        headers["Message-ID"] = original_message_id
    report.attach(_text_part(headers.as_string().rstrip("\n") + "\n", "rfc822-headers"))
    # The stdlib draws a boundary from the global RNG; derive it from the id instead so
    # the same bounce is byte-for-byte the same every time.
    report.set_boundary("=_dsn_" + hashlib.sha256(message_id.encode()).hexdigest()[:24])
    return report.as_string(policy=SMTP)


def _text_part(text: str, subtype: str) -> MIMEText:
    charset = "us-ascii" if text.isascii() else "utf-8"
    part = MIMEText(text, subtype, charset)
    del part["MIME-Version"]
    return part
