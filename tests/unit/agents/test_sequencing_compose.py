"""Every outbound message gets its time and mailbox from sequencing, counted in the durable ledger.

``_compose.outbound`` plans each message (window, out-of-office, caps, rotation); the ledger in
``ctx.extras["send_ledger"]`` is the store-backed one the runtime wires, so counts are shared by
processes and survive restarts, and plans not yet committed still count.
"""

from __future__ import annotations

from collections import Counter
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from tests.unit.agents.agent_helpers import FixedClock, make_campaign, make_state

from leadflow.agents._compose import outbound
from leadflow.agents.base import AgentContext
from leadflow.agents.nurture import NurtureAgent
from leadflow.agents.send_ledger import StoreSendLedgers, ledger_for
from leadflow.agents.sequencing import MemorySendLedger
from leadflow.domain.actions import OutboundAction
from leadflow.domain.events import EventType, new_event
from leadflow.domain.models import Campaign, Channel, LeadState, SenderIdentity
from leadflow.state import MemoryStore
from leadflow.state.base import Store
from leadflow.state.records import Commit
from leadflow.state.sql import SqlStore

TUESDAY = datetime(2026, 3, 3, 10, 0, tzinfo=UTC)


def three_senders(cap: int = 50, **sending: Any) -> Campaign:
    senders = [
        SenderIdentity(name=f"Rep {n}", email=f"{n}@sender.example", mailbox_daily_cap=cap)
        for n in ("ana", "ben", "cy")
    ]
    return make_campaign(senders=senders, settings={"sending": sending} if sending else {})


def ctx_for(campaign: Campaign, ledger: Any, at: datetime = TUESDAY) -> AgentContext:
    return AgentContext(
        clock=FixedClock(at), campaign=campaign, workspace_id="w", extras={"send_ledger": ledger}
    )


def lead(i: int, **fields: Any) -> LeadState:
    values: dict[str, Any] = {"email": f"p{i}@d{i}.example", "timezone": "UTC", **fields}
    return make_state(**values).model_copy(update={"lead_id": f"lead-{i}"})


def email(ctx: AgentContext, state: LeadState, key: str = "m") -> OutboundAction:
    return outbound(state, ctx, channel=Channel.EMAIL, key=key, body="Hello there", subject="Hi", agent="t")


def commit(store: Store, actions: list[OutboundAction], at: datetime = TUESDAY) -> None:
    for a in actions:
        store.apply([Commit("w", a.idempotency_key.split(":")[0], actions=[a], at=at)])


def test_mailboxes_rotate_within_one_uncommitted_batch() -> None:
    ctx = ctx_for(three_senders(), StoreSendLedgers(MemoryStore()))
    actions = [email(ctx, lead(i)) for i in range(6)]
    senders = [a.payload["from"] for a in actions]
    assert senders == ["ana@sender.example", "ben@sender.example", "cy@sender.example"] * 2
    assert all(a.not_before is None for a in actions)  # inside the window: at once
    assert "ben@sender.example" in actions[1].body  # the footer names the mailbox it goes from


def test_committed_plans_are_not_counted_twice_and_survive_a_restart(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'db.sqlite'}"
    store = SqlStore(url)
    campaign = make_campaign(senders=[SenderIdentity(name="Sam", email="sam@x.example", mailbox_daily_cap=3)])
    ctx = ctx_for(campaign, StoreSendLedgers(store))
    first = [email(ctx, lead(i)) for i in range(2)]
    commit(store, first)
    third = email(ctx, lead(2))
    assert third.not_before is None  # 2 recorded + 2 committed is still 2, so a third fits today
    commit(store, [third])
    store.close()
    reopened = SqlStore(url)  # a new process: only the store knows what was planned
    try:
        fourth = email(ctx_for(campaign, StoreSendLedgers(reopened)), lead(3))
        assert fourth.not_before == datetime(2026, 3, 4, 9, 0, tzinfo=UTC)
    finally:
        reopened.close()


