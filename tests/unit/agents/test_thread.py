"""A thread keeps its sender and subject (issue 11).

Every e-mail after the first to a lead goes from the first one's mailbox, as ``Re: <first
subject>`` with the first message's thread id and In-Reply-To / References, whichever agent
writes it; a mailbox over its cap is waited for up to ``thread_wait_hours``, then the follow-up
is handed over (as it is at once for a mailbox removed or paused), and the plan says why.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from tests.unit.agents.agent_helpers import FixedClock, make_campaign, make_state

from leadflow.agents._compose import outbound
from leadflow.agents._thread import base_subject, follow_up, reply_subject, thread_of
from leadflow.agents.base import AgentContext
from leadflow.agents.nurture import NurtureAgent
from leadflow.agents.qualification import QualificationAgent
from leadflow.agents.response import ResponseAgent
from leadflow.agents.sequencing import MemorySendLedger, SendPolicy, plan_send
from leadflow.domain.actions import OutboundAction
from leadflow.domain.events import EventType, new_event
from leadflow.domain.models import Campaign, Channel, Direction, LeadState, Message, SenderIdentity

TUESDAY = datetime(2026, 3, 3, 15, 0, tzinfo=UTC)  # 10:00 in New York
ANA, BEN = "ana@sender.example", "ben@sender.example"


def two_mailboxes(cap: int = 50, **sending: Any) -> Campaign:
    senders = [
        SenderIdentity(name="Ana Diaz", email=ANA, mailbox_daily_cap=cap),
        SenderIdentity(name="Ben Okafor", email=BEN, mailbox_daily_cap=cap),
    ]
    return make_campaign(senders=senders, settings={"sending": sending} if sending else {})


def ctx_for(campaign: Campaign, ledger: MemorySendLedger, at: datetime = TUESDAY) -> AgentContext:
    return AgentContext(clock=FixedClock(at), campaign=campaign, workspace_id="w", extras={"send_ledger": ledger})


def delivered(state: LeadState, action: OutboundAction, at: datetime) -> None:
    """What the dispatcher records once an e-mail went out (it does not record the sender)."""
    state.messages.append(
        Message(id=action.idempotency_key, channel=Channel.EMAIL, direction=Direction.OUTBOUND, to=action.to,
                subject=action.subject, body=action.body, at=at, agent=action.agent,
                thread_id=action.payload.get("thread_id"))
    )


def replied(state: LeadState, at: datetime, text: str = "Sounds good, we have 40 reps.") -> str:
    mid = f"<reply-{len(state.messages)}@acme.com>"
    state.messages.append(Message(id=mid, channel=Channel.EMAIL, direction=Direction.INBOUND, sender="dana@acme.com",
                                  subject="RE: whatever", body=text, at=at, in_reply_to=state.messages[-1].id))
    state.replies += 1
    return mid


def first_touch(ctx: AgentContext, state: LeadState) -> OutboundAction:
    decision = ResponseAgent().handle(ctx, state, new_event(EventType.LEAD_CREATED, lead_id=state.lead_id,
                                                             workspace_id="w", at=TUESDAY))
    [action] = decision.actions
    return action


def test_reply_subject_adds_one_re_and_never_two() -> None:
    assert reply_subject("Dana, congrats on the raise") == "Re: Dana, congrats on the raise"
    assert reply_subject("Re: Re: RE: Fwd: Dana, hello") == "Re: Dana, hello"
    assert base_subject("re:   Dana") == "Dana"
    assert reply_subject("") is None and reply_subject(None) is None


def test_a_two_step_sequence_over_two_mailboxes_keeps_the_first_mailbox_and_subject() -> None:
    campaign = two_mailboxes()
    ledger = MemorySendLedger()
    ctx = ctx_for(campaign, ledger)
    state = make_state().model_copy(update={"tier": "B"})
    first = first_touch(ctx, state)
    assert first.payload["from"] == ANA  # both empty: the first mailbox
    # the rest of the day's sends go from ana, so rotation alone would now pick ben
    for i in range(5):
        ledger.record(ANA, f"d{i}.example", TUESDAY)
    delivered(state, first, TUESDAY)
    reply_id = replied(state, TUESDAY + timedelta(hours=1))

    later = ctx_for(campaign, ledger, TUESDAY + timedelta(hours=2))
    event = new_event(EventType.REPLY_CLASSIFIED, lead_id=state.lead_id, workspace_id="w", at=later.clock.now(),
                      payload={"text": "Sounds good, we have 40 reps.", "intent": "interested"})
    decision = QualificationAgent().handle(later, state, event)
    [follow] = decision.actions
    assert follow.payload["from"] == ANA, "the follow-up comes from the first touch's mailbox"
    assert f"<{ANA}>" in follow.body and f"<{BEN}>" not in follow.body  # and its footer says so
    assert follow.subject == f"Re: {first.subject}"
    assert follow.payload["thread_id"] == first.payload["thread_id"]
    assert follow.payload["in_reply_to"] == reply_id
    assert follow.payload["references"] == [first.idempotency_key, reply_id]
    assert "thread_handover" not in follow.payload

    # a third message, by another agent, is still "Re: <first subject>" from ana (not "Re: Re:")
    delivered(state, follow, later.clock.now())
    drip = NurtureAgent().handle(later, state, new_event(EventType.LEAD_STALLED, lead_id=state.lead_id,
                                                         workspace_id="w", at=later.clock.now()))
    [step] = drip.actions
    assert (step.payload["from"], step.subject) == (ANA, f"Re: {first.subject}")
    assert step.payload["references"][0] == first.idempotency_key


def test_the_first_email_starts_the_thread_with_its_own_subject() -> None:
    state = make_state()
    assert thread_of(state, two_mailboxes()) is None
    rule = follow_up(state, two_mailboxes(), subject="Re: a couple of quick questions")
    assert (rule.subject, rule.mailbox) == ("a couple of quick questions", None)  # no fake "Re:" on a first e-mail
    assert rule.headers == {"thread_id": "lf-lead-1"}


def test_the_thread_mailbox_is_read_from_the_recorded_sender_first() -> None:
    state = make_state()
    state.messages.append(Message(id="m1", channel=Channel.EMAIL, direction=Direction.OUTBOUND, sender=BEN,
                                  subject="Hello", body=f"Hi\n\nAna <{ANA}>", at=TUESDAY))
    thread = thread_of(state, two_mailboxes())
    assert thread is not None and thread.mailbox == BEN and thread.subject == "Hello"


def _thread_state(campaign: Campaign, ledger: MemorySendLedger) -> tuple[LeadState, OutboundAction]:
    state = make_state()
    ctx = ctx_for(campaign, ledger)
    first = outbound(state, ctx, channel=Channel.EMAIL, key="first", body="Hello", subject="Dana, hello", agent="t")
    assert first.payload["from"] == ANA
    delivered(state, first, TUESDAY)
    return state, first


def _fill(ledger: MemorySendLedger, mailbox: str, day: date, n: int) -> None:
    at = datetime.combine(day, datetime.min.time(), tzinfo=UTC) + timedelta(hours=12)
    for i in range(n):
        ledger.record(mailbox, f"x{i}.example", at)


def test_a_thread_mailbox_over_its_cap_is_waited_for_within_the_limit() -> None:
    campaign = two_mailboxes(cap=20)
    ledger = MemorySendLedger()
    state, _first = _thread_state(campaign, ledger)
    _fill(ledger, ANA, TUESDAY.date(), 20)  # ana is full today; ben has room
    action = outbound(state, ctx_for(campaign, ledger), channel=Channel.EMAIL, key="f", body="x", subject="y",
                      agent="t")
    assert action.payload["from"] == ANA
    assert action.not_before is not None and action.not_before.date() == TUESDAY.date() + timedelta(days=1)
    assert action.subject == "Re: Dana, hello"


def test_a_thread_mailbox_over_its_cap_for_too_long_is_handed_over_with_a_note() -> None:
    campaign = two_mailboxes(cap=20, thread_wait_hours=4)
    ledger = MemorySendLedger()
    state, first = _thread_state(campaign, ledger)
    _fill(ledger, ANA, TUESDAY.date(), 20)
    ctx = ctx_for(campaign, ledger)
    action = outbound(state, ctx, channel=Channel.EMAIL, key="f", body="x", subject="y", agent="t")
    assert action.payload["from"] == BEN and f"<{BEN}>" in action.body
    assert action.subject == "Re: Dana, hello", "handed over, it stays in the thread"
    assert action.payload["thread_id"] == first.payload["thread_id"]
    handover = action.payload["thread_handover"]
    assert handover["from"] == ANA and handover["to"] == BEN
    assert "over its daily cap for more than 4h" in handover["why"]


def test_plan_send_says_why_it_waited_or_handed_over() -> None:
    campaign = two_mailboxes(cap=20)
    ledger = MemorySendLedger()
    _fill(ledger, ANA, TUESDAY.date(), 20)
    waited = plan_send(now=TUESDAY, campaign=campaign, recipient_tz="America/New_York", urgent=True, ledger=ledger,
                       thread_mailbox=ANA)
    assert waited.mailbox == ANA and any("waiting for thread mailbox" in r for r in waited.reasons)
    policy = SendPolicy(thread_wait_hours=0)
    handed = plan_send(now=TUESDAY, campaign=campaign, recipient_tz="America/New_York", urgent=True, ledger=ledger,
                       thread_mailbox=ANA, policy=policy)
    assert handed.mailbox == BEN and any("handed over to " + BEN in r for r in handed.reasons)
    assert handed.at == TUESDAY, "ben sends at once"


def test_without_another_mailbox_the_thread_waits_for_its_own() -> None:
    campaign = make_campaign(senders=[SenderIdentity(name="Ana Diaz", email=ANA, mailbox_daily_cap=20)])
    ledger = MemorySendLedger()
    _fill(ledger, ANA, TUESDAY.date(), 20)
    plan = plan_send(now=TUESDAY, campaign=campaign, recipient_tz="America/New_York", urgent=True, ledger=ledger,
                     thread_mailbox=ANA, policy=SendPolicy(thread_wait_hours=0))
    assert plan.mailbox == ANA and plan.at.date() > TUESDAY.date()


@pytest.mark.parametrize("why", ["removed", "paused"])
def test_a_removed_or_paused_thread_mailbox_hands_over_at_once(why: str) -> None:
    ledger = MemorySendLedger()
    state, _first = _thread_state(two_mailboxes(), ledger)
    if why == "removed":
        campaign = make_campaign(senders=[SenderIdentity(name="Ben Okafor", email=BEN)])
    else:
        campaign = two_mailboxes(paused_mailboxes=[ANA])
    action = outbound(state, ctx_for(campaign, ledger), channel=Channel.EMAIL, key="f", body="x", subject="y",
                      agent="t")
    assert action.payload["from"] == BEN and action.subject == "Re: Dana, hello"
    expected = "paused" if why == "paused" else "no longer a sender of the campaign"
    assert expected in action.payload["thread_handover"]["why"]


def test_a_paused_mailbox_starts_no_new_thread() -> None:
    campaign = two_mailboxes(paused_mailboxes=[ANA])
    ledger = MemorySendLedger()
    action = outbound(make_state(), ctx_for(campaign, ledger), channel=Channel.EMAIL, key="first", body="x",
                      subject="Hello", agent="t")
    assert action.payload["from"] == BEN
