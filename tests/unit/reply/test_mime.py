"""Tests for leadflow.reply.mime: tolerant MIME parsing and HTML-to-text conversion."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta, timezone

from leadflow.reply.mime import html_to_text, looks_like_rfc822, parse_message

GMAIL_ALTERNATIVE = b"""\
Return-Path: <anna.schmidt@example.de>
Message-ID: <CAF=abc123@mail.gmail.com>
In-Reply-To: <out-42@leadflow.test>
References: <out-41@leadflow.test>
 <out-42@leadflow.test>
Date: Tue, 8 Jul 2025 10:15:02 +0200
From: =?UTF-8?Q?Anna_M=C3=BCller?= <Anna.Mueller@Example.de>
To: Sam Seller <sam@leadflow.test>, ops@leadflow.test
Subject: =?UTF-8?Q?Re:_Angebot_f=C3=BCr_Q3?=
MIME-Version: 1.0
Content-Type: multipart/alternative; boundary="000000000000b1"

--000000000000b1
Content-Type: text/plain; charset="UTF-8"
Content-Transfer-Encoding: quoted-printable

Hallo Sam,

gerne n=C3=A4chste Woche.

Am Mo., 7. Juli 2025 um 09:00 Uhr schrieb Sam Seller <sam@leadflow.test>:
> Hallo Anna,
--000000000000b1
Content-Type: text/html; charset="UTF-8"
Content-Transfer-Encoding: quoted-printable

<div dir=3D"ltr">Hallo Sam,<br><br>gerne n=C3=A4chste Woche.</div>
--000000000000b1--
"""


def test_gmail_multipart_alternative_headers_and_bodies() -> None:
    msg = parse_message(GMAIL_ALTERNATIVE)
    assert msg.message_id == "<CAF=abc123@mail.gmail.com>"
    assert msg.in_reply_to == "<out-42@leadflow.test>"
    assert msg.references == ["<out-41@leadflow.test>", "<out-42@leadflow.test>"]
    assert msg.subject == "Re: Angebot für Q3"
    assert msg.from_name == "Anna Müller"
    assert msg.from_addr == "anna.mueller@example.de"
    assert msg.to == ["sam@leadflow.test", "ops@leadflow.test"]
    assert msg.date == datetime(2025, 7, 8, 8, 15, 2, tzinfo=UTC)
    assert msg.date is not None and msg.date.utcoffset() == timedelta(hours=2)
    assert msg.headers["subject"] == "Re: Angebot für Q3"
    assert msg.text.startswith("Hallo Sam,\n\ngerne nächste Woche.")
    assert msg.html is not None and "<div" in msg.html
    assert not msg.is_multipart_report
    assert [ctype for ctype, _ in msg.raw_parts] == ["text/plain", "text/html"]
    assert msg.defects == []


def test_str_input_and_naive_date_become_aware() -> None:
    msg = parse_message("From: a@example.com\nDate: Tue, 8 Jul 2025 10:15:02 -0000\nSubject: hi\n\nbody\n")
    assert msg.text == "body\n"
    assert msg.date is not None and msg.date.tzinfo is not None


def test_html_only_mail_is_converted_to_text_with_quotes() -> None:
    raw = (
        "From: Jean <jean@example.fr>\nSubject: Re: offre\nContent-Type: text/html; charset=utf-8\n\n"
        "<html><head><style>p{color:red}</style></head><body>"
        "<p>Bonjour,</p><p>Oui, <b>mardi</b> me convient.</p>"
        '<div class="gmail_quote">Le lun. 7 juil. 2025, Sam a écrit :<br>'
        "<blockquote>Seriez-vous disponible ?<blockquote>older</blockquote></blockquote></div>"
        "</body></html>"
    )
    msg = parse_message(raw.encode())
    assert "color:red" not in msg.text
    assert msg.text.splitlines()[0] == "Bonjour,"
    assert "Oui, mardi me convient." in msg.text
    assert "> Seriez-vous disponible ?" in msg.text
    assert "> > older" in msg.text


def test_html_to_text_lists_breaks_and_entities() -> None:
    text = html_to_text("<ul><li>One</li><li>Two &amp; three</li></ul>Line<br>Next<hr>after")
    assert text.splitlines() == ["- One", "- Two & three", "Line", "Next", "-" * 30, "after"]


def test_unknown_charset_is_a_defect_not_an_error() -> None:
    raw = (
        b"From: x@example.com\nSubject: test\nContent-Type: text/plain; charset=x-unknown\n\ncaf\xc3\xa9 ok\n"
    )
    msg = parse_message(raw)
    assert "café ok" in msg.text
    assert any("x-unknown" in d for d in msg.defects)


def test_latin1_body_without_charset_is_detected() -> None:
    raw = "From: x@example.com\nSubject: t\n\nGrüße aus München, schöne Woche\n".encode("latin-1")
    msg = parse_message(raw)
    assert "München" in msg.text


def test_multipart_without_boundary_keeps_body_and_records_defect() -> None:
    raw = (
        b"From: x@example.com\nSubject: broken\nContent-Type: multipart/mixed\n\nJust some text, no parts.\n"
    )
    msg = parse_message(raw)
    assert "Just some text" in msg.text
    assert any("Boundary" in d for d in msg.defects)


def test_missing_closing_boundary_and_bad_encoded_header() -> None:
    raw = (
        b"From: =?utf-8?B?broken?= <x@example.com>\nSubject: =?x-unknown?Q?hi?=\n"
        b'Content-Type: multipart/mixed; boundary="b1"\n\n--b1\nContent-Type: text/plain\n\nfirst part\n'
    )
    msg = parse_message(raw)
    assert "first part" in msg.text
    assert msg.subject  # something readable, never an exception
    assert msg.defects


def test_garbage_input_never_raises() -> None:
    for raw in (
        b"",
        b"\x00\xff\xfe garbage",
        "no headers at all",
        b"Content-Type: text/plain; charset=\n\n\xff",
    ):
        msg = parse_message(raw)
        assert isinstance(msg.text, str)


def test_multipart_report_with_delivery_status_and_rfc822() -> None:
    raw = b"""\
