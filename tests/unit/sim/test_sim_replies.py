"""Tests for simulated replies: deterministic, varied, and faithful to the hidden truth."""

from __future__ import annotations

import email
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from email import policy
from email.message import EmailMessage, Message

from leadflow.sim import KINDS, SimProspect, SimReply, generate_prospects, respond, truth_of
from leadflow.sim.prospects import fate
from leadflow.sim.replies import opt_out_at

SEED = 20250304  # the seed conftest.py generates `population` with

SENT = datetime(2025, 3, 4, 15, 0, tzinfo=UTC)
QUALIFY = {
    "real_estate": "Thanks {f}! When are you looking to buy? Are you pre-approved for a mortgage?\n\nSam",
    "solar": "Thanks {f}! What's your average monthly electric bill? Do you own your home?\n\nSam",
    "b2b_saas": "Thanks {f}! How many people are on your sales team? What CRM do you use?\n\nSam",
}
SLOTS = "Great. Would Tuesday 3:00 PM or Thursday 10:00 AM work for a quick call?\n\nSam"


def _script(prospect: SimProspect) -> list[tuple[str, str | None, str]]:
    first = prospect.lead.first_name
    return [
        ("email", "Quick question", f"Hi {first},\n\nSaw your inquiry and would love to help.\n\nBest,\nSam"),
        ("email", "Re: Quick question", f"Hi {first}, just following up on my note below.\n\nSam"),
        ("email", "Re: Quick question", QUALIFY[prospect.lead.industry or "b2b_saas"].format(f=first)),
        ("email", "Re: Quick question", SLOTS),
        ("sms", None, f"Hi {first}, Sam here. Still interested?"),
    ]


def _converse(prospect: SimProspect, seed: int = SEED) -> list[SimReply | None]:
    return [
        respond(prospect, seed=seed, n=i, channel=ch, subject=subj, body=body, sent_at=SENT)
        for i, (ch, subj, body) in enumerate(_script(prospect), start=1)
    ]


def _ask(prospect: SimProspect, body: str, *, n: int = 3, seed: int = SEED) -> SimReply | None:
    return respond(prospect, seed=seed, n=n, channel="email", subject="Re: hi", body=body, sent_at=SENT)


def test_same_seed_same_replies(population: list[SimProspect]) -> None:
    again = generate_prospects(seed=SEED, n=80)
    for a, b in zip(population[:80], again, strict=True):
        assert _converse(a) == _converse(b)


def test_redelivery_gives_the_same_reply(population: list[SimProspect]) -> None:
    for prospect in population[:100]:
        for (ch, subj, body), n in zip(_script(prospect), range(1, 6), strict=True):
            first = respond(prospect, seed=SEED, n=n, channel=ch, subject=subj, body=body, sent_at=SENT)
            second = respond(prospect, seed=SEED, n=n, channel=ch, subject=subj, body=body, sent_at=SENT)
            assert first == second


def test_different_seeds_give_different_conversations(population: list[SimProspect]) -> None:
    a = [_converse(p) for p in population[:60]]
    b = [_converse(p, seed=SEED + 1) for p in population[:60]]
    assert a != b


def test_every_behaviour_appears_and_delays_are_sane(population: list[SimProspect]) -> None:
    kinds: Counter[str] = Counter()
    for prospect in population:
        for reply in _converse(prospect):
            if reply is not None:
                kinds[reply.kind] += 1
                assert timedelta(0) < reply.delay < timedelta(days=4)
                assert reply.text.strip()
    assert set(kinds) == set(KINDS)


def test_some_replies_quote_sign_and_speak_other_languages(population: list[SimProspect]) -> None:
    texts = [r.text for p in population for r in _converse(p) if r is not None]
    assert any("wrote:\n> " in t for t in texts)
    assert any("Sent from my iPhone" in t for t in texts)
    assert any(word in t for t in texts for word in ("Grüße", "Bonjour", "Hola"))


def test_bounce_prospects_bounce_email_and_never_reply(population: list[SimProspect]) -> None:
    bouncers = [p for p in population if truth_of(p)["bounces"]]
    assert bouncers
    for prospect in bouncers:
        replies = _converse(prospect)
        assert replies[0] is not None and replies[0].kind == "bounce"
        assert all(r is None or r.kind == "bounce" for r in replies)
        assert replies[-1] is None  # the SMS


def test_opt_out_prospects_unsubscribe_when_truth_says(population: list[SimProspect]) -> None:
    leavers = [p for p in population if truth_of(p)["opts_out"]]
    assert leavers
    for prospect in leavers:
        at = opt_out_at(prospect)
        assert at is not None
        replies = [r for r in _converse(prospect)]
        kinds = [r.kind if r else None for r in replies]
        first_real = next(i for i, k in enumerate(kinds, start=1) if k not in (None, "ooo"))
        assert kinds[first_real - 1] == "unsubscribe"
        assert first_real in (at, 2)  # 2 when an out-of-office reply took message 1


