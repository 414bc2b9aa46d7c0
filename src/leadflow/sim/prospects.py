"""Synthetic prospects with hidden propensities, generated reproducibly from a seed.

A prospect is a :class:`~leadflow.domain.Lead` (what the engine sees) plus
:class:`Propensities` and a persona (what only the simulator and the tests see). Each
prospect is drawn from its own ``random.Random(f"{seed}:{index}:prospect")``, so the first
ten prospects of ``generate_prospects(seed=1, n=500)`` equal ``generate_prospects(seed=1,
n=10)``, and nothing depends on a global RNG, the clock or hash randomisation.

The hidden outcome follows from the propensities by fixed thresholds (see :func:`fate`),
so :func:`truth_of` can label a prospect without replaying a conversation.

Business (B2B) prospects also carry firmographics, ``attributes["employees"]``, drawn from a
separate ``random.Random(f"{seed}:{index}:firmographics")`` so that adding them left every other
field of every prospect as it was. Company size, title seniority, industry and region are what
triage scores against the demo campaign's ideal customer profile.
"""

from __future__ import annotations

import random
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, fields
from typing import Any

from leadflow.domain import Consent, Lead
from leadflow.sim import _data

DEFAULT_INDUSTRIES: tuple[str, ...] = ("real_estate", "b2b_saas", "solar")
SOURCES: tuple[str, ...] = ("web_form", "csv", "portal", "referral")

#: A propensity at or above this marks the behaviour as the prospect's hidden truth.
THRESHOLD = 0.5


@dataclass(frozen=True)
class Propensities:
    """How likely a prospect is to do each thing, every value in ``0..1``.

    ``bounce``, ``opt_out``, ``ooo``, ``meeting``, ``hot`` and ``referral`` are read as
    flags against :data:`THRESHOLD`; the others scale per-message probabilities.
    """

    reply: float
    interest: float
    objection: float
    question: float
    meeting: float
    opt_out: float
    ooo: float
    bounce: float
    referral: float
    hot: float

    def __post_init__(self) -> None:
        for f in fields(self):
            value = getattr(self, f.name)
            if not 0.0 <= value <= 1.0:
                raise ValueError(f"propensity {f.name}={value!r} is outside 0..1")


@dataclass(frozen=True)
class SimProspect:
    """A synthetic lead and the hidden truth that drives its replies."""

    id: str
    lead: Lead
    propensities: Propensities
    persona: str


Range = tuple[float, float]

# persona -> (weight, ranges in Propensities field order). The ranges of the flag fields
# stay clear of THRESHOLD, except where a persona is meant to split (wrong contact:
# some refer you on, some just say you have the wrong person).
# fmt: off
_PERSONAS: tuple[tuple[str, float, tuple[Range, ...]], ...] = (
    #                 reply       interest    objection   question    meeting     opt_out     ooo          bounce      referral    hot
    ("eager buyer", 14, ((.85, 1), (.8, 1), (0, .2), (.2, .5), (.75, 1), (0, .05), (0, .1), (0, .02), (0, .1), (.75, 1))),
    ("busy exec", 9, ((.6, .8), (.55, .8), (.1, .3), (0, .2), (.55, .8), (0, .05), (0, .2), (0, .02), (0, .3), (.55, .8))),
    ("curious researcher", 12, ((.6, .9), (.4, .7), (.1, .3), (.65, 1), (.1, .4), (0, .05), (0, .1), (0, .02), (0, .1), (.2, .45))),
    ("price shopper", 10, ((.6, .9), (.3, .6), (.65, 1), (.2, .5), (.1, .35), (0, .1), (0, .1), (0, .02), (0, .1), (.15, .4))),
    ("tyre kicker", 13, ((.6, .8), (.25, .45), (.2, .5), (.2, .5), (0, .15), (0, .15), (0, .1), (0, .02), (0, .1), (0, .2))),
    ("ghost", 11, ((0, .08), (.05, .15), (0, .2), (0, .2), (0, .2), (0, .1), (0, .1), (0, .02), (0, .1), (0, .3))),
    ("closed door", 6, ((.65, .9), (0, .12), (.3, .6), (0, .1), (0, .05), (.1, .35), (0, .1), (0, .02), (0, .1), (0, .1))),
    ("wrong contact", 7, ((.65, .9), (0, .12), (0, .1), (0, .1), (0, .05), (0, .1), (0, .1), (0, .02), (.15, .85), (0, .1))),
    ("unsubscriber", 7, ((.65, .9), (0, .15), (.1, .4), (0, .1), (0, .05), (.8, 1), (0, .1), (0, .02), (0, .05), (0, .1))),
    ("bad address", 5, ((0, .02), (0, .5), (0, .2), (0, .2), (0, .2), (0, .05), (0, .02), (.9, 1), (0, .05), (0, .4))),
)
# fmt: on
_FIELDS = tuple(f.name for f in fields(Propensities))

