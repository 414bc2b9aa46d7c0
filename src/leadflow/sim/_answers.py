"""What a simulated prospect knows about itself, and how it says it when asked.

A prospect's facts (timeline, budget, team size...) are drawn once from its id, hot or
cold, so every answer it gives agrees with every other answer and with ``truth_of``.
Questions are spotted with plain patterns, in the order they appear in the message.
"""

from __future__ import annotations

import random
import re

#: topic -> patterns that mark a question about it (matched on lower-cased text).
TOPICS: tuple[tuple[str, tuple[str, ...]], ...] = (
    (
        "timeline",
        (
            r"when are you (looking|hoping|planning)",
            r"time ?line",
            r"time ?frame",
            r"how soon",
            r"when (do|would) you (want|need|like|plan)",
            r"when .{0,40}\bmove\b",
        ),
    ),
    ("preapproved", (r"pre-?\s?approved", r"mortgage", r"financing (in place|sorted|lined up)", r"lender")),
    (
        "bill",
        (r"electric(ity)? bill", r"(monthly|utility|power|energy) bill", r"how much .{0,30}electricity"),
    ),
    ("own_home", (r"own (your|the) (home|house|property)", r"homeowner", r"own or rent", r"rent or own")),
    (
        "team_size",
        (r"sales team", r"how many (people|reps|sdrs|sellers|salespeople)", r"team size", r"headcount"),
    ),
    (
        "budget",
        (r"budget", r"price range", r"how much .{0,20}(spend|invest)", r"what .{0,15}willing to spend"),
    ),
    ("crm", (r"\bcrm\b", r"what tools", r"which tools", r"salesforce or hubspot")),
    ("decision_maker", (r"decision", r"who else", r"sign(s|ing)? off", r"anyone else involved")),
    (
        "location",
        (
            r"what (area|neighbou?rhood)",
            r"which (area|neighbou?rhood|part of town)",
            r"where are you looking",
        ),
    ),
    ("bedrooms", (r"how many (bed)?rooms", r"bedrooms")),
    ("roof", (r"\broof\b", r"shade", r"south-facing")),
)

_COMPILED = tuple((topic, tuple(re.compile(p) for p in patterns)) for topic, patterns in TOPICS)

#: Questions each industry's prospect would volunteer an answer to, unprompted.
VOLUNTEER: dict[str, tuple[str, ...]] = {
    "real_estate": ("timeline", "preapproved", "budget", "bedrooms"),
    "solar": ("bill", "own_home", "timeline"),
    "b2b_saas": ("team_size", "crm", "timeline", "budget"),
}


def find_questions(body: str) -> list[str]:
    """Return the qualification topics ``body`` asks about, in order of appearance.

    Only sentences ending in a question mark count, so "thanks for sharing your budget."
    is not a question but "What's your budget?" is.
    """
    found: list[tuple[int, str]] = []
    text = body.lower()
    for sentence in re.finditer(r"[^.?!\n]*\?", text):
        for topic, patterns in _COMPILED:
            if any(p.search(sentence.group()) for p in patterns) and topic not in (t for _, t in found):
                found.append((sentence.start(), topic))
    found.sort(key=lambda item: item[0])
    return [topic for _, topic in found]


