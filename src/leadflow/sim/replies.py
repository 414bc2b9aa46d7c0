"""How a simulated prospect answers each message: deterministic replies with a hidden kind.

:func:`respond` is a pure function of the seed, the prospect, the message count ``n`` and
the message itself (channel, subject, body, send time). It draws from
``random.Random(f"{seed}:{prospect.id}:{n}:{digest}")`` where ``digest`` hashes the
message, so a redelivered message after a crash gets exactly the same answer, and no
global RNG or clock is ever read.

The hidden outcome (see :func:`leadflow.sim.prospects.fate`) steers every reply: a
bounce prospect's email hard-bounces, an opt-out prospect unsubscribes at its n-th
message, a meeting prospect picks one of the offered slots, and answers to
qualification questions come from the prospect's fixed facts, so ``truth_of`` and the
conversation never disagree.
"""

from __future__ import annotations

import hashlib
import random
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from leadflow.sim import _answers, _data, _phrases
from leadflow.sim.mail import build_bounce_raw, build_ooo_raw
from leadflow.sim.prospects import THRESHOLD, SimProspect, fate, is_hot

#: The From address assumed for our side when the caller does not pass ``sender``.
DEFAULT_SENDER = "Leadflow Demo <hello@leadflow-demo.example>"


@dataclass(frozen=True)
class SimReply:
    """One reply from a simulated prospect.

    Attributes:
        text: The reply as the prospect wrote it (for bounces, the DSN's human part).
        raw: The raw RFC 5322 message for out-of-office auto-replies and bounces, else None.
        delay: How long after the answered message was sent the reply arrives.
        kind: The hidden truth: interested, question, objection_price, objection_timing,
            objection_competitor, meeting_request, proposes_time, answers, ooo, bounce,
            unsubscribe, referral, not_interested or wrong_person.
        facts: What the reply asserts, in order, as (key, value) pairs, e.g.
            ``("timeline", "within 2 months")``, ``("slot", "Tuesday 3:00 PM")``,
            ``("return_date", "2025-03-10")``, ``("referral", "dana.lee@acme.example")``.
    """

    text: str
    raw: str | None
    delay: timedelta
    kind: str
    facts: tuple[tuple[str, str], ...] = ()


KINDS: tuple[str, ...] = (
    "interested", "question", "objection_price", "objection_timing", "objection_competitor",
    "meeting_request", "proposes_time", "answers", "ooo", "bounce", "unsubscribe", "referral",
    "not_interested", "wrong_person",
)  # fmt: skip


def opt_out_at(prospect: SimProspect) -> int | None:
    """Return the message count at which an opt-out prospect unsubscribes, else None."""
    if fate(prospect.propensities) != "opt_out":
        return None
    return random.Random(f"optout:{prospect.id}").choice((1, 1, 2, 2, 3))


def ooo_days(prospect: SimProspect) -> int | None:
    """Return how many days an away prospect is out after the first email, else None."""
    if prospect.propensities.ooo < THRESHOLD or fate(prospect.propensities) == "bounce":
        return None
    return random.Random(f"ooo:{prospect.id}").randint(3, 10)


def language_of(prospect: SimProspect) -> str:
    """Return the language the prospect writes in: "en", or "de"/"fr"/"es" for some in the EU."""
    zone = next((z for z in _data.ZONES if z.tz == prospect.lead.timezone), None)
    if zone is None or zone.language == "en" or zone.region != "eu":
        return "en"
    return zone.language if random.Random(f"lang:{prospect.id}").random() < 0.5 else "en"


def referral_of(prospect: SimProspect) -> tuple[str, str] | None:
    """Return (name, email) of the colleague a wrong-contact prospect points to, else None."""
    if prospect.persona != "wrong contact" or prospect.propensities.referral < THRESHOLD:
        return None
    rng = random.Random(f"referral:{prospect.id}")
    first, last = rng.choice(_data.NAMES["en_us"][0]), rng.choice(_data.NAMES["en_us"][1])
    domain = (prospect.lead.email or "x@example.com").rpartition("@")[2]
    local = re.sub(r"[^a-z]", "", first.lower()) + "." + re.sub(r"[^a-z]", "", last.lower())
    return f"{first} {last}", f"{local}@{domain}"