#: Share of reachable prospects who are away when the first email lands.
_OOO_SHARE = 0.12

#: Company sizes of business prospects: (fewest, most employees, weight). Most firms on a list
#: are small; none reaches the 1,000 employees that make an enterprise account (an escalation).
COMPANY_SIZES: tuple[tuple[int, int, float], ...] = ((2, 9, 30), (10, 49, 35), (50, 199, 25), (200, 900, 10))


def fate(propensities: Propensities) -> str:
    """Return the expected final outcome: bounce, opt_out, meeting, lost or nurture."""
    p = propensities
    if p.bounce >= THRESHOLD:
        return "bounce"
    if p.opt_out >= THRESHOLD:
        return "opt_out"
    if p.meeting >= THRESHOLD:
        return "meeting"
    if p.interest < 0.2 and p.reply >= THRESHOLD:
        return "lost"
    return "nurture"


def is_hot(propensities: Propensities) -> bool:
    """Whether the prospect answers qualification questions like a ready buyer."""
    return propensities.hot >= THRESHOLD


def generate_prospects(
    *, seed: int, n: int, industries: Sequence[str] = DEFAULT_INDUSTRIES
) -> list[SimProspect]:
    """Generate ``n`` reproducible prospects spread over ``industries``.

    Args:
        seed: Any integer; the same seed always yields the same prospects.
        n: How many prospects to make.
        industries: Industry keys for ``Lead.industry``; the known ones
            (``real_estate``, ``b2b_saas``, ``solar``) get tailored inquiries, others
            read like B2B leads.

    Returns:
        The prospects, ids ``sim-{seed}-{index}``, emails, phones and ``source_lead_id`` unique.
    """
    if n < 0:
        raise ValueError("n must be >= 0")
    if not industries:
        raise ValueError("industries must not be empty")
    seen: set[str] = set()  # membership only; never iterated, so order cannot leak
    out: list[SimProspect] = []
    for index in range(n):
        prospect = _make(seed, index, tuple(industries))
        email = prospect.lead.email
        if email is not None and email in seen:
            local, _, domain = email.partition("@")
            lead = prospect.lead.model_copy(update={"email": f"{local}{index}@{domain}"})
            prospect = SimProspect(prospect.id, lead, prospect.propensities, prospect.persona)
        if prospect.lead.email is not None:
            seen.add(prospect.lead.email)
        phone = prospect.lead.phone
        if phone is not None and phone in seen:
            # one number, one person (intake links a known number to its lead); the reserved
            # 555-01xx range holds 100 numbers an area code, so a later prospect drawing a taken
            # one goes without
            consent = prospect.lead.consent.model_copy(update={"sms": False})
            lead = prospect.lead.model_copy(update={"phone": None, "consent": consent})
            prospect = SimProspect(prospect.id, lead, prospect.propensities, prospect.persona)
        elif phone is not None:
            seen.add(phone)
        out.append(prospect)
    return out