def test_ooo_auto_reply_has_headers_and_a_later_return_date(population: list[SimProspect]) -> None:
    away = [p for p in population if truth_of(p)["ooo_first"]]
    assert away
    for prospect in away:
        replies = _converse(prospect)
        ooo = replies[0]
        assert ooo is not None and ooo.kind == "ooo" and ooo.raw is not None
        msg = email.message_from_string(ooo.raw, policy=policy.default)
        assert msg["Auto-Submitted"] == "auto-replied"
        assert msg["Subject"].startswith("Automatic reply:")
        back = date.fromisoformat(dict(ooo.facts)["return_date"])
        assert back > SENT.date()
        assert back <= (SENT + timedelta(days=11)).date()
        # Afterwards the prospect answers like anyone else.
        assert all(r is None or r.kind != "ooo" for r in replies[1:])


def test_bounce_dsn_parses_as_multipart_report(population: list[SimProspect]) -> None:
    prospect = next(p for p in population if truth_of(p)["bounces"])
    reply = respond(
        prospect,
        seed=SEED,
        n=1,
        channel="email",
        subject="Hello",
        body="Hi",
        sent_at=SENT,
        message_id="<m1@x.example>",
    )
    assert reply is not None and reply.raw is not None
    msg = email.message_from_string(reply.raw, policy=policy.default)
    assert isinstance(msg, EmailMessage)
    assert msg.get_content_type() == "multipart/report"
    assert msg.get_param("report-type") == "delivery-status"
    status = next(part for part in msg.walk() if part.get_content_type() == "message/delivery-status")
    blocks = status.get_payload()
    assert isinstance(blocks, list) and len(blocks) == 2
    recipient = blocks[1]
    assert isinstance(recipient, Message)
    assert recipient["Action"] == "failed"
    assert recipient["Status"] == "5.1.1"
    assert recipient["Final-Recipient"] == f"rfc822; {prospect.lead.email}"
    assert msg["In-Reply-To"] == "<m1@x.example>"


def test_answers_agree_with_hidden_hot_or_cold(population: list[SimProspect]) -> None:
    checked = 0
    for prospect in population:
        truth = truth_of(prospect)
        if truth["expected_final"] in ("bounce", "opt_out", "lost"):
            continue
        reply = _ask(prospect, QUALIFY[prospect.lead.industry or "b2b_saas"].format(f="x"), n=4)
        if reply is None or reply.kind != "answers":
            continue
        checked += 1
        assert reply.facts
        for topic, value in reply.facts:
            assert truth["facts"][topic] == value
            assert value in reply.text or value[:1].upper() + value[1:] in reply.text
        said = dict(reply.facts)
        if "timeline" in said:
            cold = any(w in said["timeline"] for w in ("browsing", "next year", "no rush"))
            assert cold != truth["hot"]
        if "bill" in said:
            dollars = int(said["bill"].strip("$").split("/")[0])
            assert (dollars >= 150) == truth["hot"]
        if "preapproved" in said:
            assert said["preapproved"].startswith("yes") == truth["hot"]
    assert checked > 100


def test_answers_are_consistent_across_messages(population: list[SimProspect]) -> None:
    question = "Quick one: when are you looking to buy? What's your budget?"
    for prospect in population[:200]:
        said: dict[str, str] = {}
        for n in range(3, 9):
            reply = _ask(prospect, question, n=n)
            for topic, value in reply.facts if reply is not None and reply.kind == "answers" else ():
                assert said.setdefault(topic, value) == value


def test_answers_vary_in_shape(population: list[SimProspect]) -> None:
    question = "When are you looking to buy? What's your budget? What CRM do you use?"
    shapes: set[str] = set()
    for prospect in population:
        reply = _ask(prospect, question)
        if reply is None or reply.kind != "answers":
            continue
        topics = [t for t, _ in reply.facts]
        asked = [t for t in ("timeline", "budget", "crm") if t in topics]
        if len(topics) == 3 and asked == topics:
            shapes.add("in order")
        elif len(topics) == 3:
            shapes.add("out of order")
        elif len(topics) < 3:
            shapes.add("partial")
    assert shapes == {"in order", "out of order", "partial"}


def test_meeting_prospects_pick_an_offered_slot_or_counter(population: list[SimProspect]) -> None:
    picked = countered = 0
    for prospect in population:
        if fate(prospect.propensities) != "meeting":
            continue
        reply = _ask(prospect, SLOTS, n=4)
        assert reply is not None and reply.kind == "proposes_time"
        facts = dict(reply.facts)
        if "declined" in facts:
            countered += 1
            assert not facts["slot"].startswith(("Tuesday", "Thursday"))
        else:
            picked += 1
            assert facts["slot"] in ("Tuesday 3:00 PM", "Thursday 10:00 AM")
            assert facts["slot"].split()[0] in reply.text
    assert picked > countered > 0


def test_voice_is_never_answered(population: list[SimProspect]) -> None:
    for prospect in population[:50]:
        assert (
            respond(prospect, seed=SEED, n=1, channel="voice", subject=None, body="hi", sent_at=SENT) is None
        )


def test_naive_sent_at_is_read_as_utc(population: list[SimProspect]) -> None:
    prospect = population[0]
    naive = respond(
        prospect, seed=SEED, n=2, channel="email", subject="s", body="b", sent_at=SENT.replace(tzinfo=None)
    )
    aware = respond(prospect, seed=SEED, n=2, channel="email", subject="s", body="b", sent_at=SENT)
    assert naive == aware
