"""Tests for leadflow.reply.bounce: DSNs, vendor plain-text bounces and human look-alikes."""

from __future__ import annotations

from leadflow.reply.bounce import detect_bounce
from leadflow.reply.mime import parse_message


def _dsn(action: str, status: str, diagnostic: str) -> bytes:
    return f"""\
Return-Path: <>
From: Mail Delivery System <MAILER-DAEMON@mx1.example.net>
To: sam@leadflow.test
Subject: Undelivered Mail Returned to Sender
Content-Type: multipart/report; report-type=delivery-status; boundary="B0"

--B0
Content-Type: text/plain

This is the mail system at host mx1.example.net.

I'm sorry to have to inform you that your message could not
be delivered to one or more recipients.

--B0
Content-Type: message/delivery-status

Reporting-MTA: dns; mx1.example.net
Arrival-Date: Tue,  8 Jul 2025 10:00:00 +0000 (UTC)

Final-Recipient: rfc822; lena.k@example.org
Original-Recipient: rfc822;Lena.K@example.org
Action: {action}
Status: {status}
Remote-MTA: dns; mx.example.org
Diagnostic-Code: smtp; {diagnostic}

--B0
Content-Type: text/rfc822-headers

From: Sam Seller <sam@leadflow.test>
To: lena.k@example.org
Subject: Quick question

--B0--
""".encode()


def test_dsn_hard_failure() -> None:
    bounce = detect_bounce(
        parse_message(_dsn("failed", "5.1.1", "550 5.1.1 <lena.k@example.org>: User unknown"))
    )
    assert bounce is not None
    assert bounce.kind == "hard"
    assert bounce.recipients == ["lena.k@example.org"]
    assert bounce.status == "5.1.1"
    assert bounce.diagnostic is not None and "User unknown" in bounce.diagnostic
    assert bounce.detector == "dsn"


def test_dsn_delayed_is_soft() -> None:
    bounce = detect_bounce(parse_message(_dsn("delayed", "4.4.7", "451 4.4.7 try again later")))
    assert bounce is not None
    assert bounce.kind == "soft"
    assert bounce.status == "4.4.7"


def test_dsn_success_notification_is_not_a_bounce() -> None:
    assert detect_bounce(parse_message(_dsn("delivered", "2.0.0", "250 ok"))) is None


def test_postfix_plain_text() -> None:
    raw = b"""\
From: MAILER-DAEMON@mail.example.com (Mail Delivery System)
To: sam@leadflow.test
Subject: Undelivered Mail Returned to Sender

This is the Postfix program at host mail.example.com.

I'm sorry to have to inform you that the message returned
below could not be delivered to one or more destinations.

<old.buyer@example.com>: host mx.example.com[192.0.2.1] said: 550 5.1.1
    Recipient address rejected: User unknown (in reply to RCPT TO command)

--- Delivery report unavailable ---
"""
    bounce = detect_bounce(parse_message(raw))
    assert bounce is not None
    assert bounce.recipients == ["old.buyer@example.com"]
    assert bounce.kind == "hard"
    assert bounce.status == "5.1.1"
    assert bounce.detector == "postfix"


def test_qmail_plain_text() -> None:
    raw = b"""\
From: MAILER-DAEMON@mx.example.de
To: sam@leadflow.test
Subject: failure notice

Hi. This is the qmail-send program at mx.example.de.
I'm afraid I wasn't able to deliver your message to the following addresses.
This is a permanent error; I've given up. Sorry it didn't work out.

<k.weber@example.de>:
Sorry, no mailbox here by that name. (#5.1.1)

--- Below this line is a copy of the message.

From: sam@leadflow.test
To: k.weber@example.de
"""
    bounce = detect_bounce(parse_message(raw))
    assert bounce is not None
    assert bounce.recipients == ["k.weber@example.de"]
    assert bounce.kind == "hard"
    assert bounce.detector == "qmail"


def test_exim_with_x_failed_recipients() -> None:
    raw = b"""\
From: Mail Delivery System <Mailer-Daemon@relay.example.co.uk>
To: sam@leadflow.test
Subject: Mail delivery failed: returning message to sender
X-Failed-Recipients: j.smith@example.co.uk
Auto-Submitted: auto-replied

This message was created automatically by mail delivery software.

A message that you sent could not be delivered to one or more of its
recipients. This is a permanent error. The following address(es) failed:

  j.smith@example.co.uk
    mailbox is full: retry timeout exceeded

------ This is a copy of the message, including all the headers. ------
From: Sam Seller <sam@leadflow.test>
"""
    bounce = detect_bounce(parse_message(raw))
    assert bounce is not None
    assert bounce.recipients == ["j.smith@example.co.uk"]
    assert bounce.kind == "hard"
    assert bounce.detector == "exim"


