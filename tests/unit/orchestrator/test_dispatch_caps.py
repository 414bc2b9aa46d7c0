"""Sending policy at dispatch time: mailbox daily caps with ramp-up, domain hourly caps, windows, OOO.

Sends are put straight into the outbox (as an agent's commit would) and a dispatcher with a
recording channel runs on a fixed clock. A send the policy holds back is re-scheduled, never
failed: the dispatchers here allow one attempt only, so a hold counted as an attempt would
close the action as failed.
"""

from __future__ import annotations

from collections import Counter
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from tests.services import fresh_pg_database

from leadflow.domain.actions import ActionKind, OutboundAction
from leadflow.domain.models import Campaign, Consent, Lead, SenderIdentity
from leadflow.integrations.channels import TranscriptChannel
from leadflow.orchestrator.clock import FixedClock
from leadflow.orchestrator.dispatcher import Dispatcher
from leadflow.orchestrator.intake import Intake
from leadflow.state import MemoryStore
from leadflow.state.base import Store
from leadflow.state.records import Commit
from leadflow.state.sql import SqlStore

TUESDAY = datetime(2026, 3, 3, 10, 0, tzinfo=UTC)
WS = "w"


def campaign(*, senders: int = 1, cap: int = 3, **sending: Any) -> Campaign:
    ids = [
        SenderIdentity(name=f"Rep {i}", email=f"rep{i}@sender.example", mailbox_daily_cap=cap)
        for i in range(senders)
    ]
    return Campaign(name="c", senders=ids, settings={"sending": sending} if sending else {})


class World:
    """A store with one campaign, a clock, and a dispatcher that records what it delivers."""

    def __init__(self, c: Campaign, *, store: Store | None = None, now: datetime = TUESDAY) -> None:
        self.store = store or MemoryStore()
        self.store.save_campaign(WS, c)
        self.clock = FixedClock(now)
        self.intake = Intake(store=self.store, clock=self.clock)
        self.channel = TranscriptChannel()
        self.dispatcher = Dispatcher(
            store=self.store,
            channels={ActionKind.SEND_EMAIL: self.channel, ActionKind.SEND_SMS: self.channel},
            clock=self.clock,
            max_attempts=1,
        )
        self.leads: list[str] = []

    def send(
        self,
        n: int,
        *,
        domain: str = "",
        tz: str | None = None,
        sender: str = "rep0@sender.example",
        kind: ActionKind = ActionKind.SEND_EMAIL,
        not_before: datetime | None = None,
        paused_until: datetime | None = None,
    ) -> list[str]:
        """``n`` leads, each with one due send; returns their lead ids."""
        ids = []
        for _ in range(n):
            i = len(self.leads)
            email = f"p{i}@{domain or f'd{i}.example'}"
            state, _ = self.intake.create_lead(
                WS,
                "c",
                Lead(
                    first_name=f"P{i}",
                    email=email,
                    phone=f"+1415555{i:04d}",
                    timezone=tz,
                    source="test",
                    source_lead_id=email,
                    consent=Consent(email=True, sms=True),
                ),
            )
            if paused_until is not None:
                state = self.store.get_lead(WS, state.lead_id)
                new = state.model_copy(update={"paused_until": paused_until})
                self.store.apply(
                    [
                        Commit(
                            WS, state.lead_id, expected_version=state.version, state=new, at=self.clock.now()
                        )
                    ]
                )
            to = email if kind is ActionKind.SEND_EMAIL else f"+1415555{i:04d}"
            action = OutboundAction(
                kind=kind,
                idempotency_key=f"{state.lead_id}:s",
                to=to,
                body="hello",
                not_before=not_before,
                payload={"from": sender} if kind is ActionKind.SEND_EMAIL else {},
            )
            self.store.apply([Commit(WS, state.lead_id, actions=[action], at=self.clock.now())])
            self.leads.append(state.lead_id)
            ids.append(state.lead_id)
        return ids

    def run_until(self, at: datetime) -> None:
        self.clock.advance_to(at)
        while self.dispatcher.dispatch():
            if all(r.status != "pending" or (r.action.not_before or at) > at for r in self.rows()):
                break

    def rows(self) -> list[Any]:
        return [r for lid in self.leads for r in self.store.actions_for(WS, lid)]

    def sent_days(self) -> Counter[date]:
        """Deliveries per UTC day, from the leads' recorded messages."""
        days: Counter[date] = Counter()
        for lid in self.leads:
            for m in self.store.get_lead(WS, lid).messages:
                days[m.at.date()] += 1
        return days

    def delivered_keys(self) -> list[str]:
        return [str(d["key"]) for d in self.channel.deliveries()]


