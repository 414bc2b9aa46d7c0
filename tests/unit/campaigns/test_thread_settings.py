"""The campaign file sets the thread rule: how long a follow-up waits for its mailbox, paused senders."""

from __future__ import annotations

from pathlib import Path

import pytest

from leadflow.agents.sequencing import SendPolicy
from leadflow.campaigns import CampaignFileError, load_text, to_campaign

TEXT = (Path(__file__).parents[3] / "examples" / "campaign.yaml").read_text(encoding="utf-8")


def test_the_example_sets_the_thread_wait_and_no_paused_sender() -> None:
    policy = SendPolicy.from_campaign(to_campaign(load_text(TEXT)))
    assert policy.thread_wait_hours == 48 and policy.paused_mailboxes == frozenset()


def test_a_paused_sender_and_a_shorter_wait_reach_the_send_policy() -> None:
    text = TEXT.replace("  ramp: {start: 20", "  thread_wait_hours: 6\n  ramp: {start: 20").replace(
        "    daily_cap: 30\n", "    daily_cap: 30\n    paused: true\n"
    )
    campaign = to_campaign(load_text(text))
    policy = SendPolicy.from_campaign(campaign)
    assert policy.thread_wait_hours == 6
    assert policy.paused_mailboxes == frozenset({"leo.park@brightline.example"})
    assert "leo.park@brightline.example" in [str(s.email) for s in campaign.senders]  # kept: its threads hand over


def test_a_negative_wait_is_refused_naming_the_key() -> None:
    with pytest.raises(CampaignFileError) as caught:
        load_text(TEXT.replace("  ramp: {start: 20", "  thread_wait_hours: -1\n  ramp: {start: 20"), origin="c.yaml")
    assert "sending.thread_wait_hours" in str(caught.value)
