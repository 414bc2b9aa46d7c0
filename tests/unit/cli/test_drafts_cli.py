"""``leadflow drafts`` and ``leadflow trace`` on held drafts, through Typer's CliRunner over SQLite.

A Runtime with a fixed clock holds the first touch (``review_first_touch``); the commands list
it, print it in full, edit it, approve or reject it; the worker then sends the edited text.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from typer.testing import CliRunner

from leadflow.auth import auth_store_for
from leadflow.cli.main import app
from leadflow.domain.models import Lead
from leadflow.integrations.channels import TranscriptChannel
from leadflow.orchestrator.clock import FixedClock
from leadflow.runtime import Runtime
from leadflow.settings import Settings
from leadflow.sim.run import CAMPAIGN, demo_campaign
from leadflow.state.sql import SqlStore

WS = "default"
NOW = datetime(2026, 3, 3, 15, 0, tzinfo=UTC)
runner = CliRunner()


@pytest.fixture
def held(tmp_path: Path) -> Iterator[tuple[Runtime, TranscriptChannel, str, str]]:
    url = f"sqlite:///{tmp_path / 'leadflow.db'}"
    channel = TranscriptChannel(":memory:")
    rt = Runtime.build(Settings(db_url=url, transcript_path=":memory:", workspace=WS), store=SqlStore(url),
                       clock=FixedClock(NOW), channel=channel)  # fmt: skip
    rt.store.save_campaign(WS, demo_campaign().model_copy(update={"autonomy": "review_first_touch"}))
    lead = Lead(first_name="Ann", last_name="Lee", email="ann.lee@acme.example", company="Acme", industry="b2b_saas",
                title="CTO", source="webform", inquiry="Send me pricing please.", timezone="America/Chicago")  # fmt: skip
    state, _ = rt.intake.create_lead(WS, CAMPAIGN, lead)
    rt.worker.run_until_idle()
    yield rt, channel, url, state.lead_id
    rt.close()
    channel.close()


def cli(*args: str, url: str) -> str:
    result = runner.invoke(app, [*args, "--db", url, "-w", WS])
    assert result.exit_code == 0, result.output
    return result.output


def test_list_show_edit_approve_then_the_edited_text_is_sent(held: tuple[Runtime, TranscriptChannel, str, str],
                                                             tmp_path: Path) -> None:  # fmt: skip
    rt, channel, url, lead_id = held
    [draft] = json.loads(cli("drafts", "list", "--json", url=url))
    assert (draft["lead_id"], draft["status"], draft["campaign"]) == (lead_id, "held", CAMPAIGN)
    assert str(draft["id"]) in cli("drafts", "list", url=url)

    shown = cli("drafts", "show", str(draft["id"]), url=url)
    for line in draft["body"].splitlines():  # the whole text, line by line
        assert line in shown
    assert "review_first_touch" in shown and "template" in shown

    text = tmp_path / "mine.txt"
    text.write_text("Hi Ann,\n\nMaria here: our pricing is on its way.\n\nReply STOP to opt out.", encoding="utf-8")
    cli("drafts", "edit", str(draft["id"]), "--subject", "Your pricing", "--body-file", str(text), "--by", "maria",
        url=url)  # fmt: skip
    assert channel.deliveries() == []
    cli("drafts", "approve", str(draft["id"]), "--by", "maria", url=url)
    rt.worker.run_until_idle()
    [sent] = [d for d in channel.deliveries() if d["kind"] == "send_email"]
    assert (sent["subject"], sent["body"]) == ("Your pricing", text.read_text(encoding="utf-8"))

    story = cli("trace", lead_id, "--full", url=url)
    assert "written by person:maria" in story
    assert "Maria here: our pricing is on its way." in story
    assert "approved by maria" in story
    assert "draft.approved" in story and "draft.edited" in story
    audit = auth_store_for(rt.store).list_audit(WS, limit=10)
    assert [(e.action, e.target_id, e.detail) for e in audit[:2]] == [
        ("draft.approve", str(draft["id"]), "by maria"), ("draft.edit", str(draft["id"]), "by maria")]  # fmt: skip
    assert all(e.actor.startswith("cli:") for e in audit[:2])


def test_trace_shows_a_held_drafts_whole_text_and_why(held: tuple[Runtime, TranscriptChannel, str, str]) -> None:
    rt, _, url, lead_id = held
    [row] = rt.store.actions_in(WS, ["held"])
    story = cli("trace", lead_id, url=url)
    assert f"draft {row.seq} (held)" in story and "written by template" in story
    assert "review_first_touch: the first message to this lead" in story
    for line in row.action.body.splitlines():
        assert line in story


def test_reject_needs_a_reason_and_records_it(held: tuple[Runtime, TranscriptChannel, str, str]) -> None:
    rt, channel, url, _ = held
    [row] = rt.store.actions_in(WS, ["held"])
    missing = runner.invoke(app, ["drafts", "reject", str(row.seq), "--db", url, "-w", WS])
    assert missing.exit_code != 0
    assert "too generic" in cli("drafts", "reject", str(row.seq), "--reason", "too generic", "--by", "maria", url=url)
    [rejected] = json.loads(cli("drafts", "list", "--status", "rejected", "--json", url=url))
    assert (rejected["id"], rejected["rejected_because"], rejected["decided_by"]) == (row.seq, "too generic", "maria")
    again = runner.invoke(app, ["drafts", "approve", str(row.seq), "--db", url, "-w", WS])
    assert again.exit_code == 1 and "already rejected" in again.output
    unknown = runner.invoke(app, ["drafts", "show", "9999", "--db", url, "-w", WS])
    assert unknown.exit_code == 1
    bad = runner.invoke(app, ["drafts", "list", "--status", "sent", "--db", url, "-w", WS])
    assert bad.exit_code == 2
    assert channel.deliveries() == []


def test_edit_in_the_editor(held: tuple[Runtime, TranscriptChannel, str, str], monkeypatch: pytest.MonkeyPatch) -> None:
    rt, _, url, _ = held
    [row] = rt.store.actions_in(WS, ["held"])
    seen: list[str] = []

    def editor(text: str) -> str:
        seen.append(text)
        return "P.S. from Maria\n" + text

    monkeypatch.setattr("click.edit", editor)
    cli("drafts", "edit", str(row.seq), "--editor", "--by", "maria", url=url)
    assert seen == [row.action.body], "the editor opens on the draft's whole text"
    after = rt.store.action_by_seq(WS, row.seq)
    assert after.status == "held" and after.action.body == "P.S. from Maria\n" + row.action.body
    both = runner.invoke(app, ["drafts", "edit", str(row.seq), "--editor", "--body", "x", "--db", url, "-w", WS])
    assert both.exit_code == 2


def test_trace_json_carries_each_outbox_row_with_its_writer(held: tuple[Runtime, TranscriptChannel, str, str]) -> None:
    rt, _, url, lead_id = held
    [row] = rt.store.actions_in(WS, ["held"])
    doc = json.loads(cli("trace", lead_id, "--json", url=url))
    [held_row] = [a for a in doc["actions"] if a["seq"] == row.seq]
    assert (held_row["status"], held_row["body"], held_row["written_by"]) == ("held", row.action.body, "template")