def facts_for(prospect_id: str, industry: str, hot: bool) -> dict[str, str]:
    """Return the prospect's hidden answers, one short phrase per topic.

    Drawn from ``prospect_id`` alone so they never change between messages or runs.
    """
    rng = random.Random(f"facts:{prospect_id}")
    if hot:
        facts = {
            "timeline": rng.choice(
                ("within 2 months", "in the next 6 weeks", "ASAP, ideally next month", "this quarter")
            ),
            "preapproved": f"yes, pre-approved up to ${rng.randrange(400, 950, 25)}k",
            "bill": f"${rng.randrange(180, 380, 10)}/month",
            "own_home": rng.choice(("yes, we own it", "yes, we own the house")),
            "team_size": f"{rng.randint(8, 45)} reps",
            "crm": rng.choice(("HubSpot", "Salesforce", "Pipedrive")),
            "decision_maker": rng.choice(
                ("it's my call", "me and my partner, and we're aligned", "I sign off on it")
            ),
            "bedrooms": rng.choice(("3 bedrooms", "4 bedrooms", "3 bed, 2 bath")),
            "roof": rng.choice(("south-facing, no shade", "newish roof, mostly sunny")),
        }
        facts["budget"] = {
            "real_estate": f"around ${rng.randrange(450, 900, 25)}k",
            "solar": rng.choice(("we'd finance it", f"about ${rng.randrange(18, 35)}k")),
        }.get(industry, f"${rng.randrange(2, 8)}k a month is budgeted")
    else:
        facts = {
            "timeline": rng.choice(("just browsing", "maybe next year", "no rush, 12 months or more")),
            "preapproved": rng.choice(("not yet", "haven't talked to a lender")),
            "bill": f"${rng.randrange(40, 95, 5)}/month",
            "own_home": rng.choice(("we rent actually", "renting for now")),
            "team_size": rng.choice(("just me and one other person", "2 people", "3 of us")),
            "crm": rng.choice(("spreadsheets, honestly", "nothing really", "a shared Google sheet")),
            "decision_maker": rng.choice(("I'd need to check with my boss", "not my decision really")),
            "bedrooms": rng.choice(("not sure yet", "depends on the price")),
            "roof": rng.choice(("lots of shade from the trees", "no idea")),
            "budget": rng.choice(
                ("no budget set yet", "depends on the price", "not sure, haven't thought about it")
            ),
        }
    facts["location"] = rng.choice(
        ("close to downtown", "near the good schools", "anywhere with a short commute")
    )
    return facts


_LEADS: dict[str, tuple[str, ...]] = {
    "timeline": ("Timeline: {v}.", "We're looking {v}.", "{V} on timing."),
    "preapproved": ("Financing: {v}.", "{V}.", "On the mortgage, {v}."),
    "bill": ("Our bill is about {v}.", "Electric is roughly {v}.", "Around {v}."),
    "own_home": ("{V}.", "Re the house: {v}."),
    "team_size": ("We have {v}.", "Team is {v}.", "{V} on the team."),
    "budget": ("Budget: {v}.", "{V} for budget.", "Budget-wise, {v}."),
    "crm": ("We use {v}.", "CRM: {v}.", "{V} for CRM."),
    "decision_maker": ("{V}.", "On the decision, {v}."),
    "location": ("We're looking {v}.", "Area: {v}."),
    "bedrooms": ("{V}.", "Size: {v}."),
    "roof": ("Roof: {v}.", "{V}."),
}


def say(topic: str, value: str, rng: random.Random) -> str:
    """Phrase one answer, e.g. ``("timeline", "within 2 months")`` → "Timeline: within 2 months."."""
    template = rng.choice(_LEADS.get(topic, ("{V}.",)))
    text = template.format(v=value, V=value[:1].upper() + value[1:])
    return text.replace("..", ".")


# Day names with a clock time after them: "Tuesday 3:00 PM", "Thursday at 10am".
_SLOT = re.compile(
    r"\b(monday|tuesday|wednesday|thursday|friday|saturday|sunday|tomorrow)\b"
    r"(?:,?\s+(?:\w{3,9}\.?\s+\d{1,2}(?:st|nd|rd|th)?,?\s*)?(?:at\s+)?)"
    r"(\d{1,2}(?::\d{2})?\s*(?:am|pm|a\.m\.|p\.m\.)|\d{1,2}:\d{2}|noon)",
    re.IGNORECASE,
)


def find_slots(body: str) -> list[tuple[str, str]]:
    """Return the (day, time) pairs a message proposes, in order, as written."""
    return [(m.group(1), m.group(2)) for m in _SLOT.finditer(body)]
