"""The transcript channel erases what it delivered about a person's leads (``leadflow person erase``)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from leadflow.domain.actions import ActionKind, OutboundAction
from leadflow.integrations.channels import TranscriptChannel
from leadflow.state.privacy import REDACTED


def message(key: str, to: str, body: str) -> OutboundAction:
    return OutboundAction(
        kind=ActionKind.SEND_EMAIL,
        idempotency_key=key,
        to=to,
        subject=f"For {to}",
        body=body,
        payload={"attachments": [{"filename": "invite.ics", "content_type": "text/calendar", "content": to}]},
    )


def test_erase_redacts_the_leads_deliveries_and_keeps_the_rest(tmp_path: Path) -> None:
    path = tmp_path / "transcript.db"
    channel = TranscriptChannel(path)
    try:
        channel.deliver(message("z:1", "zelda@quimby.example", "Hi Zelda"), workspace_id="w", lead_id="z")
        channel.deliver(message("a:1", "ada@example.com", "Hi Ada"), workspace_id="w", lead_id="a")
        channel.deliver(
            message("z2:1", "zelda@quimby.example", "Hi again"), workspace_id="other", lead_id="z"
        )
        assert [d["key"] for d in channel.deliveries_for("w", ["z"])] == ["z:1"]
        assert channel.erase("w", ["z"]) == 1
        [zelda] = channel.deliveries_for("w", ["z"])
        assert (zelda["recipient"], zelda["subject"], zelda["body"]) == (None, REDACTED, REDACTED)
        assert channel.attachments("z:1") == []
        assert channel.deliver(
            message("z:1", "zelda@quimby.example", "Hi Zelda"), workspace_id="w", lead_id="z"
        ).duplicate
        assert [d["body"] for d in channel.deliveries_for("w", ["a"])] == ["Hi Ada"]
        assert [d["body"] for d in channel.deliveries_for("other", ["z"])] == [
            "Hi again"
        ]  # another workspace's
        assert channel.erase("w", []) == 0
    finally:
        channel.close()
    db = sqlite3.connect(path)
    try:
        rows = db.execute("SELECT * FROM deliveries WHERE workspace_id = 'w' AND lead_id = 'z'").fetchall()
        rows += db.execute("SELECT * FROM attachments WHERE key = 'z:1'").fetchall()
    finally:
        db.close()
    assert len(rows) == 1 and "zelda" not in repr(rows).lower()
