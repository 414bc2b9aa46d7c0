"""Tests for leadflow.reply.trim: the new text of replies from many clients and languages."""

from __future__ import annotations

import time

import pytest

from leadflow.reply.trim import extract_new_text, split_reply

GMAIL = """\
Hi Sam,

Thanks for reaching out. Could we do a call on Thursday?

Best,
Priya

On Mon, Jul 7, 2025 at 9:02 AM Sam Seller <sam@leadflow.test> wrote:

> Hi Priya,
>
> Would you be open to a quick chat about your onboarding flow?
>
> Sam
"""

GMAIL_WRAPPED = """\
Sounds good, send me the deck.

On Mon, Jul 7, 2025 at 9:02 AM Sam Seller via LeadFlow <
sam@leadflow.test> wrote:

> Hi Priya,
"""

OUTLOOK = """\
Hello Sam,

Please send over pricing for 50 seats.

Regards,
Tom

________________________________
From: Sam Seller <sam@leadflow.test>
Sent: Monday, July 7, 2025 9:02 AM
To: Tom Baker <tom@example.com>
Subject: Quick question

Hi Tom, would you be open to a chat?
"""

OUTLOOK_ORIGINAL = """\
Not interested, please remove me.

-----Original Message-----
From: Sam Seller [mailto:sam@leadflow.test]
Sent: Monday, July 07, 2025 9:02 AM
To: Tom Baker
Subject: Quick question

Hi Tom,
"""

APPLE = """\
Yes, let's talk next week.

Sent from my iPhone

> On 7 Jul 2025, at 09:02, Sam Seller <sam@leadflow.test> wrote:
>
> Hi Lena,
"""

GERMAN = """\
Hallo Herr Seller,

vielen Dank, das klingt interessant. Rufen Sie mich gerne an.

Mit freundlichen Grüßen
Anna Schmidt

Am Mo., 7. Juli 2025 um 09:02 Uhr schrieb Sam Seller <sam@leadflow.test>:
> Hallo Frau Schmidt,
"""

GERMAN_OUTLOOK = """\
Passt, Dienstag 10 Uhr.

Von: Sam Seller <sam@leadflow.test>
Gesendet: Montag, 7. Juli 2025 09:02
An: Anna Schmidt <anna@example.de>
Betreff: Termin

Hallo Frau Schmidt,
"""

FRENCH = """\
Bonjour,

Merci, je transmets à notre DSI.

Le lun. 7 juil. 2025 à 09:02, Sam Seller <sam@leadflow.test> a écrit :
> Bonjour Jean,
"""

SPANISH = """\
Hola Sam,

Me interesa, hablamos el martes.

El lun, 7 jul 2025 a las 9:02, Sam Seller (<sam@leadflow.test>) escribió:
> Hola Carlos,
"""

JAPANESE = """\
ご連絡ありがとうございます。来週お電話できます。

2025年7月7日(月) 9:02 Sam Seller <sam@leadflow.test>:
> 山田様
"""

FORWARD = """\
Adding my colleague who owns this.

---------- Forwarded message ---------
From: Sam Seller <sam@leadflow.test>
Date: Mon, Jul 7, 2025 at 9:02 AM
Subject: Quick question
To: <lena@example.com>

Hi Lena,
"""

SIGNATURE = """\
Happy to chat on Friday at 2pm.

--
Tom Baker
VP Operations | Example Corp
+1 (555) 010-4477
www.example.com
"""

CONTACT_BLOCK = """\
Hi Sam,

Friday works. Send an invite.

Best regards,
Tom Baker
Head of Procurement
Example Corp | +44 20 7946 0958
tom.baker@example.com
"""

