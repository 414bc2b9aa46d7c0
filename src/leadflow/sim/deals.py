"""The simulated seller and simulated customers: how a deal ends, and what a customer writes back.

After a meeting, a real seller tells leadflow (or the CRM) whether the deal was won or lost.
:func:`deal_outcome` plays that seller: a pure function of the seed and the prospect's hidden
propensities (keen, hot prospects with few objections usually buy), including how many days
after the meeting the report comes in. :func:`customer_reply` plays a customer answering the
post-sale onboarding and check-in emails: most stay quiet, some thank or ask how-to questions,
and churn-prone customers complain once the check-ins start. Both draw from their own
``random.Random`` keyed by the seed, the prospect and the message, never from a global RNG or
the clock, so a crash-and-resume or a redelivery gives exactly the same answers.
"""

from __future__ import annotations

import hashlib
import random
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from leadflow.sim.prospects import SimProspect, is_hot
from leadflow.sim.replies import SimReply

#: (low, high, step) deal values per industry; unknown industries use ``b2b_saas``.
DEAL_SIZES: dict[str, tuple[int, int, int]] = {
    "b2b_saas": (6_000, 48_000, 500),
    "real_estate": (4_000, 25_000, 250),
    "solar": (12_000, 40_000, 500),
}
LOST_REASONS: tuple[str, ...] = (
    "chose a competitor", "no budget this year", "timing: revisit next quarter", "no decision, went quiet",
    "price too high for them",
)  # fmt: skip
#: A customer mail sent this long after the win is a check-in (before it: onboarding).
CHECK_IN_AFTER = timedelta(days=25)

CUSTOMER_KINDS: tuple[str, ...] = ("customer_thanks", "customer_question", "customer_unhappy")
_CUSTOMER_TEXT: dict[str, tuple[str, ...]] = {
    "customer_thanks": (
        "Done, the CRM is connected. Thanks for the help!",
        "Sounds great, we're excited to launch the first campaign.",
        "Yes please, would love a review of the campaign before launch.",
        "Thanks, CRM is connected. Happy so far.",
        "Going well! We booked our first meetings last week.",
    ),
    "customer_question": (
        "Quick question: how do we add a second mailbox?",
        "Where do I find the setting for the sending window?",
        "How do I invite the rest of my team?",
    ),
    "customer_unhappy": (
        "Thanks for checking in. Honestly we're not seeing the results we hoped for, and we're thinking about cancelling.",
        "We're frustrated: nothing has been set up and nobody answers us. This is unacceptable.",
        "To be frank it's been a disappointment so far and we may not renew.",
    ),
}


@dataclass(frozen=True)
class DealReport:
    """What the simulated seller reports after the meeting, and how long after it."""

    outcome: str  # "won" or "lost"
    amount: float | None
    reason: str
    delay: timedelta


def win_probability(prospect: SimProspect) -> float:
    """The chance the deal is won: interest and a hot profile help, objections hurt.

    Around one in two for a keen, hot buyer with few objections, near nothing for the rest,
    in line with the post-meeting close rates sales teams report.
    """
    p = prospect.propensities
    chance = 0.1 + 0.35 * p.interest + (0.15 if is_hot(p) else 0.0) - 0.3 * p.objection
    return min(0.8, max(0.03, chance))


def deal_outcome(prospect: SimProspect, *, seed: int) -> DealReport:
    """How the deal with ``prospect`` ends, as the seller reports it 1-9 days after the meeting."""
    rng = random.Random(f"{seed}:{prospect.id}:deal")
    won = rng.random() < win_probability(prospect)
    delay = timedelta(hours=round(rng.uniform(24, 9 * 24)))
    if won:
        low, high, step = DEAL_SIZES.get(prospect.lead.industry or "", DEAL_SIZES["b2b_saas"])
        return DealReport("won", float(rng.randrange(low, high + 1, step)), "signed", delay)
    return DealReport("lost", None, rng.choice(LOST_REASONS), delay)


def churn_prone(prospect: SimProspect, *, seed: int) -> bool:
    """Whether this customer turns unhappy at the check-ins (more likely for objection-prone ones)."""
    return random.Random(f"{seed}:{prospect.id}:churn").random() < 0.2 + 0.6 * prospect.propensities.objection


def customer_reply(
    prospect: SimProspect,
    *,
    seed: int,
    n: int,
    subject: str | None,
    body: str,
    sent_at: datetime,
    won_at: datetime,
) -> SimReply | None:
    """A customer's answer to the ``n``-th post-sale email (1 = the welcome), or None (most of the time).

    Args:
        prospect: The customer.
        seed: The simulation seed.
        n: How many emails the customer has had since the win, this one included.
        subject: The email's subject.
        body: The email's text.
        sent_at: When it was sent; naive values are read as UTC.
        won_at: When the deal was reported won; mail 25+ days later is a check-in.
    """
    if n < 1:
        raise ValueError("n counts messages received since the win, starting at 1")
    sent_at = sent_at if sent_at.tzinfo is not None else sent_at.replace(tzinfo=UTC)
    won_at = won_at if won_at.tzinfo is not None else won_at.replace(tzinfo=UTC)
    digest = hashlib.sha256(f"{subject or ''}\0{body}".encode()).hexdigest()[:16]
    rng = random.Random(f"{seed}:{prospect.id}:customer:{n}:{digest}")
    check_in = sent_at - won_at >= CHECK_IN_AFTER
    if check_in and churn_prone(prospect, seed=seed):
        kind = "customer_unhappy"
    elif rng.random() < (0.55 if n == 1 else 0.25) * prospect.propensities.reply:
        kind = "customer_question" if rng.random() < 0.4 else "customer_thanks"
    else:
        return None
    core = rng.choice(_CUSTOMER_TEXT[kind])
    greeting = rng.choice(("Hi,", "Hello,", ""))
    text = "\n\n".join(x for x in (greeting, core, prospect.lead.first_name) if x)
    return SimReply(text=text, raw=None, delay=timedelta(minutes=rng.randint(30, 30 * 60)), kind=kind)
