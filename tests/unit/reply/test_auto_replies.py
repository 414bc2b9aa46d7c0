"""Automatic answers that are not absences, office closures, and people who mention an absence.

Ticket receipts and "this inbox is not monitored" notices are automatic (``auto_reply``)
but nobody is away, so their intent is ``other``; an office closure is an absence
(``out_of_office``, with the reopening day); a person who writes "I'm out Friday but
Thursday at 2pm works" is proposing a meeting, not sending a notice.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from leadflow.reply import analyze_reply
from leadflow.reply.autoreply import detect_auto_reply

NOW = datetime(2025, 12, 19, 15, tzinfo=UTC)  # a Friday before Christmas


@pytest.mark.parametrize(
    "body",
    [
        "We received your request #12345. A member of our team will respond shortly.",
        "Thank you for contacting Acme Support. Your ticket number is 55321.",
        "This mailbox is not monitored. Please contact support@acme.com.",
        "This is an automated message: this inbox is no longer monitored.",
        "Your ticket has been created. Ticket ID: 99127. Please do not reply to this email.",
        "Thanks for your message. We have received your enquiry and will get back to you within 2 business days.",
        "Vielen Dank für Ihre Nachricht. Dies ist eine automatische Eingangsbestätigung.",
        "Nous avons bien reçu votre demande et vous répondrons dans les meilleurs délais. Ceci est un message automatique.",
        "Hemos recibido su solicitud con el número de caso 7781.",
        "Recebemos sua mensagem. Esta é uma resposta automática, não responda a este e-mail.",
        "Grazie, abbiamo ricevuto la sua richiesta. Questa è una risposta automatica.",
    ],
)
def test_receipts_and_unmonitored_inboxes_are_automatic_but_not_absences(body: str) -> None:
    found = detect_auto_reply(body, received_at=NOW)
    assert found.is_auto and found.kind == "auto_reply", found
    result = analyze_reply(text=body, now=NOW)
    assert result.auto_reply
    assert result.intent == "other"
    assert result.return_date is None and result.proposed_times == [] and result.referral is None


@pytest.mark.parametrize(
    ("body", "back"),
    [
        ("Automatic reply: our office is closed for the holidays.", None),
        ("Our office is closed for the holidays and will reopen on January 5.", date(2026, 1, 5)),
        (
            "Unser Büro ist vom 22.12. bis 02.01. geschlossen. Ab dem 05.01. sind wir wieder da.",
            date(2026, 1, 5),
        ),
        ("Nos bureaux sont fermés jusqu'au 2 janvier inclus.", date(2026, 1, 5)),
    ],
)
def test_office_closures_are_absences(body: str, back: date | None) -> None:
    result = analyze_reply(text=body, now=NOW)
    assert result.auto_reply and result.intent == "out_of_office"
    assert result.return_date == back


def test_ticket_receipt_with_rfc3834_headers_is_other() -> None:
    raw = (
        "From: Helpdesk <support@acme.com>\r\nTo: sdr@leadflow.dev\r\n"
        "Subject: [Ticket #4411] We received your request\r\nAuto-Submitted: auto-replied\r\n"
        "Date: Fri, 19 Dec 2025 15:00:00 +0000\r\nContent-Type: text/html; charset=utf-8\r\n\r\n"
        "<html><body><p>Hello,</p><p>Thanks for getting in touch! Our team will answer soon.</p></body></html>\r\n"
    )
    result = analyze_reply(raw=raw)
    assert result.auto_reply and result.intent == "other"


@pytest.mark.parametrize(
    "body",
    [
        "Thanks for your email, I'll get back to you after I talk to my team.",
        "Thanks for reaching out to me, I'll get back to you within 2 days.",
        "In case 500 people sign up, what does it cost?",
        "We're happy with the account as it is, nothing is monitored by us anyway.",
        "Our support team is great, but our office is closed on Friday - could we meet Thursday?",
    ],
)
def test_people_are_not_automatic(body: str) -> None:
    assert not detect_auto_reply(body, received_at=NOW).is_auto
    assert not analyze_reply(text=body, now=NOW).auto_reply


@pytest.mark.parametrize(
    "body",
    [
        "I'm out Friday but Thursday at 2pm works for me.",
        "I'm away next week, can we do the call on Tuesday the 30th?",
        "I'm travelling until Monday - let's speak Tuesday morning?",
    ],
)
def test_a_person_mentioning_an_absence_is_proposing_a_time(body: str) -> None:
    result = analyze_reply(text=body, now=NOW)
    assert not result.auto_reply
    assert result.intent == "meeting_request"
    assert result.proposed_times


def test_a_notice_quoting_our_question_is_still_a_notice() -> None:
    body = (
        "I am out of the office until 5 January with no access to email.\n\n"
        "On Thu, Dec 18, 2025 at 9:00 AM Sam <sam@leadflow.dev> wrote:\n"
        "> Would a 15 minute call next week make sense?\n"
    )
    result = analyze_reply(text=body, now=NOW)
    assert result.auto_reply and result.intent == "out_of_office"
    assert result.return_date == date(2026, 1, 6)
