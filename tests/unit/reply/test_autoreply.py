"""Tests for leadflow.reply.autoreply: auto replies, out-of-office notices and return dates."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from leadflow.reply.autoreply import detect_auto_reply

RECEIVED = datetime(2025, 7, 8, 9, 30, tzinfo=UTC)  # a Tuesday


@pytest.mark.parametrize(
    ("subject", "body", "back"),
    [
        (
            "Automatic reply: Quick question",
            "Thank you for your email. I am out of the office and will be back on Monday 14 July.",
            date(2025, 7, 14),
        ),
        (
            "Out of Office: Intro",
            "I am currently on vacation, returning 7/21 with limited access to email.",
            date(2025, 7, 21),
        ),
        (
            "Abwesenheitsnotiz: Angebot",
            "Vielen Dank für Ihre Nachricht. Ich bin bis 12.08.2025 nicht im Büro.",
            date(2025, 8, 13),
        ),
        ("Abwesenheitsnotiz", "Ich bin im Urlaub und zurück am 5. August.", date(2025, 8, 5)),
        (
            "Réponse automatique : Proposition",
            "Bonjour, je suis absent jusqu'au 24 juillet inclus.",
            date(2025, 7, 25),
        ),
        ("Respuesta automática: Hola", "Estoy fuera de la oficina hasta el 20 de julio.", date(2025, 7, 21)),
        ("Automatisch antwoord: offerte", "Ik ben afwezig tot en met 17 juli.", date(2025, 7, 18)),
        ("Resposta automática: proposta", "Estou de férias até 21 de julho.", date(2025, 7, 22)),
        ("Risposta automatica: proposta", "Sono fuori ufficio fino al 22 luglio.", date(2025, 7, 23)),
    ],
    ids=["en-back-on", "en-returning", "de-bis", "de-zurueck", "fr", "es", "nl", "pt", "it"],
)
def test_out_of_office_with_return_date(subject: str, body: str, back: date) -> None:
    result = detect_auto_reply(body, headers={"Subject": subject}, received_at=RECEIVED)
    assert result.is_auto
    assert result.kind == "out_of_office"
    assert result.return_date == back


def test_until_friday_means_back_monday() -> None:
    result = detect_auto_reply(
        "I'm on annual leave until Friday 11 July and will reply when I return.",
        headers={"Subject": "Out of Office"},
        received_at=RECEIVED,
    )
    assert result.return_date == date(2025, 7, 14)


@pytest.mark.parametrize(
    "headers",
    [
        {"Auto-Submitted": "auto-replied"},
        {"auto-submitted": "auto-generated"},
        {"X-Autoreply": "yes"},
        {"X-Autorespond": "Vacation"},
        {"Precedence": "auto_reply"},
        {"Precedence": "bulk"},
        {"X-Auto-Response-Suppress": "All"},
    ],
)
def test_header_signals(headers: dict[str, str]) -> None:
    result = detect_auto_reply("We received your message.", headers=headers, received_at=RECEIVED)
    assert result.is_auto
    assert result.kind == "auto_reply"
    assert result.reason


def test_auto_submitted_no_is_a_human() -> None:
    result = detect_auto_reply("Sure, Tuesday works.", headers={"Auto-Submitted": "no"}, received_at=RECEIVED)
    assert not result.is_auto
    assert result.kind is None


def test_ticket_system_auto_reply() -> None:
    result = detect_auto_reply(
        "This is an automated response. Thank you for contacting us, we have received your request #4411.",
        headers={"Subject": "[Ticket #4411] Received"},
        received_at=RECEIVED,
    )
    assert result.is_auto and result.kind == "auto_reply"
    assert result.return_date is None


def test_body_only_out_of_office() -> None:
    result = detect_auto_reply(
        "Hello,\n\nI am out of the office until 15/07/2025 with no access to email.\n\nRegards",
        received_at=RECEIVED,
    )
    assert result.is_auto and result.kind == "out_of_office"
    assert result.return_date == date(2025, 7, 16)


def test_human_replies_are_not_auto() -> None:
    for body, subject in (
        ("Sounds good, let's talk Tuesday at 3pm.", "Re: Quick question"),
        ("Not interested, thanks.", "RE: Intro"),
        ("Please send the pricing for the team plan.", "AW: Angebot"),
    ):
        result = detect_auto_reply(body, headers={"Subject": subject}, received_at=RECEIVED)
        assert not result.is_auto, body


def test_out_of_office_without_a_date() -> None:
    result = detect_auto_reply(
        "I am currently out of the office with limited access to email.",
        headers={"Subject": "Automatic reply: hello"},
        received_at=RECEIVED,
    )
    assert result.kind == "out_of_office"
    assert result.return_date is None


def test_received_at_defaults_to_now() -> None:
    result = detect_auto_reply("I'm out of the office.", headers={"Subject": "Out of office"})
    assert result.is_auto


def test_precedence_bulk_from_a_mailing_list_is_not_enough() -> None:
    headers = {"Precedence": "bulk", "List-Id": "<sales.lists.example.com>", "Subject": "Re: pricing"}
    assert not detect_auto_reply("I agree with Tom.", headers=headers, received_at=RECEIVED).is_auto


def test_huge_input_is_bounded() -> None:
    import time

    started = time.perf_counter()
    result = detect_auto_reply("until " * 1_000_000, headers={"Subject": "Out of office " * 100_000})
    assert time.perf_counter() - started < 10
    assert result.is_auto