INLINE = """\
On Mon, Jul 7, 2025 at 9:02 AM Sam Seller <sam@leadflow.test> wrote:
> Do you use Salesforce today?

Yes, for about three years now.
We are happy with it overall.
The reporting could be better though.

> Who owns the budget?

That would be our CFO.
"""


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (GMAIL, "Hi Sam,\n\nThanks for reaching out. Could we do a call on Thursday?\n\nBest,\nPriya"),
        (GMAIL_WRAPPED, "Sounds good, send me the deck."),
        (OUTLOOK, "Hello Sam,\n\nPlease send over pricing for 50 seats.\n\nRegards,\nTom"),
        (OUTLOOK_ORIGINAL, "Not interested, please remove me."),
        (APPLE, "Yes, let's talk next week."),
        (
            GERMAN,
            "Hallo Herr Seller,\n\nvielen Dank, das klingt interessant. Rufen Sie mich gerne an."
            "\n\nMit freundlichen Grüßen\nAnna Schmidt",
        ),
        (GERMAN_OUTLOOK, "Passt, Dienstag 10 Uhr."),
        (FRENCH, "Bonjour,\n\nMerci, je transmets à notre DSI."),
        (SPANISH, "Hola Sam,\n\nMe interesa, hablamos el martes."),
        (JAPANESE, "ご連絡ありがとうございます。来週お電話できます。"),
        (FORWARD, "Adding my colleague who owns this."),
        (SIGNATURE, "Happy to chat on Friday at 2pm."),
        (CONTACT_BLOCK, "Hi Sam,\n\nFriday works. Send an invite.\n\nBest regards,\nTom Baker"),
    ],
    ids=[
        "gmail", "gmail-wrapped", "outlook", "outlook-original", "apple", "german", "german-outlook",
        "french", "spanish", "japanese", "forward", "dash-signature", "contact-block",
    ],
)  # fmt: skip
def test_extract_new_text(raw: str, expected: str) -> None:
    assert extract_new_text(raw) == expected


def test_inline_answers_keep_quotes_and_drop_the_header() -> None:
    new = extract_new_text(INLINE)
    assert "wrote:" not in new
    assert "> Do you use Salesforce today?" in new
    assert new.endswith("That would be our CFO.")


def test_bottom_posted_reply_under_a_quote() -> None:
    raw = "On 07/07/2025 09:02 AM, Sam Seller wrote:\n> Hi, are you free?\nYes, Tuesday works.\n"
    assert extract_new_text(raw) == "Yes, Tuesday works."


def test_split_reply_returns_removed_part() -> None:
    new, removed = split_reply(GMAIL)
    assert new.endswith("Priya")
    assert removed.startswith("On Mon, Jul 7, 2025")
    assert "> Would you be open" in removed


def test_html_only_reply() -> None:
    html = (
        "<div>Works for me, thanks!</div><br><div class='gmail_quote'>"
        "<div>On Mon, Jul 7, 2025 at 9:02 AM Sam &lt;sam@leadflow.test&gt; wrote:</div>"
        "<blockquote>Hi Lena, are you free?</blockquote></div>"
    )
    assert extract_new_text("", html=html) == "Works for me, thanks!"


def test_text_without_quotes_is_unchanged_and_code_is_kept() -> None:
    raw = "Here is the config:\n\n```\n####\n--\n> not a quote\n```\n\nThanks"
    assert extract_new_text(raw) == raw


def test_mentions_that_are_not_quote_headers_are_kept() -> None:
    raw = "On Monday we decided to go ahead.\nMy boss wrote: approve it.\n\nLet's sign."
    assert extract_new_text(raw) == raw


def test_empty_and_whitespace() -> None:
    assert extract_new_text("") == ""
    assert extract_new_text(" \n\n ") == ""
    assert split_reply("") == ("", "")


def test_quote_only_message_is_kept() -> None:
    assert extract_new_text("> just a quote\n") == "> just a quote"


def test_huge_input_is_linear_and_capped() -> None:
    raw = "Interested, call me.\n\n" + "> quoted line with some words\n" * 200_000
    started = time.perf_counter()
    assert extract_new_text(raw) == "Interested, call me."
    wide = "word " * 1_000_000  # one 5 MB line
    assert extract_new_text(wide).startswith("word word")
    assert time.perf_counter() - started < 10


def test_crlf_line_endings() -> None:
    assert extract_new_text(GMAIL.replace("\n", "\r\n")).endswith("Priya")


def test_bare_contact_card_at_the_end_is_cut() -> None:
    raw = (
        "Hi Sam,\n\nYes, send the contract over.\n\n"
        "Jane Doe\nCFO, Example GmbH\n+49 30 1234567\njane@example.de\nwww.example.de\n"
    )
    assert extract_new_text(raw) == "Hi Sam,\n\nYes, send the contract over."
