"""Post-sale: onboarding sequence, check-ins, churn risk from negative replies or silence."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from leadflow.agents.base import AgentContext
from leadflow.agents.post_sale import PostSaleAgent
from leadflow.domain.actions import ActionKind
from leadflow.domain.events import Event, EventType, new_event
from leadflow.domain.models import Campaign, Lead, LeadState, SenderIdentity, Stage

T0 = datetime(2026, 3, 3, 15, 0, tzinfo=UTC)


class Clock:
    def __init__(self, at: datetime = T0) -> None:
        self.at = at

    def now(self) -> datetime:
        return self.at


def ctx(at: datetime = T0) -> AgentContext:
    campaign = Campaign(name="c", rep_name="Sam", company_name="Northwind Growth",
                        senders=[SenderIdentity(name="Sam Rivera", email="sam@northwind.example")])
    return AgentContext(clock=Clock(at), campaign=campaign, workspace_id="w")


def customer() -> LeadState:
    s = LeadState(lead_id="lead-1", workspace_id="w", campaign="c", stage=Stage.CLOSING, created_at=T0, updated_at=T0,
                  lead=Lead(first_name="Dana", last_name="Lee", email="dana@acme.com", company="Acme"))
    decision = PostSaleAgent().handle(ctx(), s, event(EventType.LEAD_CONVERTED))
    assert decision.state is not None
    return decision.state


def event(type_: str, at: datetime = T0, **payload: Any) -> Event:
    return new_event(type_, lead_id="lead-1", workspace_id="w", at=at, payload=payload)


def test_conversion_welcomes_and_schedules_the_sequence() -> None:
    s = LeadState(lead_id="lead-1", workspace_id="w", campaign="c", stage=Stage.CLOSING, created_at=T0, updated_at=T0,
                  lead=Lead(first_name="Dana", email="dana@acme.com"))
    decision = PostSaleAgent().handle(ctx(), s, event(EventType.LEAD_CONVERTED))
    assert decision.state is not None and decision.state.stage is Stage.WON
    [welcome] = decision.actions
    assert welcome.kind is ActionKind.SEND_EMAIL and welcome.to == "dana@acme.com"
    assert "Welcome" in (welcome.subject or "")
    days = sorted((t.payload["kind"], t.payload["day"]) for t in decision.timers)
    assert days == [("check_in", 30), ("check_in", 60), ("check_in", 90),
                    ("onboarding", 3), ("onboarding", 7), ("onboarding", 14)]
    assert all(t.payload["terminal"] and t.agent == "post_sale" for t in decision.timers)
    assert {t.fire_at - T0 for t in decision.timers} == {timedelta(days=d) for d in (3, 7, 14, 30, 60, 90)}
    again = PostSaleAgent().handle(ctx(), decision.state, event(EventType.LEAD_CONVERTED))
    assert again.result == "already_onboarding" and again.actions == []


def test_onboarding_steps_send_to_the_customer_only() -> None:
    s = customer()
    for day in (3, 7, 14):
        at = T0 + timedelta(days=day)
        d = PostSaleAgent().handle(ctx(at), s, event(EventType.TIMER_FIRED, at, kind="onboarding", day=day))
        assert d.result == f"onboarding_day_{day}" and d.escalation is None
        assert [a.to for a in d.actions] == ["dana@acme.com"]


def test_silent_customer_is_a_churn_risk_at_check_in() -> None:
    s = customer()
    at = T0 + timedelta(days=30)
    d = PostSaleAgent().handle(ctx(at), s, event(EventType.TIMER_FIRED, at, kind="check_in", day=30))
    assert d.actions and d.actions[0].to == "dana@acme.com"
    assert d.escalation is not None and d.escalation.reason == "churn_risk"
    assert d.state is not None and d.state.signals[-1]["type"] == "churn_risk"


def test_engaged_customer_is_not_a_churn_risk() -> None:
    s = customer()
    at = T0 + timedelta(days=10)
    happy = PostSaleAgent().handle(ctx(at), s, event(EventType.REPLY_RECEIVED, at, text="Thanks, the CRM is connected and it works great!",
                                                       message_id="r1"))
    assert happy.escalation is None and happy.state is not None
    later = T0 + timedelta(days=30)
    d = PostSaleAgent().handle(ctx(later), happy.state, event(EventType.TIMER_FIRED, later, kind="check_in", day=30))
    assert d.escalation is None


def test_negative_or_angry_replies_flag_churn_risk() -> None:
    for text in ("Honestly we're not interested in continuing, please cancel at renewal.",
                 "This is ridiculous, nothing works and nobody answers. Unacceptable."):
        s = customer()
        at = T0 + timedelta(days=5)
        d = PostSaleAgent().handle(ctx(at), s, event(EventType.REPLY_RECEIVED, at, text=text, message_id="r2"))
        assert d.escalation is not None and d.escalation.reason == "churn_risk", text
        assert d.state is not None and d.state.messages[-1].body


def test_unsubscribe_stops_the_sequence() -> None:
    s = customer()
    d = PostSaleAgent().handle(ctx(), s, event(EventType.REPLY_RECEIVED, text="Please unsubscribe me from these emails.",
                                                 message_id="r3"))
    assert "post_sale:*" in d.cancel_timers
    assert d.state is not None
    at = T0 + timedelta(days=7)
    after = PostSaleAgent().handle(ctx(at), d.state, event(EventType.TIMER_FIRED, at, kind="onboarding", day=7))
    assert after.result == "skipped" and after.actions == []
