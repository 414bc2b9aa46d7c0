"""The offline writer: first touches that read like a person wrote them, without a model.

:func:`pick` chooses the signal worth opening with, by what reads naturally rather than by the
research's confidence: a funding round, then a hire, a product launch, the lead's own inquiry,
other news, a pain point from their site, the tools they use; only then the lead's own fields
(title, company size, industry), and those are never quoted as fields: "Company size: 1200"
becomes "a company of about 1,200 people", ``b2b_saas`` becomes "B2B SaaS".

:func:`write` builds the message slot by slot (greeting, the opening on that signal, why it
matters, a proof point, the ask, the sign-off). Each slot has several phrasings; which one a
lead gets is a hash of its id and the slot (:func:`choose`), so two leads rarely read alike and
the same lead always gets the same draft (runs are reproducible).

The tier shows in the text: tier A gets the specific signal, why it matters and a proof point
from the campaign's knowledge (a sentence of a knowledge-base passage, so the gate finds it
backed); tier B the signal and why it matters; tier C a short plain note.

:func:`plain` is the safe fallback when a draft fails the personalisation gate: it names
nothing from research at all.

Nothing here is a prompt; the model path lives in :mod:`leadflow.agents.personalisation`.
"""

from __future__ import annotations

import re
import zlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from leadflow.domain.models import Campaign, Channel, Lead

_LEAD_WORDS = ("lead:inquiry", "lead:message", "lead:notes")
_AMOUNT = re.compile(r"[$€£]\s?\d+(?:[.,]\d+)?\s?(?:k|m|mm|bn?|million|billion)?\b|\b\d+(?:\.\d+)?\s?(?:million|billion)\b", re.I)
_ROUND = re.compile(r"\b(?:series\s+[a-h]|(?:pre-?)?seed(?:\s+round)?|growth\s+round)\b", re.I)
_ROLE = re.compile(
    r"\b(?:\d+\s+)?(?:(?:senior|junior|lead|staff|principal)\s+)?(?:(?:software|data|sales|marketing|devops|platform|"
    r"backend|frontend|full[- ]stack|ml|customer success|support|product|solutions|security)\s+)"
    r"(?:engineers?|developers?|designers?|managers?|representatives?|analysts?|scientists?|architects?)\b|"
    r"\b(?:\d+\s+)?(?:sales|business) development (?:representatives?|reps?)\b|"
    r"\b(?:\d+\s+)?account (?:executives?|managers?)\b|\b(?:\d+\s+)?[SB]DRs?\b|\b(?:head|vp|director) of [a-z]+",
    re.I,
)
_LAUNCH = re.compile(r"\b(launch(?:ed|es|ing)?|unveil(?:ed|s)?|introduc(?:ed|es|ing)|announc(?:ed|es|ing))\s+(.+)", re.I)
_SIZE = re.compile(r"\b(\d{1,3}(?:,\d{3})+|\d+)\b")
_INDUSTRY = {"b2b_saas": "B2B SaaS", "saas": "SaaS", "hvac": "HVAC", "real_estate": "real estate"}
_EMPTY_NAMES = frozenset({"", "none", "null", "n/a", "na", "-", "unknown", "nan"})

# The order signals are opened with; lower is stronger.
RANK = ("funding", "hiring", "launch", "inquiry", "news", "pain", "tech", "title", "size", "industry", "other")


def choose(options: Sequence[str], key: str, slot: str, shift: int = 0) -> str:
    """One of ``options``, the same for the same ``key`` (a lead id) and ``slot``, varied across keys;
    ``shift`` moves to the next phrasing (a draft written again after a person rejected it)."""
    return options[(zlib.crc32(f"{key}|{slot}".encode()) + shift) % len(options)]


def _clip(text: str, words: int) -> str:
    parts = text.split()
    return " ".join(parts[:words]).rstrip(",;:-—") + ("…" if len(parts) > words else "")


def _sentence(text: str) -> str:
    return re.split(r"(?<=[.!?])\s+", text.strip(), maxsplit=1)[0].strip().rstrip(".!")