def truth_of(prospect: SimProspect) -> dict[str, Any]:
    """Return the hidden labels tests assert against.

    Keys: ``expected_final`` (meeting, opt_out, bounce, nurture or lost), ``persona``,
    ``hot``, ``bounces``, ``opts_out``, ``opt_out_at``, ``ooo_first``, ``ooo_days``,
    ``books_meeting``, ``referral`` (an email or None), ``language`` and ``facts`` (the
    answers the prospect gives to qualification questions, by topic).
    """
    p = prospect.propensities
    outcome = fate(p)
    ref = referral_of(prospect)
    return {
        "expected_final": outcome,
        "persona": prospect.persona,
        "hot": is_hot(p),
        "bounces": outcome == "bounce",
        "opts_out": outcome == "opt_out",
        "opt_out_at": opt_out_at(prospect),
        "ooo_first": ooo_days(prospect) is not None,
        "ooo_days": ooo_days(prospect),
        "books_meeting": outcome == "meeting",
        "referral": ref[1] if ref else None,
        "language": language_of(prospect),
        "facts": _answers.facts_for(prospect.id, prospect.lead.industry or "", is_hot(p)),
    }


def respond(
    prospect: SimProspect,
    *,
    seed: int,
    n: int,
    channel: str,
    subject: str | None,
    body: str,
    sent_at: datetime,
    sender: str | None = None,
    message_id: str | None = None,
) -> SimReply | None:
    """Return the prospect's reply to the ``n``-th message it received, or None to ignore it.

    Args:
        prospect: Who answers.
        seed: The simulation seed.
        n: How many messages this prospect has received so far, this one included (1 first).
        channel: "email", "sms", "linkedin" or "voice" (voice is never answered).
        subject: The message's subject, if any.
        body: The message's text.
        sent_at: When it was sent; naive values are read as UTC.
        sender: Our From address, used in raw messages and quotes.
        message_id: The answered message's ``Message-ID``, threaded into raw messages.
    """
    if n < 1:
        raise ValueError("n counts messages received, starting at 1")
    channel = str(channel).lower()
    sent_at = sent_at if sent_at.tzinfo is not None else sent_at.replace(tzinfo=UTC)
    digest = hashlib.sha256(f"{channel}\0{subject or ''}\0{body}".encode()).hexdigest()[:16]
    rng = random.Random(f"{seed}:{prospect.id}:{n}:{digest}")
    ctx = _Ctx(
        prospect, rng, n, channel, subject, body, sent_at, sender or DEFAULT_SENDER, message_id, digest
    )
    outcome = fate(prospect.propensities)

    if channel == "voice":
        return None
    if outcome == "bounce":
        # The mailbox does not exist: every email bounces, and nothing else ever comes back.
        return _bounce(ctx) if channel == "email" and prospect.lead.email else None
    days = ooo_days(prospect)
    if channel == "email" and n == 1 and days is not None:
        return _ooo(ctx, days)
    if outcome == "opt_out":
        at = opt_out_at(prospect) or 1
        if n < at:
            return None
        return ctx.reply("unsubscribe", "unsubscribe" if n == at else "unsubscribe_again")

    slots = _answers.find_slots(body)
    if slots:
        return _on_slots(ctx, outcome, slots)
    questions = _answers.find_questions(body)
    if questions:
        return _on_questions(ctx, outcome, questions)
    return _on_outreach(ctx, outcome)


@dataclass(frozen=True)
class _Ctx:
    prospect: SimProspect
    rng: random.Random
    n: int
    channel: str
    subject: str | None
    body: str
    sent_at: datetime
    sender: str
    message_id: str | None
    digest: str

    @property
    def short(self) -> bool:
        return self.channel != "email"

    @property
    def hot(self) -> bool:
        return is_hot(self.prospect.propensities)

    def phrase(self, key: str, **values: str) -> str:
        lang = language_of(self.prospect)
        table = _phrases.SMS if self.short else _phrases.EN
        options = table.get(key) or _phrases.EN[key]
        if lang != "en" and key in _phrases.LOCAL[lang]:
            options = _phrases.LOCAL[lang][key]
        return self.rng.choice(options).format(**values)

    def reply(
        self,
        kind: str,
        key: str | None = None,
        facts: tuple[tuple[str, str], ...] = (),
        text: str | None = None,
        **values: str,
    ) -> SimReply:
        core = text if text is not None else self.phrase(key or kind, **values)
        return SimReply(text=self.dress(core), raw=None, delay=_delay(self, kind), kind=kind, facts=facts)

    def dress(self, core: str) -> str:
        """Wrap the core sentence(s) in a greeting, sign-off, signature and quote, sometimes."""
        if self.short:
            return core
        rng, lead = self.rng, self.prospect.lead
        lang = language_of(self.prospect)
        rep = _rep_name(self.body)
        greeting = rng.choice(_phrases.GREETINGS[lang])
        if "{rep}" in greeting and not rep:
            greeting = (
                _phrases.GREETINGS[lang][1]
                if lang == "en"
                else _phrases.GREETINGS[lang][0].replace(" {rep}", "")
            )
        parts = [greeting.format(rep=rep)] if greeting else []
        parts.append(core)
        style = rng.random()
        if style < 0.15:
            parts.append(_phrases.MOBILE[lang])
        elif style < 0.75:
            sign_off = rng.choice(_phrases.SIGN_OFFS[lang])
            name = lead.first_name
            if style > 0.6:
                extra = "\n".join(x for x in (lead.title, lead.company) if x)
                name = (
                    f"--\n{lead.full_name}"
                    + (f"\n{extra}" if extra else "")
                    + (f"\n{lead.phone}" if lead.phone else "")
                )
            parts.append(f"{sign_off}\n{name}" if sign_off else name)
        text = "\n\n".join(parts)
        if rng.random() < 0.35:
            text += "\n\n" + _quote(self)
        return text