def test_mailbox_daily_cap_defers_the_rest_to_the_next_allowed_day() -> None:
    w = World(campaign(cap=3))
    w.send(5)
    w.run_until(TUESDAY)
    rows = w.rows()
    assert [r.status for r in rows].count("sent") == 3
    held = [r for r in rows if r.status == "pending"]
    assert len(held) == 2
    assert all(r.attempts == 0 and r.detail == "deferred: mailbox daily caps" for r in held)
    assert {r.action.not_before for r in held} == {datetime(2026, 3, 4, 9, 0, tzinfo=UTC)}
    w.run_until(datetime(2026, 3, 4, 9, 0, tzinfo=UTC))
    assert [r.status for r in w.rows()] == ["sent"] * 5
    assert w.sent_days() == Counter({date(2026, 3, 3): 3, date(2026, 3, 4): 2})
    assert sorted(w.delivered_keys()) == sorted(f"{lid}:s" for lid in w.leads)  # each exactly once


def test_the_cap_holds_across_dispatcher_restarts_on_a_durable_store(tmp_path: Any) -> None:
    w = World(campaign(cap=3), store=SqlStore(f"sqlite:///{tmp_path / 'db.sqlite'}"))
    w.send(2)
    w.run_until(TUESDAY)
    w.send(3)
    w.dispatcher = Dispatcher(
        store=w.store, channels={ActionKind.SEND_EMAIL: w.channel}, clock=w.clock, max_attempts=1
    )
    w.run_until(TUESDAY + timedelta(minutes=5))
    assert [r.status for r in w.rows()].count("sent") == 3
    w.run_until(datetime(2026, 3, 4, 9, 0, tzinfo=UTC))
    assert w.sent_days() == Counter({date(2026, 3, 3): 3, date(2026, 3, 4): 2})
    w.store.close()


def test_recipient_domain_hourly_cap() -> None:
    w = World(campaign(senders=2, cap=50, domain_hourly_cap=2), now=TUESDAY + timedelta(minutes=15))
    w.send(4, domain="acme.com")
    other = w.send(1, domain="other.com")
    w.run_until(w.clock.now())
    by_lead = {r.lead_id: r for r in w.rows()}
    assert [r.status for r in w.rows()].count("sent") == 3  # two to acme.com, one to other.com
    assert by_lead[other[0]].status == "sent"
    held = [r for r in w.rows() if r.status == "pending"]
    assert {r.action.not_before for r in held} == {datetime(2026, 3, 3, 11, 0, tzinfo=UTC)}
    assert all(r.detail == "deferred: domain hourly cap" for r in held)
    w.run_until(datetime(2026, 3, 3, 11, 0, tzinfo=UTC))
    assert [r.status for r in w.rows()] == ["sent"] * 5


def test_caps_are_per_mailbox() -> None:
    w = World(campaign(senders=2, cap=2))
    w.send(3, sender="rep0@sender.example")
    w.send(2, sender="rep1@sender.example")
    w.run_until(TUESDAY)
    sent = Counter(r.action.payload["from"] for r in w.rows() if r.status == "sent")
    assert sent == Counter({"rep0@sender.example": 2, "rep1@sender.example": 2})


def test_ramp_up_day_one_versus_day_three() -> None:
    w = World(
        campaign(cap=50, ramp_start=2, ramp_step=1), now=datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
    )  # Monday
    w.send(10)
    for day in range(2, 6):
        w.run_until(datetime(2026, 3, day, 9, 0, tzinfo=UTC))
    assert w.sent_days() == Counter(
        {date(2026, 3, 2): 2, date(2026, 3, 3): 3, date(2026, 3, 4): 4, date(2026, 3, 5): 1}
    )  # day 1: 2 (ramp start); day 2: 3; day 3: 4 (one more a day)
    assert all(r.attempts == 1 for r in w.rows())  # the delivery itself, no held attempt


def test_window_in_asia_kolkata() -> None:
    # 02:00 UTC is 07:30 in Kolkata (UTC+05:30): the window opens at 09:00 IST = 03:30 UTC.
    w = World(campaign(cap=50), now=datetime(2026, 3, 3, 2, 0, tzinfo=UTC))
    w.send(1, tz="Asia/Kolkata")
    w.run_until(w.clock.now())
    [row] = w.rows()
    assert (row.status, row.action.not_before, row.attempts) == (
        "pending",
        datetime(2026, 3, 3, 3, 30, tzinfo=UTC),
        0,
    )
    assert row.detail == "deferred: send window"
    w.run_until(datetime(2026, 3, 3, 3, 29, tzinfo=UTC))
    assert w.channel.deliveries() == []
    w.run_until(datetime(2026, 3, 3, 3, 30, tzinfo=UTC))
    assert w.sent_days() == Counter({date(2026, 3, 3): 1})


def test_window_across_the_us_spring_forward() -> None:
    # Friday 6 March 18:00 EST is after hours; the weekend is skipped; clocks go forward on
    # Sunday 8 March, so Monday 09:00 EDT is 13:00 UTC (not 14:00 as the week before).
    w = World(campaign(cap=50), now=datetime(2026, 3, 6, 23, 0, tzinfo=UTC))
    w.send(1, tz="America/New_York")
    w.run_until(w.clock.now())
    [row] = w.rows()
    assert row.action.not_before == datetime(2026, 3, 9, 13, 0, tzinfo=UTC)
    w.run_until(datetime(2026, 3, 9, 13, 0, tzinfo=UTC))
    assert [r.status for r in w.rows()] == ["sent"]