def _make(seed: int, index: int, industries: tuple[str, ...]) -> SimProspect:
    rng = random.Random(f"{seed}:{index}:prospect")
    persona, _, ranges = rng.choices(_PERSONAS, weights=[w for _, w, _ in _PERSONAS])[0]
    values = {name: round(rng.uniform(lo, hi), 3) for name, (lo, hi) in zip(_FIELDS, ranges, strict=True)}
    if values["bounce"] < THRESHOLD and rng.random() < _OOO_SHARE:
        values["ooo"] = round(rng.uniform(0.8, 1.0), 3)
    propensities = Propensities(**values)
    hot = is_hot(propensities)

    industry = rng.choice(industries)
    region = rng.choices([r for r, _ in _data.REGION_WEIGHTS], weights=[w for _, w in _data.REGION_WEIGHTS])[
        0
    ]
    zone = rng.choice([z for z in _data.ZONES if z.region == region])
    firsts, lasts = _data.NAMES[zone.names]
    first, last = rng.choice(firsts), rng.choice(lasts)
    city = rng.choice(zone.cities)
    consumer = industry in ("real_estate", "solar")

    company = domain = title = None
    if not consumer or rng.random() < 0.3:
        company, domain = _company(rng)
        pool = _data.EXEC_TITLES if persona == "busy exec" else _data.B2B_TITLES
        title = rng.choice(pool if not consumer else _data.CONSUMER_TITLES)
    if consumer:
        local = rng.choice(
            [
                f"{_slug(first)}.{_slug(last)}",
                f"{_slug(first)[0]}{_slug(last)}",
                f"{_slug(first)}{rng.randint(1, 99)}",
            ]
        )
        email = f"{local}@{rng.choice(_data.PERSONAL_DOMAINS)}"
        source = rng.choices(SOURCES, weights=(5, 1, 4, 1))[0]
    else:
        email = f"{_slug(first)}.{_slug(last)}@{domain}"
        source = rng.choices(SOURCES, weights=(3, 5, 1, 1))[0]

    has_phone = consumer or rng.random() < 0.5
    phone = _phone(rng, zone.phone) if has_phone else None
    sms = phone is not None and source in ("web_form", "portal") and rng.random() < 0.5
    inquiry = None if source == "csv" and rng.random() < 0.7 else _inquiry(rng, industry, hot, city)
    attributes: dict[str, Any] = {"city": city, "region": region}
    if not consumer:
        attributes["employees"] = company_size(seed, index)
    if source == "referral":
        attributes["referred_by"] = (
            f"{rng.choice(_data.NAMES['en_us'][0])} {rng.choice(_data.NAMES['en_us'][1])}"
        )
    lead = Lead(
        first_name=first,
        last_name=last,
        email=email,
        phone=phone,
        title=title,
        company=company,
        company_domain=domain,
        industry=industry,
        source=source,
        source_lead_id=f"{source[:2]}-{seed}-{index:06d}",
        inquiry=inquiry,
        timezone=zone.tz,
        consent=Consent(email=True, sms=sms, source=source),
        attributes=attributes,
    )
    return SimProspect(id=f"sim-{seed}-{index:06d}", lead=lead, propensities=propensities, persona=persona)


def company_size(seed: int, index: int) -> int:
    """The employee count of business prospect ``index``, from its own random stream."""
    rng = random.Random(f"{seed}:{index}:firmographics")
    low, high, _ = rng.choices(COMPANY_SIZES, weights=[w for _, _, w in COMPANY_SIZES])[0]
    return rng.randint(low, high)


def _company(rng: random.Random) -> tuple[str, str]:
    first, second = rng.choice(_data.COMPANY_FIRST), rng.choice(_data.COMPANY_SECOND)
    suffix = rng.choice(_data.COMPANY_SUFFIX)
    name = f"{first}{second} {suffix}"
    tld = rng.choice(("example", "example", "example.com", "example.net"))
    base = f"{first}{second}".lower() if rng.random() < 0.6 else f"{first}{second}-{suffix}".lower()
    return name, f"{base}.{tld}"


def _phone(rng: random.Random, template: str) -> str:
    digits = f"{rng.randint(0, 9999):04d}"
    return template.replace("{nnnn}", digits).replace("{nnn}", digits[1:]).replace("{nn}", digits[2:])


def _inquiry(rng: random.Random, industry: str, hot: bool, city: str) -> str:
    templates = _data.INQUIRIES.get(industry, _data.INQUIRIES["b2b_saas"])["hot" if hot else "cold"]
    return rng.choice(templates).format(
        city=city,
        month=rng.choice(_data.MONTHS),
        price=rng.randrange(350, 900, 25),
        address=f"{rng.randint(10, 9999)} {rng.choice(_data.STREETS)}",
        bill=rng.randrange(150, 400, 10),
        team=rng.randint(6, 40),
    )


def _slug(text: str) -> str:
    text = text.replace("ß", "ss").replace("ä", "ae").replace("ö", "oe").replace("ü", "ue")
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    return re.sub(r"[^a-z0-9]", "", text.lower())