def test_two_processes_planning_at_once_share_counts_once_committed() -> None:
    store = MemoryStore()
    campaign = three_senders(cap=1)
    a, b = StoreSendLedgers(store), StoreSendLedgers(store)  # two workers on one store
    commit(store, [email(ctx_for(campaign, a), lead(i)) for i in range(2)])
    third = email(ctx_for(campaign, b), lead(2))
    assert third.payload["from"] == "cy@sender.example" and third.not_before is None
    commit(store, [third])
    fourth = email(ctx_for(campaign, a), lead(3))
    assert fourth.not_before == datetime(2026, 3, 4, 9, 0, tzinfo=UTC)


def test_uncommitted_plans_expire() -> None:
    ticks = [0.0]
    store = MemoryStore()
    ledgers = StoreSendLedgers(store, ttl=30, monotonic=lambda: ticks[0])
    campaign = make_campaign(senders=[SenderIdentity(name="Sam", email="sam@x.example", mailbox_daily_cap=1)])
    email(ctx_for(campaign, ledgers), lead(0))  # planned, but its decision was never committed
    assert email(ctx_for(campaign, ledgers), lead(1)).not_before is not None
    ticks[0] = 31.0
    assert email(ctx_for(campaign, ledgers), lead(2)).not_before is None


def test_ramp_up_reads_the_first_day_from_the_store() -> None:
    store = MemoryStore()
    campaign = three_senders(cap=50, ramp_start=1, ramp_step=1).model_copy(
        update={"senders": [SenderIdentity(name="Sam", email="sam@x.example")]}
    )
    monday = TUESDAY - timedelta(days=1)
    commit(store, [email(ctx_for(campaign, StoreSendLedgers(store), monday), lead(0))], at=monday)
    ledgers = StoreSendLedgers(store)
    days = [email(ctx_for(campaign, ledgers), lead(i)) for i in range(1, 4)]
    planned = Counter((a.not_before or TUESDAY).date() for a in days)
    assert planned == Counter({date(2026, 3, 3): 2, date(2026, 3, 4): 1})  # day 2 allows 2, day 3 more


def test_every_message_keeps_to_the_window_and_sms_has_no_mailbox() -> None:
    kolkata = lead(0, timezone="Asia/Kolkata", phone="+919800000000")
    ctx = ctx_for(three_senders(), MemorySendLedger(), at=datetime(2026, 3, 3, 2, 0, tzinfo=UTC))  # 07:30 IST
    mail = email(ctx, kolkata)
    assert mail.not_before == datetime(2026, 3, 3, 3, 30, tzinfo=UTC)
    sms = outbound(kolkata, ctx, channel=Channel.SMS, key="s", body="Hi", subject=None, agent="t")
    assert sms.not_before == datetime(2026, 3, 3, 3, 30, tzinfo=UTC) and "from" not in sms.payload


def test_out_of_office_moves_any_agents_message_after_the_return() -> None:
    back = datetime(2026, 3, 17, 0, 0, tzinfo=UTC)
    state = lead(0).model_copy(update={"paused_until": back})
    action = email(ctx_for(three_senders(), None), state)
    assert action.not_before == datetime(2026, 3, 17, 9, 0, tzinfo=UTC)


def test_a_nurture_step_goes_through_sequencing() -> None:
    store = MemoryStore()
    back = datetime(2026, 3, 20, 0, 0, tzinfo=UTC)
    state = lead(0, timezone="Asia/Kolkata").model_copy(update={"paused_until": back})
    ctx = ctx_for(three_senders(), StoreSendLedgers(store))
    event = new_event(EventType.LEAD_STALLED, lead_id=state.lead_id, workspace_id="w", at=TUESDAY)
    decision = NurtureAgent().handle(ctx, state, event)
    [action] = decision.actions
    assert action.not_before is not None and action.not_before >= back
    assert action.payload.get("stop_on_reply") is True
    if action.kind.value == "send_email":
        assert action.payload["from"] in {"ana@sender.example", "ben@sender.example", "cy@sender.example"}


def test_outbound_needs_the_context_and_the_ledger_setting_is_checked() -> None:
    state = lead(0)
    with pytest.raises(TypeError, match="AgentContext"):
        outbound(
            state,
            make_campaign(),
            channel=Channel.EMAIL,
            key="k",
            body="b",
            subject=None,  # type: ignore[arg-type]
            agent="t",
        )
    with pytest.raises(TypeError, match="send_ledger"):
        ledger_for("not a ledger", "w")
    assert ledger_for(None, "w") is None