def test_sms_obeys_the_window_too() -> None:
    w = World(campaign(cap=50), now=datetime(2026, 3, 3, 6, 0, tzinfo=UTC))  # 22:00 Monday in Los Angeles
    w.send(1, tz="America/Los_Angeles", kind=ActionKind.SEND_SMS)
    w.run_until(w.clock.now())
    [row] = w.rows()
    assert row.action.not_before == datetime(2026, 3, 3, 17, 0, tzinfo=UTC)  # 09:00 PST


def test_out_of_office_holds_until_the_return_date() -> None:
    back = datetime(2026, 3, 17, 0, 0, tzinfo=UTC)
    w = World(campaign(cap=50))
    w.send(1, paused_until=back)
    w.run_until(TUESDAY)
    [row] = w.rows()
    assert row.action.not_before == datetime(2026, 3, 17, 9, 0, tzinfo=UTC)
    assert "out of office until return" in str(row.detail) and row.attempts == 0
    w.run_until(datetime(2026, 3, 16, 16, 0, tzinfo=UTC))
    assert w.channel.deliveries() == []
    w.run_until(datetime(2026, 3, 17, 9, 0, tzinfo=UTC))
    assert [r.status for r in w.rows()] == ["sent"]


def test_a_send_due_yesterday_counts_toward_today() -> None:
    # the worker was down: Monday's send goes out on Tuesday and uses Tuesday's capacity
    w = World(campaign(cap=2))
    w.send(1, not_before=datetime(2026, 3, 2, 16, 0, tzinfo=UTC))
    w.send(2)
    w.run_until(TUESDAY)
    assert w.sent_days() == Counter({date(2026, 3, 3): 2})
    counts = w.store.send_counts(WS, mailbox="rep0@sender.example", since=TUESDAY.replace(hour=0))
    assert (counts.sent, counts.scheduled) == (2, 1)


def test_a_campaign_without_senders_still_gets_windows() -> None:
    w = World(Campaign(name="c"), now=datetime(2026, 3, 7, 12, 0, tzinfo=UTC))  # Saturday
    w.send(1, sender="someone@else.example")
    w.run_until(w.clock.now())
    [row] = w.rows()
    assert row.action.not_before == datetime(2026, 3, 9, 9, 0, tzinfo=UTC)


class HoldingChannel:
    """A transcript that, at its first delivery, waits until told to go on: a dispatcher pass
    caught between sending and committing, while another worker runs."""

    def __init__(self) -> None:
        import threading

        self.inner = TranscriptChannel()
        self.inside = threading.Event()
        self.go_on = threading.Event()

    def deliver(self, action: OutboundAction, *, workspace_id: str, lead_id: str) -> Any:
        receipt = self.inner.deliver(action, workspace_id=workspace_id, lead_id=lead_id)
        if not self.inside.is_set():
            self.inside.set()
            assert self.go_on.wait(30), "the other worker never finished its pass"
        return receipt


@pytest.mark.postgres
def test_two_workers_keep_one_mailbox_cap_between_them(pg_url: str) -> None:
    """Worker A has sent from a mailbox but not yet committed; worker B's pass, on other leads
    of that mailbox, leaves its sends for later instead of counting A's as not sent."""
    import threading

    with fresh_pg_database(pg_url, "leadflow_caps") as url:
        a_store, b_store = SqlStore(url), SqlStore(url)
        try:
            w = World(campaign(cap=3), store=a_store)
            w.send(6, domain="same.example")
            a_channel = HoldingChannel()
            a = Dispatcher(
                store=a_store, channels={ActionKind.SEND_EMAIL: a_channel}, clock=w.clock, max_attempts=1
            )
            b_channel = TranscriptChannel()
            b = Dispatcher(
                store=b_store, channels={ActionKind.SEND_EMAIL: b_channel}, clock=w.clock, max_attempts=1
            )
            first = threading.Thread(target=a.dispatch, kwargs={"limit": 3})
            first.start()
            assert a_channel.inside.wait(30)
            b.dispatch(limit=3)  # the other three leads: their mailbox is A's for now
            a_channel.go_on.set()
            first.join(30)
            assert b_channel.deliveries() == []
            assert len(a_channel.inner.deliveries()) == 3
            # A's pass is committed and released: B counts A's sends, and the cap holds the rest
            a.dispatch()
            b.dispatch()
            sent = [r for r in w.rows() if r.status == "sent"]
            assert len(sent) == 3
            held = [r for r in w.rows() if r.status == "pending"]
            assert len(held) == 3 and all(r.attempts == 0 for r in held)
            assert all(r.detail == "deferred: mailbox daily caps" for r in held)
        finally:
            a_store.close()
            b_store.close()
