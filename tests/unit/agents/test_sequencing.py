"""Sequencing: send windows in the recipient's zone, holidays, DST, caps, ramp-up, rotation."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import pytest

from leadflow.agents.sequencing import (
    FOLLOW_UP_TIMERS,
    MemorySendLedger,
    SendLedger,
    SendPolicy,
    _has_room,
    mailbox_cap,
    plan_send,
    stop_on_reply,
    zone,
)
from leadflow.domain.models import Campaign, Lead, LeadState, SenderIdentity

T0 = datetime(2026, 3, 2, 14, 0, tzinfo=UTC)  # a Monday


def campaign(senders: int = 1, cap: int = 50, **kwargs: Any) -> Campaign:
    ids = [
        SenderIdentity(name=f"Rep {i}", email=f"rep{i}@sender.example", mailbox_daily_cap=cap)
        for i in range(senders)
    ]
    return Campaign(name="c", senders=ids, **kwargs)


@pytest.mark.parametrize(
    "tz", ["Asia/Kolkata", "Australia/Lord_Howe", "America/St_Johns", "America/New_York", "UTC"]
)
@pytest.mark.parametrize("hour", [0, 3, 8, 12, 16, 20, 23])
def test_plans_fall_inside_the_local_window_on_a_weekday(tz: str, hour: int) -> None:
    now = datetime(2026, 3, 6, hour, 30, tzinfo=UTC)  # a Friday
    plan = plan_send(now=now, campaign=campaign(), recipient_tz=tz, urgent=True)
    local = plan.at.astimezone(ZoneInfo(tz))
    assert time(9) <= local.time() < time(17)
    assert local.weekday() < 5
    assert plan.at >= now
    assert plan.local == local


def test_inside_the_window_sends_now() -> None:
    now = datetime(2026, 3, 3, 15, 0, tzinfo=UTC)  # Tue 10:00 in New York
    plan = plan_send(now=now, campaign=campaign(), recipient_tz="America/New_York", urgent=True)
    assert plan.at == now
    assert not plan.deferred


def test_half_hour_zones() -> None:
    # 03:30 UTC Tue = 09:00 in Kolkata exactly; 03:00 UTC = 08:30, so wait half an hour.
    plan = plan_send(
        now=datetime(2026, 3, 3, 3, 0, tzinfo=UTC), campaign=campaign(), recipient_tz="Asia/Kolkata"
    )
    assert plan.at == datetime(2026, 3, 3, 3, 30, tzinfo=UTC)
    # St John's is UTC-3:30 in winter: 09:00 local = 12:30 UTC.
    plan = plan_send(
        now=datetime(2026, 3, 3, 11, 0, tzinfo=UTC), campaign=campaign(), recipient_tz="America/St_Johns"
    )
    assert plan.at == datetime(2026, 3, 3, 12, 30, tzinfo=UTC)
    # Lord Howe is UTC+11 in March (its DST is half an hour): 09:00 local Wed = 22:00 UTC Tue.
    plan = plan_send(
        now=datetime(2026, 3, 3, 12, 0, tzinfo=UTC), campaign=campaign(), recipient_tz="Australia/Lord_Howe"
    )
    assert plan.local.replace(tzinfo=None) == datetime(2026, 3, 4, 9, 0)
    assert plan.at == datetime(2026, 3, 3, 22, 0, tzinfo=UTC)


def test_lord_howe_after_its_half_hour_dst_ends() -> None:
    # DST ends on 5 April 2026: UTC+10:30 afterwards, so 09:00 local = 22:30 UTC.
    plan = plan_send(
        now=datetime(2026, 4, 6, 12, 0, tzinfo=UTC), campaign=campaign(), recipient_tz="Australia/Lord_Howe"
    )
    assert plan.at == datetime(2026, 4, 6, 22, 30, tzinfo=UTC)


def test_new_york_spring_forward() -> None:
    # US clocks go forward on Sun 8 March 2026: 09:00 EST = 14:00 UTC before, 09:00 EDT = 13:00 UTC after.
    friday_evening = datetime(2026, 3, 6, 23, 0, tzinfo=UTC)
    plan = plan_send(now=friday_evening, campaign=campaign(), recipient_tz="America/New_York", urgent=True)
    assert plan.at == datetime(2026, 3, 9, 13, 0, tzinfo=UTC)  # Monday 09:00 EDT
    assert plan.local.hour == 9
    before = plan_send(
        now=datetime(2026, 3, 5, 23, 0, tzinfo=UTC),
        campaign=campaign(),
        recipient_tz="America/New_York",
        urgent=True,
    )
    assert before.at == datetime(2026, 3, 6, 14, 0, tzinfo=UTC)  # Friday 09:00 EST


def test_weekends_are_skipped_and_cold_outreach_waits_for_a_preferred_day() -> None:
    saturday = datetime(2026, 3, 7, 15, 0, tzinfo=UTC)
    urgent = plan_send(now=saturday, campaign=campaign(), recipient_tz="Europe/London", urgent=True)
    assert urgent.local.date() == date(2026, 3, 9)  # Monday
    cold = plan_send(now=saturday, campaign=campaign(), recipient_tz="Europe/London")
    assert cold.local.date() == date(2026, 3, 10)  # Tuesday
    assert "send window" in cold.reasons


def test_holidays_are_skipped() -> None:
    c = campaign(holidays=["2026-03-03", "2026-03-04"])
    plan = plan_send(now=datetime(2026, 3, 2, 20, 0, tzinfo=UTC), campaign=c, recipient_tz="Europe/Berlin")
    assert plan.local.date() == date(2026, 3, 5)


def test_out_of_office_resumes_after_the_return_date() -> None:
    back = datetime(2026, 3, 17, 0, 0, tzinfo=UTC)
    plan = plan_send(now=T0, campaign=campaign(), recipient_tz="UTC", paused_until=back, urgent=True)
    assert plan.at == datetime(2026, 3, 17, 9, 0, tzinfo=UTC)
    assert "out of office until return" in plan.reasons


def test_new_mailbox_ramps_up_from_20_a_day() -> None:
    ledger = MemorySendLedger()
    assert isinstance(ledger, SendLedger)
    c = campaign(cap=40)
    now = datetime(2026, 3, 3, 9, 0, tzinfo=UTC)  # Tuesday 09:00 UTC
    days = [
        plan_send(
            now=now,
            campaign=c,
            recipient_tz="UTC",
            recipient_domain=f"d{i}.example",
            ledger=ledger,
            urgent=True,
        ).at.date()
        for i in range(20 + 25 + 30)
    ]
    assert days.count(date(2026, 3, 3)) == 20
    assert days.count(date(2026, 3, 4)) == 25
    assert days.count(date(2026, 3, 5)) == 30
    # capped at the mailbox's own daily cap once the ramp passes it
    more = [
        plan_send(
            now=now,
            campaign=c,
            recipient_tz="UTC",
            recipient_domain=f"e{i}.example",
            ledger=ledger,
            urgent=True,
        ).at.date()
        for i in range(45)
    ]
    assert more.count(date(2026, 3, 6)) == 35
    assert more.count(date(2026, 3, 9)) == 10  # Friday, then the weekend is skipped


def test_mailboxes_rotate_least_used_first() -> None:
    ledger = MemorySendLedger()
    c = campaign(senders=3)
    now = datetime(2026, 3, 3, 10, 0, tzinfo=UTC)
    boxes = [
        plan_send(
            now=now, campaign=c, recipient_tz="UTC", recipient_domain=f"x{i}.example", ledger=ledger
        ).mailbox
        for i in range(6)
    ]
    assert boxes == ["rep0@sender.example", "rep1@sender.example", "rep2@sender.example"] * 2


def test_without_a_ledger_the_mailbox_is_stable_per_lead() -> None:
    c = campaign(senders=3)
    a = plan_send(now=T0, campaign=c, recipient_tz="UTC", lead_key="lead-1")
    b = plan_send(now=T0, campaign=c, recipient_tz="UTC", lead_key="lead-1")
    assert a.mailbox == b.mailbox is not None


def test_recipient_domain_hourly_cap() -> None:
    ledger = MemorySendLedger()
    c = campaign(senders=2, settings={"sending": {"domain_hourly_cap": 2}})
    now = datetime(2026, 3, 3, 10, 15, tzinfo=UTC)
    plans = [
        plan_send(now=now, campaign=c, recipient_tz="UTC", recipient_domain="acme.com", ledger=ledger)
        for _ in range(5)
    ]
    assert [p.at.hour for p in plans] == [10, 10, 11, 11, 12]
    assert plans[2].at == datetime(2026, 3, 3, 11, 0, tzinfo=UTC)
    assert "domain hourly cap" in plans[4].reasons
    other = plan_send(now=now, campaign=c, recipient_tz="UTC", recipient_domain="other.com", ledger=ledger)
    assert other.at == now


def test_policy_from_campaign_settings() -> None:
    c = campaign(settings={"sending": {"start": "08:00", "end": "12:00", "preferred_days": [0, 1, 2, 3, 4]}})
    policy = SendPolicy.from_campaign(c)
    assert policy.start == time(8) and policy.end == time(12)
    plan = plan_send(now=datetime(2026, 3, 2, 13, 0, tzinfo=UTC), campaign=c, recipient_tz="UTC")
    assert plan.at == datetime(2026, 3, 3, 8, 0, tzinfo=UTC)


def test_stop_on_reply_cancels_follow_ups() -> None:
    state = LeadState(
        lead_id="l", workspace_id="w", campaign="c", lead=Lead(first_name="A"), created_at=T0, updated_at=T0
    )
    assert stop_on_reply(state) == []
    state.replies = 1
    assert stop_on_reply(state) == [FOLLOW_UP_TIMERS]


@pytest.mark.parametrize(
    ("sending", "key"),
    [
        ({"start": "nine"}, "start"),
        ({"allowed_days": ["mon"]}, "allowed_days"),
        ({"ramp_start": "lots"}, "ramp_start"),
    ],
)
def test_bad_sending_settings_name_the_setting(sending: dict[str, object], key: str) -> None:
    from leadflow.exceptions import InvalidInput

    campaign = Campaign(name="c", settings={"sending": sending})
    with pytest.raises(InvalidInput, match=f"settings.sending.{key}"):
        SendPolicy.from_campaign(campaign)


# -- the fast paths: the same answers for less work ------------------------------------------


class CountingLedger(MemorySendLedger):
    """A memory ledger that counts its ``first_day`` reads."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.first_day_reads = 0

    def first_day(self, mailbox: str) -> date | None:
        self.first_day_reads += 1
        return super().first_day(mailbox)