def _rep_name(body: str) -> str:
    lines = [line.strip() for line in body.splitlines() if line.strip()]
    for line in reversed(lines[-3:]):
        if re.fullmatch(r"[A-Z][a-z]+(?: [A-Z][a-z]+)?", line) and line.split()[0] not in (
            "Thanks", "Best", "Cheers", "Regards", "Sincerely", "Warmly",
        ):  # fmt: skip
            return line.split()[0]
    return ""


def _quote(ctx: _Ctx) -> str:
    who = ctx.sender
    when = ctx.sent_at.strftime("%a, %b %d, %Y at %I:%M %p").replace(" 0", " ")
    quoted = "\n".join(f"> {line}".rstrip() for line in ctx.body.splitlines())
    return f"On {when}, {who} wrote:\n{quoted}"


def _delay(ctx: _Ctx, kind: str) -> timedelta:
    rng = ctx.rng
    if kind == "bounce":
        seconds = rng.uniform(2, 120)
    elif kind == "ooo":
        seconds = rng.uniform(5, 90)
    elif ctx.short:
        seconds = rng.uniform(60, 45 * 60) if ctx.hot or kind == "unsubscribe" else rng.uniform(300, 8 * 3600)
    elif ctx.hot or kind in ("proposes_time", "unsubscribe"):
        seconds = rng.uniform(3 * 60, 4 * 3600)
    else:
        seconds = rng.uniform(3600, 3 * 86400)
    return timedelta(seconds=int(seconds))


def _message_id(ctx: _Ctx, domain: str) -> str:
    return f"<sim.{ctx.prospect.id}.{ctx.n}.{ctx.digest}@{domain}>"


def _bounce(ctx: _Ctx) -> SimReply:
    delay = _delay(ctx, "bounce")
    to = ctx.prospect.lead.email or ""
    mta = "mx1.example.net"
    raw = build_bounce_raw(
        original_from=ctx.sender,
        original_to=to,
        original_subject=ctx.subject,
        date=ctx.sent_at + delay,
        message_id=_message_id(ctx, mta),
        original_message_id=ctx.message_id,
        original_date=ctx.sent_at,
        reporting_mta=mta,
    )
    text = f"Delivery to <{to}> failed permanently: 550 5.1.1 Recipient address rejected: User unknown"
    return SimReply(
        text=text, raw=raw, delay=delay, kind="bounce", facts=(("status", "5.1.1"), ("recipient", to))
    )


def _ooo(ctx: _Ctx, days: int) -> SimReply:
    lead = ctx.prospect.lead
    local = ctx.sent_at.astimezone(ZoneInfo(lead.timezone or "UTC"))
    back = (local + timedelta(days=days)).date()
    lang = language_of(ctx.prospect)
    shown = back.strftime("%A, %B %d, %Y").replace(" 0", " ") if lang == "en" else back.strftime("%d.%m.%Y")
    text = ctx.rng.choice(_phrases.LOCAL[lang]["ooo"] if lang != "en" else _phrases.EN["ooo"]).format(
        date=shown
    )
    text += f"\n\n{lead.full_name}"
    delay = _delay(ctx, "ooo")
    domain = (lead.email or "x@example.com").rpartition("@")[2]
    raw = build_ooo_raw(
        from_addr=f"{lead.full_name} <{lead.email}>",
        to_addr=ctx.sender,
        subject=ctx.subject,
        body=text,
        date=ctx.sent_at + delay,
        message_id=_message_id(ctx, domain),
        in_reply_to=ctx.message_id,
    )
    return SimReply(text=text, raw=raw, delay=delay, kind="ooo", facts=(("return_date", back.isoformat()),))


def _on_slots(ctx: _Ctx, outcome: str, slots: list[tuple[str, str]]) -> SimReply | None:
    rng, p = ctx.rng, ctx.prospect.propensities
    if outcome == "meeting":
        if rng.random() < 0.75 or ctx.n >= 6:
            day, time = rng.choice(slots)
            day = day.capitalize()
            return ctx.reply("proposes_time", "pick", facts=(("slot", f"{day} {time}"),), day=day, time=time)
        offered = {day.lower() for day, _ in slots}  # membership only
        options = [alt for d, alt in _phrases.ALTERNATIVES if d.lower() not in offered] or [
            _phrases.ALTERNATIVES[0][1]
        ]
        alt = rng.choice(options)
        return ctx.reply("proposes_time", "counter", facts=(("declined", "all"), ("slot", alt)), alt=alt)
    if rng.random() >= p.reply:
        return None
    if outcome == "lost":
        return _lost(ctx)
    return ctx.reply("objection_timing")