def first_name(lead: Lead) -> str:
    """The lead's first name as a greeting may use it ("there" when it is missing or a null)."""
    name = (lead.first_name or "").strip()
    return "there" if name.lower() in _EMPTY_NAMES else name


def company_of(lead: Lead) -> str:
    name = (lead.company or "").strip()
    return "your company" if name.lower() in _EMPTY_NAMES else name


def industry_words(value: str) -> str:
    """An industry id or label as prose (``b2b_saas`` -> "B2B SaaS")."""
    value = value.strip()
    return _INDUSTRY.get(value.lower(), value.replace("_", " "))


@dataclass(frozen=True)
class Pick:
    """The signal chosen to open with, as prose.

    Attributes:
        signal: The research signal (its ``text`` is what the gate checks the draft uses).
        slot: Which family of phrasings fits it (one of :data:`RANK`).
        facts: The pieces the phrasings use (``round``, ``amount``, ``role``, ``what``, ...).
    """

    signal: Mapping[str, Any]
    slot: str
    facts: dict[str, str] = field(default_factory=dict)


def _field_value(text: str) -> str:
    _label, sep, value = text.partition(": ")
    return value.strip() if sep else text.strip()


def _read(signal: Mapping[str, Any]) -> Pick | None:
    """What a signal can say in a sentence, or ``None`` when it cannot say anything natural."""
    text = " ".join(str(signal.get("text", "")).split())
    if not text:
        return None
    kind = str(signal.get("kind"))
    source = str(signal.get("source", ""))
    if source in _LEAD_WORDS:
        said = _sentence(text)
        return Pick(signal, "inquiry", {"said": _clip(said if len(said.split()) >= 5 else text.rstrip("."), 14)})
    if source == "lead:title":
        title = _field_value(text)
        return Pick(signal, "title", {"title": title}) if title.lower() not in _EMPTY_NAMES else None
    if source == "lead:industry":
        value = _field_value(text)
        return Pick(signal, "industry", {"industry": industry_words(value)}) if value.lower() not in _EMPTY_NAMES else None
    if kind == "company_size":
        found = _SIZE.search(_field_value(text))
        if found is None:
            return None
        n = int(found.group(1).replace(",", ""))
        return Pick(signal, "size", {"people": f"{n:,}"}) if n > 0 else None
    if kind == "funding":
        amount = _AMOUNT.search(text)
        found = _ROUND.search(text)
        money = amount.group(0).replace(" ", "") if amount else ""
        round_ = found.group(0).title() if found else ""
        raise_ = f"{money} {round_}" if money and round_ else f"{money} round" if money else round_
        return Pick(signal, "funding", {"raise": raise_ or "new funding", "round": round_})
    if kind == "hiring":
        role = _ROLE.search(text)
        return Pick(signal, "hiring", {"role": role.group(0) if role else ""})
    if kind == "news":
        launch = _LAUNCH.search(text)
        if launch:
            return Pick(signal, "launch", {"verb": launch.group(1).lower(), "what": _clip(_sentence(launch.group(2)), 12)})
        return Pick(signal, "news", {"said": _clip(_sentence(text), 12)})
    if kind == "pain_point":
        return Pick(signal, "pain", {"said": _clip(_sentence(text), 12)})
    if kind == "tech_stack":
        return Pick(signal, "tech", {"tech": _clip(text, 4)})
    return None  # "other" page text: nothing a person would open with


def _order(p: Pick) -> tuple[int, int, float]:
    specific = 0 if p.slot != "hiring" or p.facts.get("role") else 1
    return RANK.index(p.slot), specific, -float(p.signal.get("confidence", 0.0))


def pick(signals: Sequence[Mapping[str, Any]]) -> Pick | None:
    """The signal that reads best as an opening (see the module docstring), or ``None``."""
    picks = [p for p in (_read(s) for s in signals) if p is not None]
    return min(picks, key=_order) if picks else None


_TOPICS = {
    "funding": "growth pipeline results",
    "hiring": "new reps ramp onboarding results",
    "launch": "launch inbound leads response time",
    "news": "inbound leads response time",
    "tech": "{tech} integration",
}


