"""A thread keeps its sender and subject through the runtime over SQLite (issue 11).

Two leads, a campaign with two mailboxes: the second lead's first touch goes from the second
mailbox (rotation). When that lead replies, the follow-up goes from the same mailbox, although
rotation alone would pick the first, as ``Re: <first subject>`` in the same thread. When the
mailbox is removed from the campaign, the next follow-up is handed over, and ``leadflow trace``
says so.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from typer.testing import CliRunner

from leadflow.cli.main import app
from leadflow.domain.actions import ActionKind
from leadflow.domain.models import Campaign, Lead, SenderIdentity
from leadflow.integrations.channels import TranscriptChannel
from leadflow.orchestrator.clock import FixedClock
from leadflow.runtime import Runtime
from leadflow.settings import Settings
from leadflow.sim.run import CAMPAIGN, demo_campaign
from leadflow.state.records import ActionRow
from leadflow.state.sql import SqlStore

WS = "default"
NOW = datetime(2026, 3, 3, 15, 0, tzinfo=UTC)  # a Tuesday, 10:00 in New York
ANA, BEN = "ana@northwind.example", "ben@northwind.example"


def two_mailboxes() -> Campaign:
    return demo_campaign().model_copy(update={
        "channels": demo_campaign().channels[:1],  # e-mail only
        "senders": [SenderIdentity(name="Ana Diaz", email=ANA), SenderIdentity(name="Ben Okafor", email=BEN)],
    })


@pytest.fixture
def rt(tmp_path: Path) -> Iterator[tuple[Runtime, str]]:
    url = f"sqlite:///{tmp_path / 'leadflow.db'}"
    channel = TranscriptChannel(":memory:")
    runtime = Runtime.build(Settings(db_url=url, transcript_path=":memory:", workspace=WS), store=SqlStore(url),
                            clock=FixedClock(NOW), channel=channel)
    runtime.store.save_campaign(WS, two_mailboxes())
    yield runtime, url
    runtime.close()
    channel.close()


def lead(first: str, email: str) -> Lead:
    return Lead(first_name=first, last_name="Lee", email=email, company=f"{first} Co", industry="b2b_saas",
                title="VP Sales", source="webform", inquiry="Send me pricing please.", timezone="America/New_York")


def emails(runtime: Runtime, lead_id: str) -> list[ActionRow]:
    rows = [r for r in runtime.store.actions_for(WS, lead_id) if r.action.kind is ActionKind.SEND_EMAIL]
    return sorted(rows, key=lambda r: r.seq)


def test_the_follow_up_comes_from_the_first_touchs_mailbox_with_its_subject(rt: tuple[Runtime, str]) -> None:
    runtime, url = rt
    ann, _ = runtime.intake.create_lead(WS, CAMPAIGN, lead("Ann", "ann@acme.example"))
    bob, _ = runtime.intake.create_lead(WS, CAMPAIGN, lead("Bob", "bob@globex.example"))
    runtime.worker.run_until_idle()
    [first_ann] = emails(runtime, ann.lead_id)
    [first] = emails(runtime, bob.lead_id)
    assert {first_ann.action.payload["from"], first.action.payload["from"]} == {ANA, BEN}
    assert first.status == "sent"
    mailbox = first.action.payload["from"]

    assert runtime.intake.receive_reply(WS, bob.lead_id, message_id="<r1@globex.example>", channel="email",
                                        text="Thanks! We have 40 reps and want to start next month. What does it cost?",
                                        subject=f"Re: {first.action.subject}", in_reply_to=first.action.idempotency_key)
    runtime.worker.run_until_idle()
    follow_ups = emails(runtime, bob.lead_id)[1:]
    assert follow_ups, "an agent answered the reply"
    for row in follow_ups:
        a = row.action
        assert a.payload["from"] == mailbox, (a.agent, a.payload["from"])
        assert a.subject == f"Re: {first.action.subject}", a.subject
        assert a.payload["thread_id"] == first.action.payload["thread_id"]
        assert a.payload["in_reply_to"] == "<r1@globex.example>"
        assert a.payload["references"][0] == first.action.idempotency_key

    # the mailbox leaves the campaign (a worker started afterwards reads it): the next follow-up is
    # handed over, and the trace says why
    other = ANA if mailbox == BEN else BEN
    left = two_mailboxes().model_copy(update={"senders": [s for s in two_mailboxes().senders if s.email == other]})
    runtime.store.save_campaign(WS, left)
    channel = TranscriptChannel(":memory:")
    later = Runtime.build(Settings(db_url=url, transcript_path=":memory:", workspace=WS), store=SqlStore(url),
                          clock=FixedClock(NOW), channel=channel)
    try:
        assert later.intake.receive_reply(WS, bob.lead_id, message_id="<r2@globex.example>", channel="email",
                                          text="About 40 reps, budget around $20k a year, and we'd like to start in May.",
                                          subject=f"Re: {first.action.subject}")
        later.worker.run_until_idle()
        handed = [r for r in emails(later, bob.lead_id) if r.action.payload.get("thread_handover")]
        assert handed, [(r.action.agent, r.action.payload.get("from"), r.status) for r in emails(later, bob.lead_id)]
    finally:
        later.close()
        channel.close()
    a = handed[0].action
    assert a.payload["from"] == other and a.subject == f"Re: {first.action.subject}"
    assert f"<{other}>" in a.body and f"<{mailbox}>" not in a.body
    assert "no longer a sender of the campaign" in a.payload["thread_handover"]["why"]
    story = CliRunner().invoke(app, ["trace", bob.lead_id, "--full", "--db", url, "-w", WS])
    assert story.exit_code == 0, story.output
    assert f"not the thread's {mailbox}" in story.output.replace("\n", "")
