"""Customer and onboarding replies, read the way post-sale needs them, and auto-replies kept apart.

Label mapping for customers (documented in ``leadflow.agents.post_sale``): happy is
``interested`` (or ``other``), a neutral update ``other``, a how-to ``question``, a complaint
``objection_need``, a cancellation threat or request ``not_interested``. Post-sale flags churn
risk on the last two and never on a happy customer; an automatic answer is neither a human
reply nor engagement.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from leadflow.agents.base import AgentContext
from leadflow.agents.post_sale import NEGATIVE, PostSaleAgent
from leadflow.agents.reply_understanding import ReplyUnderstandingAgent
from leadflow.domain.events import Event, EventType, new_event
from leadflow.domain.models import Campaign, Lead, LeadState, SenderIdentity, Stage
from leadflow.reply import analyze_reply

T0 = datetime(2026, 3, 3, 15, 0, tzinfo=UTC)

HAPPY = [
    "Thanks, CRM is connected. Happy so far.",
    "Setup went smoothly and the team loves the new inbox view.",
    "<div>Hi Sam,</div><div><br></div><div>Everything works nicely, the reps are using it every day.</div>"
    "<div><br></div><div>Best,<br>Dana</div>",
    "Wir sind bisher sehr zufrieden, die Einrichtung ging schnell.",
    "Muy contentos hasta ahora, el equipo ya lo usa a diario.\n\nEl mar, 3 mar 2026 a las 15:00, Sam escribió:\n"
    "> ¿Cómo va la puesta en marcha?",
]
NEGATIVE_CUSTOMER = [
    "Honestly it's been a disappointment so far and we may not renew.",
    "We're thinking of cancelling unless the sync issues get fixed.",
    "The dashboard keeps timing out, this is really frustrating.",
    "Please cancel our subscription at the end of the month.",
    "Nous allons résilier à la fin du contrat, l'outil ne nous apporte pas grand-chose.",
    "Thanks for checking in. To be blunt, the integration has broken twice this week.\n\n"
    "On Tue, Mar 3, 2026 at 3:00 PM Sam <sam@northwind.example> wrote:\n> Happy so far? Anything we can tune?",
]


@pytest.mark.parametrize("text", HAPPY)
def test_a_happy_customer_is_never_negative(text: str) -> None:
    result = analyze_reply(text=text, now=T0)
    assert result.intent in {"interested", "other"}, result
    assert not result.auto_reply


@pytest.mark.parametrize("text", NEGATIVE_CUSTOMER)
def test_complaints_and_cancellation_threats_read_as_churn_signals(text: str) -> None:
    result = analyze_reply(text=text, now=T0)
    assert result.intent in {"not_interested", "objection_need", "objection_price"}, result
    assert result.intent in NEGATIVE


def test_how_to_questions_are_questions() -> None:
    for text in ("How do I add another user to our account?", "Wie füge ich einen weiteren Nutzer hinzu?"):
        assert analyze_reply(text=text, now=T0).intent == "question", text


# ----------------------------------------------------------------------------- post-sale


class Clock:
    def __init__(self, at: datetime = T0) -> None:
        self.at = at

    def now(self) -> datetime:
        return self.at


def ctx(at: datetime = T0) -> AgentContext:
    campaign = Campaign(
        name="c",
        rep_name="Sam",
        company_name="Northwind Growth",
        senders=[SenderIdentity(name="Sam Rivera", email="sam@northwind.example")],
    )
    return AgentContext(clock=Clock(at), campaign=campaign, workspace_id="w")


def event(type_: str, at: datetime = T0, **payload: Any) -> Event:
    return new_event(type_, lead_id="lead-1", workspace_id="w", at=at, payload=payload)


def state(stage: Stage = Stage.CLOSING) -> LeadState:
    lead = Lead(first_name="Dana", last_name="Lee", email="dana@acme.com", company="Acme")
    return LeadState(
        lead_id="lead-1", workspace_id="w", campaign="c", stage=stage, created_at=T0, updated_at=T0, lead=lead
    )


def customer() -> LeadState:
    decision = PostSaleAgent().handle(ctx(), state(), event(EventType.LEAD_CONVERTED))
    assert decision.state is not None
    return decision.state


@pytest.mark.parametrize(("text", "churn"), [(HAPPY[0], False), (NEGATIVE_CUSTOMER[0], True)])
def test_post_sale_flags_the_disappointed_customer_only(text: str, churn: bool) -> None:
    at = T0 + timedelta(days=10)
    d = PostSaleAgent().handle(
        ctx(at), customer(), event(EventType.REPLY_RECEIVED, at, text=text, message_id="r1")
    )
    assert (d.escalation is not None and d.escalation.reason == "churn_risk") is churn, d.summary


def test_an_out_of_office_is_not_customer_engagement() -> None:
    at = T0 + timedelta(days=1)
    ooo = "I am out of the office until 20 March with no access to email."
    d = PostSaleAgent().handle(
        ctx(at), customer(), event(EventType.REPLY_RECEIVED, at, text=ooo, message_id="a1")
    )
    assert d.escalation is None and d.state is not None
    assert d.state.messages[-1].id == "a1"  # recorded in the conversation
    later = T0 + timedelta(days=30)
    check = PostSaleAgent().handle(
        ctx(later), d.state, event(EventType.TIMER_FIRED, later, kind="check_in", day=30)
    )
    assert check.escalation is not None and check.escalation.reason == "churn_risk"


# ------------------------------------------------------------------- reply understanding


def test_a_ticket_receipt_pauses_without_engaging_or_being_answered() -> None:
    s = state(Stage.CONTACTED)
    receipt = "Thank you for contacting Acme Support. Your request (#48213) has been received."
    d = ReplyUnderstandingAgent().handle(
        ctx(), s, event(EventType.REPLY_RECEIVED, text=receipt, message_id="t1")
    )
    types = [e.type for e in d.events]
    assert EventType.REPLY_CLASSIFIED not in types and EventType.LEAD_ENGAGED not in types
    assert d.result == "paused_until_return"
    assert d.state is not None and d.state.stage is not Stage.ENGAGED
    assert d.state.replies == 0 and d.state.messages[-1].id == "t1"  # recorded, not a reply


def test_a_person_is_classified_and_engaged() -> None:
    s = state(Stage.CONTACTED)
    text = "I'm out Friday but Thursday at 2pm works for me."
    d = ReplyUnderstandingAgent().handle(
        ctx(), s, event(EventType.REPLY_RECEIVED, text=text, message_id="h1")
    )
    types = [e.type for e in d.events]
    assert EventType.REPLY_CLASSIFIED in types and EventType.LEAD_ENGAGED in types
    assert d.result == "meeting_request"