def topic(signals: Sequence[Mapping[str, Any]]) -> str:
    """Search words for a proof point that fits the opening: what they asked or struggle with,
    the tool they use, or what their news means (a raise, a hire, a launch)."""
    chosen = pick(signals)
    if chosen is None:
        return "customers results"
    if chosen.slot in ("inquiry", "pain"):
        return chosen.facts.get("said", "")
    return _TOPICS.get(chosen.slot, "customers results").replace("{tech}", chosen.facts.get("tech", ""))


# -- the slots ------------------------------------------------------------------------------------

_OPENINGS: dict[str, tuple[str, ...]] = {
    "funding": (
        "Congratulations on the {raise}",
        "I saw the news about the {raise}, congratulations",
        "Saw that {company} closed its {raise}. Congrats",
    ),
    "hiring": (
        "I saw {company} is hiring {role}",
        "Noticed you're bringing on {role} at {company}",
        "Looks like {company} is adding {role}",
    ),
    "hiring_plain": (
        "I saw on the careers page that {company} is hiring",
        "Noticed {company} is hiring (the careers page has open roles)",
        "Looks like {company} is hiring, judging by the careers page",
    ),
    "launch": (
        "I saw {company} {verb} {what}",
        "Caught the news that {company} {verb} {what}",
        "Congrats on the news: {company} {verb} {what}",
    ),
    "inquiry": (
        'Thanks for your note. You mentioned "{said}"',
        'Thanks for getting in touch. You wrote "{said}"',
        'Thanks for reaching out about this: "{said}"',
    ),
    "news": (
        'I saw the recent news on your site ("{said}")',
        'Caught an update on {company}\'s site: "{said}"',
        'Read the latest from {company}: "{said}"',
    ),
    "pain": (
        'One line on your site stood out to me: "{said}"',
        'Your site mentions "{said}"',
        'I noticed this on {company}\'s site: "{said}"',
    ),
    "tech": (
        "I noticed your team works with {tech}",
        "Saw that {company} runs on {tech}",
        "Looks like {company} uses {tech}",
    ),
    "title": (
        "As {title} at {company}, you probably see how fast new leads cool off",
        "I'm reaching out because, as {title} at {company}, lead follow-up likely lands with you",
        "Given your role as {title} at {company}, I thought this might be relevant",
    ),
    "size": (
        "I see {company} is about {people} people strong",
        "{company} is a company of about {people} people, if I have it right",
        "With around {people} people at {company}, I imagine there is a lot of inbound to keep up with",
    ),
    "industry": (
        "I've been speaking with a few {industry} teams lately",
        "I work with a number of {industry} companies",
        "Reaching out since {company} is in {industry}",
    ),
    "none": (
        "Thanks for your interest in {offer}",
        "I wanted to introduce {offer}",
        "Reaching out with a quick idea for {company}",
    ),
}

_WHY: dict[str, tuple[str, ...]] = {
    "funding": (
        "After a raise the pressure is on to turn new budget into pipeline fast",
        "New funding usually comes with bigger pipeline targets",
        "That tends to mean ambitious growth goals for the next few quarters",
    ),
    "hiring": (
        "A growing team usually means more leads to follow up than hours to do it",
        "New reps ramp faster when every lead gets a quick, consistent first reply",
        "Growth like that tends to make lead follow-up harder to keep consistent",
    ),
    "launch": (
        "Moments like this tend to bring a wave of new conversations",
        "A launch usually brings a spike of interest worth answering quickly",
        "News like that tends to put more leads in front of the team at once",
    ),
    "inquiry": (
        "Happy to walk you through how we would handle it",
        "I can share how we would approach it for {company}",
        "Glad to help with that",
    ),
    "news": (
        "Moments like this tend to bring a wave of new conversations",
        "Updates like that usually mean more people asking questions",
        "That kind of news tends to bring new leads in",
    ),
    "pain": (
        "That is exactly the kind of work {offer} takes off a team's plate",
        "{Offer} was built to take that kind of manual work away",
        "That is the part of the job {offer} is meant to handle",
    ),
    "tech": (
        "{Offer} is meant to sit alongside the tools you already use",
        "{Offer} can slot in next to your current setup",
        "{Offer} fits alongside the tools you already run",
    ),
    "title": (
        "Keeping every new lead warm by hand is hard to do well",
        "The first reply to a new lead is often where deals slip",
        "Speed to the first reply tends to decide who wins the deal",
    ),
    "size": (
        "At that size, follow-up is often the first thing to slip",
        "Teams that size often have more leads than hours to follow them up",
        "At that scale, keeping every lead warm by hand gets hard",
    ),
    "industry": (
        "{Offer} was built with teams like yours in mind",
        "Many of them are rethinking how they follow up with new leads",
        "Speed to the first reply tends to decide who wins the deal there",
    ),
    "none": (
        "{Offer} was built with teams like yours in mind",
        "It might be a fit for how your team works",
        "It could save your team some time",
    ),
}