def _on_questions(ctx: _Ctx, outcome: str, questions: list[str]) -> SimReply | None:
    rng, p, lead = ctx.rng, ctx.prospect.propensities, ctx.prospect.lead
    chance = 0.95 if outcome == "meeting" else p.reply if outcome == "lost" else max(p.reply, 0.1) * 0.9
    if rng.random() >= chance:
        return None
    if outcome == "lost":
        return _lost(ctx)
    facts = _answers.facts_for(ctx.prospect.id, lead.industry or "", ctx.hot)
    topics = list(questions)
    style = rng.random()
    if len(topics) >= 2 and style < 0.2:
        rng.shuffle(topics)  # answered out of order
    elif len(topics) >= 2 and style < 0.4:
        topics = sorted(rng.sample(topics, rng.randint(1, len(topics) - 1)), key=questions.index)  # partial
    elif len(topics) == 1 and style < 0.3:
        extra = [t for t in _answers.VOLUNTEER.get(lead.industry or "", ()) if t not in topics]
        if extra:
            topics.append(rng.choice(extra))  # two answers for one question
    said = tuple((t, facts[t]) for t in topics)
    sentences = [_answers.say(t, v, rng) for t, v in said]
    if outcome == "meeting" and rng.random() < 0.3:
        sentences.append(ctx.phrase("call_too") if not ctx.short else "Happy to talk")
    joiner = " " if ctx.short or rng.random() < 0.5 else "\n"
    return ctx.reply("answers", text=joiner.join(sentences), facts=said)


def _on_outreach(ctx: _Ctx, outcome: str) -> SimReply | None:
    rng, p, n = ctx.rng, ctx.prospect.propensities, ctx.n
    if outcome == "lost":
        return _lost(ctx) if rng.random() < p.reply * (1.0 if n == 1 else 0.7) else None
    chance = p.reply if outcome == "meeting" else p.reply * 0.8 ** (n - 1)
    if rng.random() >= chance:
        return None
    industry = ctx.prospect.lead.industry or ""
    comp = _phrases.COMPETITORS.get(industry, _phrases.COMPETITORS["b2b_saas"])
    price_bias = 2.0 if ctx.prospect.persona == "price shopper" else 0.7
    options: tuple[tuple[str, float], ...] = (
        ("interested", 0.2 + p.interest * (0.6 if outcome == "meeting" else 0.2)),
        ("meeting_request", p.meeting * (0.5 + 0.2 * min(n, 4)) if outcome == "meeting" else 0.0),
        ("question", p.question * 0.8),
        ("objection_price", p.objection * 0.4 * price_bias),
        ("objection_timing", p.objection * 0.3 + (0.25 if outcome == "nurture" else 0.0)),
        ("objection_competitor", p.objection * 0.2),
    )
    kind = rng.choices([k for k, _ in options], weights=[w for _, w in options])[0]
    if kind == "question":
        lang = language_of(ctx.prospect)
        pool = (
            _phrases.LOCAL[lang]["question"]
            if lang != "en"
            else _phrases.QUESTIONS.get(industry, _phrases.QUESTIONS["b2b_saas"])
        )
        return ctx.reply("question", text=rng.choice(pool))
    if kind == "interested" and outcome != "meeting":
        return ctx.reply("interested", "lukewarm")
    if kind == "interested" and ctx.hot and rng.random() < 0.3 and not ctx.short:
        facts = _answers.facts_for(ctx.prospect.id, industry, True)
        topic = rng.choice(_answers.VOLUNTEER.get(industry, ("timeline",)))
        said = ((topic, facts[topic]),)
        return ctx.reply(
            "interested",
            facts=said,
            text=f"{ctx.phrase('interested')} {_answers.say(topic, facts[topic], rng)}",
        )
    return ctx.reply(kind, competitor=rng.choice(comp))


def _lost(ctx: _Ctx) -> SimReply:
    ref = referral_of(ctx.prospect)
    if ref is not None:
        return ctx.reply("referral", facts=(("referral", ref[1]),), ref_name=ref[0], ref_email=ref[1])
    if ctx.prospect.persona == "wrong contact":
        return ctx.reply("wrong_person")
    if ctx.rng.random() < 0.2:
        comp = _phrases.COMPETITORS.get(ctx.prospect.lead.industry or "", _phrases.COMPETITORS["b2b_saas"])
        return ctx.reply("objection_competitor", competitor=ctx.rng.choice(comp))
    return ctx.reply("not_interested")
