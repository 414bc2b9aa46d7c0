"""``leadflow person export|erase`` on a real runtime over SQLite: a lead contacted, replying, then erased.

The erased person's name, address, number and reply text must appear in no table of the store's
SQLite file nor of the transcript database; the log must still replay to the live state; the same
person arriving again (another spelling of the address) must be sent nothing; and both requests
must be in the audit log.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest
from typer.testing import CliRunner

from leadflow.auth import auth_store_for
from leadflow.cli.main import app
from leadflow.domain.models import Consent, Lead, Stage
from leadflow.integrations.channels import TranscriptChannel
from leadflow.orchestrator.clock import FixedClock
from leadflow.runtime import Runtime
from leadflow.settings import Settings
from leadflow.sim.run import demo_campaign
from leadflow.state import open_store

WS = "default"
NOW = datetime(2026, 3, 3, 15, 0, tzinfo=UTC)  # a Tuesday, 10:00 in New York
EMAIL = "Zelda.Quimby@gmail.com"
REPLY = "Zelda here: call me Tuesday at noon on +81-3-1234-5678"
PERSONAL = (
    "zelda",
    "quimby",
    "widgets",
    "head of ops",
    "tuesday at noon",
    "12345678",
    "1234-5678",
    "1234 5678",
)

runner = CliRunner()


@dataclass
class World:
    db: Path
    transcript: Path
    lead_id: str

    @property
    def url(self) -> str:
        return f"sqlite:///{self.db}"

    def args(self) -> list[str]:
        return ["--db", self.url, "--workspace", WS, "--transcript", str(self.transcript)]

    def runtime(self) -> Runtime:
        settings = Settings(db_url=self.url, transcript_path=str(self.transcript), workspace=WS)
        return Runtime.build(settings, clock=FixedClock(NOW))


def zelda(email: str = EMAIL) -> Lead:
    return Lead(
        first_name="Zelda",
        last_name="Quimby",
        email=email,
        phone="+81 3 1234 5678",
        title="Head of Ops",
        company="Quimby Widgets",
        timezone="America/New_York",
        consent=Consent(email=True, sms=True),
    )


@pytest.fixture
def world(tmp_path: Path) -> World:
    """Zelda created, sent a first touch by the worker, and replying; the runtime closed again."""
    w = World(tmp_path / "leadflow.db", tmp_path / "transcript.db", "")
    rt = w.runtime()
    try:
        rt.store.save_campaign(WS, demo_campaign())
        state, _ = rt.intake.create_lead(WS, "demo", zelda())
        rt.worker.run_until_idle()
        assert rt.store.get_lead(WS, state.lead_id).stage is Stage.CONTACTED
        assert rt.intake.receive_reply(
            WS, state.lead_id, message_id="<r1@gmail.com>", text=REPLY, sender=EMAIL
        )
        rt.worker.run_until_idle()
        w.lead_id = state.lead_id
    finally:
        rt.close()
    return w


def tables_text(path: Path, *, skip: tuple[str, ...] = ()) -> str:
    """Every row of every table of a SQLite file (but ``skip``), as text, lower-cased."""
    db = sqlite3.connect(path)
    try:
        names = [
            n for (n,) in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'") if n not in skip
        ]
        return "\n".join(repr(row) for name in names for row in db.execute(f'SELECT * FROM "{name}"')).lower()
    finally:
        db.close()


def audit_actions(world: World) -> list[str]:
    store = open_store(world.url)
    try:
        return [e.action for e in auth_store_for(store).list_audit(WS)]
    finally:
        store.close()


def test_export_holds_the_lead_the_first_touch_and_the_reply(world: World, tmp_path: Path) -> None:
    result = runner.invoke(app, ["person", "export", "ZELDA.QUIMBY@gmail.com", *world.args()])
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert [lead["lead_id"] for lead in doc["leads"]] == [world.lead_id]
    assert doc["leads"][0]["lead"]["email"] == EMAIL
    bodies = [m["body"] for m in doc["messages"]]
    # the first touch (its greeting varies by lead, its addressee does not) and the reply
    assert any("Zelda" in b for b in bodies if b != REPLY) and REPLY in bodies
    assert [e["payload"]["text"] for e in doc["events"] if e["type"] == "reply.received"] == [REPLY]
    assert [d["recipient"] for d in doc["transcript"]][:1] == [EMAIL]
    assert doc["actions"] and doc["traces"]
    out = tmp_path / "zelda.json"
    by_phone = runner.invoke(app, ["person", "export", "+81-3-1234-5678", *world.args(), "--out", str(out)])
    assert by_phone.exit_code == 0, by_phone.output
    assert [lead["lead_id"] for lead in json.loads(out.read_text())["leads"]] == [world.lead_id]
    assert out.stat().st_mode & 0o777 == 0o600  # personal data: its owner's eyes only
    assert audit_actions(world).count("person.export") == 2


def test_erase_leaves_nothing_and_the_person_stays_suppressed(world: World) -> None:
    before = tables_text(world.db) + tables_text(world.transcript)
    assert all(s in before for s in ("zelda", "quimby", "tuesday at noon")), "the scan must see them first"
    result = runner.invoke(app, ["person", "erase", EMAIL, "--yes", *world.args()])
    assert result.exit_code == 0, result.output
    assert "events" in result.output and "transcript" in result.output
    held = tables_text(world.db)
    assert [s for s in PERSONAL if s in held] == [], "left in the store"
    assert EMAIL.lower() not in held and "+81312345678" not in held
    delivered = tables_text(world.transcript)
    assert [s for s in PERSONAL if s in delivered] == [], "left in the transcript"
    replay = runner.invoke(app, ["replay", "--check", "--db", world.url])
    assert replay.exit_code == 0, replay.output
    assert "0 differ" in replay.output
    assert audit_actions(world)[0] == "person.erase"

    # the same person again, in another spelling: a new lead, and the dispatcher sends it nothing
    rt = world.runtime()
    try:
        again, created = rt.intake.create_lead(WS, "demo", zelda("zelda.quimby+news@GoogleMail.com"))
        assert created and again.lead_id != world.lead_id
        rt.worker.run_until_idle()
        rows = rt.store.actions_for(WS, again.lead_id)
        assert rows and all(r.status != "sent" for r in rows)
        assert [r.detail for r in rows if r.status == "suppressed"] == ["suppressed_address"]
        transcript = TranscriptChannel(world.transcript)
        try:
            assert transcript.deliveries_for(WS, [again.lead_id]) == []
        finally:
            transcript.close()
        assert rt.store.get_lead(WS, world.lead_id).stage is Stage.DO_NOT_CONTACT
    finally:
        rt.close()


def test_erase_asks_first(world: World) -> None:
    result = runner.invoke(app, ["person", "erase", EMAIL, *world.args()], input="n\n")
    assert result.exit_code == 1
    store = open_store(world.url)
    try:
        assert store.get_lead(WS, world.lead_id).lead.email == EMAIL
    finally:
        store.close()
    assert "person.erase" not in audit_actions(world)


def test_not_an_address_nor_a_number(world: World) -> None:
    result = runner.invoke(app, ["person", "export", "somebody", *world.args()])
    assert result.exit_code == 2
    assert "neither an e-mail address nor a phone number" in result.output


def test_a_national_number_is_read_in_the_country_given(world: World) -> None:
    result = runner.invoke(app, ["person", "export", "03-1234-5678", "--country", "JP", *world.args()])
    assert result.exit_code == 0, result.output
    assert [lead["lead_id"] for lead in json.loads(result.stdout)["leads"]] == [world.lead_id]
    as_us = runner.invoke(app, ["person", "export", "03-1234-5678", *world.args()])  # not a US number
    assert as_us.exit_code == 2


def test_erasing_demo_leads_keeps_the_log_replayable(tmp_path: Path) -> None:
    """Leads of a whole simulated campaign (meetings, nurture, escalations, opt-outs) erased: the
    redacted log still folds to the live states, and their addresses are gone from the file."""
    out = tmp_path / "demo"
    demo = runner.invoke(app, ["demo", "--leads", "24", "--seed", "5", "--out", str(out)])
    assert demo.exit_code == 0, demo.output
    url = f"sqlite:///{out / 'leadflow.db'}"
    store = open_store(url)
    try:
        leads = store.list_leads("demo")
        by_stage = {s.stage: s for s in leads if s.lead.email}  # one lead from each stage reached
        chosen = list(by_stage.values())
        stages = set(by_stage)
    finally:
        store.close()
    assert len(stages) >= 4, stages
    for s in chosen:
        args = ["person", "erase", str(s.lead.email), "--yes", "--db", url, "-w", "demo"]
        result = runner.invoke(app, [*args, "--transcript", str(out / "transcript.db")])
        assert result.exit_code == 0, result.output
    replay = runner.invoke(app, ["replay", "--check", "--db", url])
    assert replay.exit_code == 0, replay.output
    # the demo's transcript file also holds the simulated outside world: the prospects' own mail
    # (inbound) and the seller's deal reports (outcomes) are theirs, like a real mailbox or CRM
    held = tables_text(out / "leadflow.db") + tables_text(out / "transcript.db", skip=("inbound", "outcomes"))
    assert [str(s.lead.email) for s in chosen if str(s.lead.email).lower() in held] == []
    assert [s.lead.full_name for s in chosen if s.lead.full_name.lower() in held] == []
    store = open_store(url)
    try:
        assert all(store.get_lead("demo", s.lead_id).stage is Stage.DO_NOT_CONTACT for s in chosen)
    finally:
        store.close()