_ASKS = (
    "Would a short call about {offer} be useful?",
    "Worth a quick call to see if it fits?",
    "Would it help if I shared how this would work for {company}?",
    "Is this worth a short conversation?",
)
_SIGN_OFFS = ("{rep}", "Best,\n{rep}", "Thanks,\n{rep}", "Cheers,\n{rep}")
_GREETINGS = ("Hi {first},", "Hello {first},")
_SUBJECTS: dict[str, tuple[str, ...]] = {
    "funding": ("{first}, congrats on the raise", "{first}, after the {short_raise}", "congrats on the {short_raise}"),
    "hiring": ("{first}, scaling the team", "{first}, your open roles", "growing the team at {company}"),
    "launch": ("{first}, saw the news", "{first}, congrats on the launch", "the {company} news"),
    "inquiry": ("{first}, your note", "{first}, thanks for reaching out", "about your question, {first}"),
    "news": ("{first}, saw the news", "{first}, a thought on the news", "the {company} update"),
}
_DEFAULT_SUBJECTS = ("{first}, quick question", "{first}, an idea for {company}", "{offer} for {company}")
_SMS: dict[str, tuple[str, ...]] = {
    "funding": ("Congrats on the {short_raise}!",),
    "hiring": ("Saw you're hiring.",),
    "hiring_plain": ("Saw the careers page.",),
    "launch": ("Saw the news: {verb} {what_short}.",),
    "news": ('Saw "{said_short}".',),
    "pain": ('Saw "{said_short}" on your site.',),
    "inquiry": ('Re "{said_short}".',),
    "tech": ("Saw you use {tech}.",),
    "title": ("A quick one for you as {title}.",),
    "size": ("A quick one for a team of {people}.",),
    "industry": ("A quick one about follow-up in {industry}.",),
}


def _fill(template: str, values: Mapping[str, str]) -> str:
    text = template
    for key, value in values.items():
        text = text.replace("{" + key + "}", value)
    return text


def _stop(text: str) -> str:
    """``text`` ended as a sentence (no "?." after a quoted question)."""
    return text if re.search(r"[.!?…][\"”']?$", text) else text + "."


def _cap(text: str) -> str:
    return text[:1].upper() + text[1:] if text else text


@dataclass(frozen=True)
class Written:
    """A template draft before its footer: subject (e-mail), body and the signal it used."""

    subject: str | None
    body: str
    signal_used: str


def proof_point(passages: Sequence[str]) -> str | None:
    """A sentence from the campaign's knowledge that reads as a proof point, if one does.

    A proof point is a plain statement (8 to 28 words, not a question, a heading or a list
    item); one with a figure in it is preferred. It is quoted from ``passages`` as is, so the
    gate finds every figure in it backed.
    """
    best: tuple[int, str] | None = None
    for passage in passages:
        for line in passage.splitlines():
            line = line.strip()
            if not line or line[0] in "#*-|>" or line.endswith(":"):
                continue
            for sentence in re.split(r"(?<=[.!])\s+", line):
                words = sentence.split()
                if not 8 <= len(words) <= 28 or not sentence.endswith(".") or "?" in sentence:
                    continue
                if re.search(r"\b(?:fictional|demo|lorem|todo)\b|[{}\[\]<>]", sentence, re.I):
                    continue
                score = 0 if re.search(r"\d", sentence) else 1
                if best is None or score < best[0]:
                    best = (score, sentence)
        if best is not None and best[0] == 0:
            break
    return best[1] if best else None