@pytest.mark.parametrize("ramp", [(20, 5), (20, 0), (20, -5), (0, 5), (30, 1)])
@pytest.mark.parametrize("first", [None, 0, 3, 30, -2])  # days before the send day (-2: a planned later day)
def test_room_check_answers_as_the_cap_does(ramp: tuple[int, int], first: int | None) -> None:
    day = date(2026, 3, 10)
    policy = SendPolicy(ramp_start=ramp[0], ramp_step=ramp[1])
    firsts = {} if first is None else {"rep0@sender.example": day - timedelta(days=first)}
    ledger = MemorySendLedger(first_days=firsts)
    for cap in (10, 25, 40):
        sender = SenderIdentity(name="Rep", email="rep0@sender.example", mailbox_daily_cap=cap)
        for used in range(60):
            expected = used < mailbox_cap(sender, day, ledger, policy)
            assert _has_room(sender, used, day, ledger, policy) is expected, (cap, used)


def test_room_check_reads_the_first_day_only_when_the_cap_depends_on_it() -> None:
    day = date(2026, 3, 10)
    sender = SenderIdentity(name="Rep", email="rep0@sender.example", mailbox_daily_cap=25)
    ledger = CountingLedger(first_days={"rep0@sender.example": day - timedelta(days=1)})
    assert _has_room(sender, 19, day, ledger, SendPolicy()) and ledger.first_day_reads == 0  # under 20
    assert not _has_room(sender, 25, day, ledger, SendPolicy()) and ledger.first_day_reads == 0  # at the cap
    assert _has_room(sender, 22, day, ledger, SendPolicy()) and ledger.first_day_reads == 1  # 25 on day 2
    assert not _has_room(sender, 22, day, ledger, SendPolicy(ramp_step=0))
    assert ledger.first_day_reads == 2
    # a ramp that goes down can take a mailbox under its start: then it is always asked
    assert not _has_room(sender, 15, day, ledger, SendPolicy(ramp_step=-5)) and ledger.first_day_reads == 3


def test_zone_is_the_zoneinfo_of_the_name() -> None:
    assert zone("Asia/Kolkata") is zone("Asia/Kolkata") is ZoneInfo("Asia/Kolkata")
    assert zone(None) is zone("") is ZoneInfo("UTC")
    with pytest.raises(ZoneInfoNotFoundError):
        zone("Nowhere/Atlantis")