def test_exchange_undeliverable() -> None:
    raw = b"""\
From: postmaster@corp.example.com
To: sam@leadflow.test
Subject: Undeliverable: Quick question
Content-Type: text/plain

Delivery has failed to these recipients or groups:

Maria Lopez (maria.lopez@corp.example.com)
The email address you entered couldn't be found. Please check the recipient's email address and try to resend the message.

Diagnostic information for administrators:
Remote Server returned '550 5.1.10 RESOLVER.ADR.RecipientNotFound; Recipient not found by SMTP address lookup'

Original message headers:
From: Sam Seller <sam@leadflow.test>
To: <maria.lopez@corp.example.com>
"""
    bounce = detect_bounce(parse_message(raw))
    assert bounce is not None
    assert bounce.recipients == ["maria.lopez@corp.example.com"]
    assert bounce.kind == "hard"
    assert bounce.detector == "exchange"


def test_sendmail_warning_is_soft() -> None:
    raw = b"""\
From: Mail Delivery Subsystem <MAILER-DAEMON@mx.example.org>
To: sam@leadflow.test
Subject: Warning: could not send message for past 4 hours

    **********************************************
    **      THIS IS A WARNING MESSAGE ONLY      **
    **  YOU DO NOT NEED TO RESEND YOUR MESSAGE  **
    **********************************************

The original message was received at Tue, 8 Jul 2025 06:00:00 GMT

   ----- Transcript of session follows -----
<p.novak@example.org>... Deferred: Connection timed out with mx.example.org.
Warning: message still undelivered after 4 hours
Will keep trying until message is 5 days old
"""
    bounce = detect_bounce(parse_message(raw))
    assert bounce is not None
    assert bounce.kind == "soft"
    assert bounce.recipients == ["p.novak@example.org"]


def test_simple_could_not_be_delivered_notice() -> None:
    raw = b"""\
From: "Postmaster" <postmaster@mail.example.net>
To: sam@leadflow.test
Subject: Delivery failure

Your message could not be delivered to
t.ngata@example.net
because the mailbox does not exist.
"""
    bounce = detect_bounce(parse_message(raw))
    assert bounce is not None
    assert bounce.recipients == ["t.ngata@example.net"]
    assert bounce.kind == "hard"


def test_human_reply_mentioning_undeliverable_is_not_a_bounce() -> None:
    raw = b"""\
From: Lena Kraus <lena@example.com>
To: sam@leadflow.test
Subject: Re: Quick question

Hi Sam, your first email to my old address lena.k@example.org was undeliverable,
it could not be delivered because that mailbox does not exist any more. Use this one.

On Mon, Jul 7, 2025 at 9:02 AM Sam Seller <sam@leadflow.test> wrote:
> Hi Lena,
"""
    assert detect_bounce(parse_message(raw)) is None


def test_out_of_office_is_not_a_bounce() -> None:
    raw = b"""\
From: Tom Baker <tom@example.com>
To: sam@leadflow.test
Subject: Automatic reply: Quick question
Auto-Submitted: auto-replied

I am out of the office until Monday 14 July with limited access to email.
"""
    assert detect_bounce(parse_message(raw)) is None


def test_parties_and_postmaster_are_never_recipients() -> None:
    raw = b"""\
From: MAILER-DAEMON@mx.example.com
To: sam@leadflow.test
Subject: Returned mail: see transcript for details

The following addresses had permanent fatal errors:
<gone@example.com>
    (reason: 550 5.1.1 User unknown)

For help, contact postmaster@mx.example.com.
Sent from sam@leadflow.test
"""
    bounce = detect_bounce(parse_message(raw))
    assert bounce is not None
    assert bounce.recipients == ["gone@example.com"]


def test_huge_single_line_report_is_fast_and_capped() -> None:
    import time

    body = b"".join(b"could not be delivered to user%d@example.com ---- " % i for i in range(120_000))
    raw = b"From: MAILER-DAEMON@mx.example.com\nSubject: Undeliverable\n\n" + body
    started = time.perf_counter()
    bounce = detect_bounce(parse_message(raw))
    assert time.perf_counter() - started < 10
    assert bounce is not None
    assert 0 < len(bounce.recipients) <= 100