From: Mail Delivery System <MAILER-DAEMON@mx.example.net>
To: sam@leadflow.test
Subject: Undelivered Mail Returned to Sender
Content-Type: multipart/report; report-type=delivery-status; boundary="R"

--R
Content-Type: text/plain

Your message could not be delivered.
--R
Content-Type: message/delivery-status

Reporting-MTA: dns; mx.example.net

Final-Recipient: rfc822; gone@example.org
Action: failed
Status: 5.1.1
--R
Content-Type: message/rfc822

From: sam@leadflow.test
To: gone@example.org
Subject: Intro

Hello there
--R--
"""
    msg = parse_message(raw)
    assert msg.is_multipart_report
    assert msg.report_type == "delivery-status"
    kinds = [ctype for ctype, _ in msg.raw_parts]
    assert "message/delivery-status" in kinds and "message/rfc822" in kinds
    status = dict(msg.raw_parts)["message/delivery-status"]
    assert "Final-Recipient: rfc822; gone@example.org" in status
    assert "Hello there" in dict(msg.raw_parts)["message/rfc822"]
    assert msg.text.strip() == "Your message could not be delivered."


def test_attached_message_does_not_become_the_body() -> None:
    raw = b"""\
From: a@example.com
Subject: Fwd
Content-Type: multipart/mixed; boundary="M"

--M
Content-Type: message/rfc822

From: b@example.com
Subject: inner

inner body
--M--
"""
    msg = parse_message(raw)
    assert "inner body" not in msg.text


def test_five_megabyte_body_is_fast() -> None:
    body = ("Lorem ipsum dolor sit amet, consectetur adipiscing elit.\n" * 90_000).encode()
    raw = b"From: big@example.com\nSubject: big\nContent-Type: text/plain\n\n" + body
    started = time.perf_counter()
    msg = parse_message(raw)
    assert time.perf_counter() - started < 10
    assert msg.text.startswith("Lorem ipsum")
    html = b"From: big@example.com\nContent-Type: text/html\n\n" + b"<p>x <b>y</b></p>" * 300_000
    started = time.perf_counter()
    msg = parse_message(html)
    assert time.perf_counter() - started < 10
    assert msg.text.startswith("x y")
    assert msg.defects  # the HTML was capped


def test_looks_like_rfc822() -> None:
    assert looks_like_rfc822("Return-Path: <a@b.c>\nReceived: from x\n  by y\nSubject: hi\n\nbody")
    assert looks_like_rfc822("From: a@b.c\nTo: d@e.f\n")
    assert not looks_like_rfc822("Hello,\n\nFrom: me\n")
    assert not looks_like_rfc822("Note: this is text\nmore text\n")
    assert not looks_like_rfc822("")


def test_date_with_offset_is_kept() -> None:
    msg = parse_message(b"From: a@b.co\nDate: Wed, 9 Jul 2025 18:00:00 +0900\n\nx")
    assert msg.date is not None
    assert msg.date.utcoffset() == timezone(timedelta(hours=9)).utcoffset(None)
