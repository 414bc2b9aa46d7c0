"""The transcript channel keeps what a message carries besides its body: the ICS invite."""

from __future__ import annotations

from datetime import UTC, datetime

from leadflow.domain.actions import ActionKind, OutboundAction
from leadflow.domain.models import Campaign, Consent, Lead
from leadflow.integrations.calendar import ics_attachment
from leadflow.integrations.channels import TranscriptChannel
from leadflow.orchestrator.clock import FixedClock
from leadflow.orchestrator.dispatcher import Dispatcher
from leadflow.orchestrator.intake import Intake
from leadflow.state import MemoryStore
from leadflow.state.records import Commit

NOW = datetime(2026, 3, 3, 15, tzinfo=UTC)
ICS = "BEGIN:VCALENDAR\r\nMETHOD:REQUEST\r\nEND:VCALENDAR\r\n"


def confirm(key: str = "lead-1:appointment:confirm:0") -> OutboundAction:
    return OutboundAction(
        kind=ActionKind.SEND_EMAIL,
        idempotency_key=key,
        to="dana@acme.com",
        subject="Confirmed",
        body="Booked.",
        payload={"attachments": [ics_attachment(ICS)]},
    )


def test_attachments_are_kept_once_per_delivery() -> None:
    channel = TranscriptChannel()
    channel.deliver(confirm(), workspace_id="w", lead_id="lead-1")
    again = channel.deliver(confirm(), workspace_id="w", lead_id="lead-1")
    assert again.duplicate
    [att] = channel.attachments("lead-1:appointment:confirm:0")
    assert att == {
        "filename": "invite.ics",
        "content_type": "text/calendar; method=REQUEST; charset=UTF-8",
        "content": ICS,
    }
    assert channel.attachments("unknown") == []


def test_an_invite_survives_the_outbox_and_the_dispatcher() -> None:
    store, clock = MemoryStore(), FixedClock(NOW)
    store.save_campaign("w", Campaign(name="c"))
    state, _ = Intake(store=store, clock=clock).create_lead(
        "w", "c", Lead(first_name="Dana", email="dana@acme.com", source="t", consent=Consent(email=True))
    )
    key = f"{state.lead_id}:appointment:confirm:0"
    assert store.apply([Commit("w", state.lead_id, actions=[confirm(key)], at=NOW)]) == [None]
    channel = TranscriptChannel()
    assert Dispatcher(store=store, channels={ActionKind.SEND_EMAIL: channel}, clock=clock).dispatch() == 1
    assert [a["content"] for a in channel.attachments(key)] == [ICS]