def write(
    channel: Channel,
    lead: Lead,
    lead_key: str,
    campaign: Campaign,
    signals: Sequence[Mapping[str, Any]],
    *,
    rep: str,
    tier: str | None = None,
    proof: str | None = None,
    variant: int = 0,
) -> Written:
    """The draft of a first touch for ``lead`` (see the module docstring for how it is built).

    ``variant`` > 0 writes it again in other words (every slot with a choice takes the next phrasing).
    """
    chosen = pick(signals)
    slot = chosen.slot if chosen else "none"
    facts = dict(chosen.facts) if chosen else {}
    values = {
        "first": first_name(lead),
        "company": company_of(lead),
        "offer": campaign.offer,
        "Offer": _cap(campaign.offer),
        "rep": rep,
        **facts,
    }
    values["short_raise"] = facts.get("round") or "raise"
    values["said_short"] = _clip(facts.get("said", ""), 5)
    values["what_short"] = _clip(facts.get("what", ""), 4)
    key = lead_key
    opening_slot = "hiring_plain" if slot == "hiring" and not facts.get("role") else slot
    opening = _fill(choose(_OPENINGS[opening_slot], key, "opening", variant), values)
    why = _fill(choose(_WHY[slot], key, "why", variant), values)
    ask = _fill(choose(_ASKS, key, "ask", variant), values)
    used = str(chosen.signal["text"]) if chosen else ""
    if channel is Channel.SMS:
        mention = _fill(choose(_SMS.get(opening_slot, ("",)), key, "sms", variant), values) if chosen else ""
        body = f"Hi {values['first']}, {rep} at {campaign.company_name}. {mention} Open to a quick chat?"
        return Written(None, " ".join(body.split()), used)
    if channel is Channel.LINKEDIN:
        body = f"Hi {values['first']}, {_stop(opening)} {_stop(why)} Open to connecting?"
        if len(body) > 280:
            body = f"Hi {values['first']}, {_stop(opening)} Open to connecting?"
        return Written(None, body, used)
    greeting = _fill(choose(_GREETINGS, key, "greeting", variant), values)
    sign_off = _fill(choose(_SIGN_OFFS, key, "sign_off", variant), values)
    tier = (tier or "B").upper()
    if tier == "C":
        middle = f"{_stop(opening)} {ask}"
    elif tier == "A" and proof:
        middle = f"{_stop(opening)} {_stop(why)} {proof}\n\n{ask}"
    else:
        middle = f"{_stop(opening)} {_stop(why)}\n\n{ask}"
    subject = _fill(choose(_SUBJECTS.get(slot, _DEFAULT_SUBJECTS), key, "subject", variant), values)
    return Written(_cap(subject), f"{greeting}\n\n{middle}\n\n{sign_off}", used)


def plain(channel: Channel, lead: Lead, campaign: Campaign, *, rep: str) -> Written:
    """The safe fallback: a short note that quotes nothing from research or the lead's fields."""
    first = first_name(lead)
    if channel is Channel.SMS:
        return Written(None, f"Hi {first}, {rep} at {campaign.company_name}. Open to a quick chat about {campaign.offer}?", "")
    if channel is Channel.LINKEDIN:
        return Written(None, f"Hi {first}, I'm {rep} at {campaign.company_name}. Open to connecting?", "")
    body = (
        f"Hi {first},\n\nI'm {rep} at {campaign.company_name}. I wanted to introduce {campaign.offer} "
        f"and see whether it could help your team.\n\nWould a short call be useful?\n\n{rep}"
    )
    return Written(f"{first}, a quick introduction" if first != "there" else "A quick introduction", body, "")
