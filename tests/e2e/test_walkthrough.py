"""The README's walk-through of a user's own campaign, end to end, from its commands alone (issue 11).

A new user copies ``examples/campaign.yaml`` (two sender mailboxes, its own first-touch copy,
``review_first_touch``) and the three Markdown documents it lists, then runs what the README
says, in a folder of their own with ``LEADFLOW_DB_URL`` set: ``campaigns apply`` (a plan, then
applied, then "no changes"), ``kb add --campaign pipeline-pilot`` (the file's ``knowledge``),
``import`` of an Apollo export, ``simulate`` (a funnel; nothing in the database or outside it
changes), the worker (``leadflow work`` is ``Runtime.build(Settings.from_env())`` and a worker loop:
here the same runtime with a clock the test moves, 30 minutes at a time), ``drafts list`` /
``show`` / ``approve`` for each held first touch, and replies through ``POST /v1/replies`` with a
key from ``leadflow keys create``.

It checks that each first touch is held until a person approves it, then delivered once, in
the lead's own send window (from the time zone the import derived), from one of the campaign's
two senders, with the campaign's own copy; and that after a meeting is booked, a price
objection gets a closing playbook citing the campaign's documents and never the demo's
(``agents/kb_seed``: "Northwind", $49 a seat).

The command-line clock (``SystemClock``, which the CLI commands use) is the test's clock, and
no socket may leave the machine.
"""

from __future__ import annotations

import ipaddress
import json
import shutil
import socket
from collections.abc import Iterator
from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from leadflow.api import create_app
from leadflow.cli.main import app
from leadflow.domain.actions import ActionKind
from leadflow.integrations.channels import TranscriptChannel
from leadflow.orchestrator.clock import FixedClock, SystemClock
from leadflow.runtime import Runtime
from leadflow.settings import Settings

REPO = Path(__file__).resolve().parents[2]
APOLLO_CSV = REPO / "tests" / "data" / "apollo_export.csv"
WS = "default"
CAMPAIGN = "pipeline-pilot"
START = datetime(2027, 3, 1, 6, 0, tzinfo=UTC)  # a Monday; nobody's send window is open in Chicago or Berlin
SENDERS = {"maya.chen@brightline.example", "leo.park@brightline.example"}
WINDOW = (time(8, 30), time(17, 0))  # the example's sending.window
PREFERRED = {1, 2, 3}  # tue, wed, thu: cold first touches wait for one of these
LA, NY = "America/Los_Angeles", "America/New_York"
# where each imported lead is, as the README says the zone is derived (city, single-zone country,
# phone; a "United States" lead in every mainland zone's window; nothing at all: the rep's zone)
ZONES: dict[str, tuple[str, ...]] = {
    "ann.lee@acmelogistics.example": ("America/Chicago",),
    "ben@lakeshorefreight.example": ("America/Chicago",),
    "cara.nguyen@windyanalytics.example": ("America/Chicago",),
    "dan@loopdata.example": ("America/Chicago",),
    "eve.clarke@thamesledger.example": ("Europe/London",),
    "finn@boroughhealth.example": ("Europe/London",),
    "gia.patel@camdencloud.example": ("Europe/London",),
    "hugo@sohostudio.example": ("Europe/London",),
    "isla.brown@harbourretail.example": ("Australia/Sydney",),
    "jack@bondisystems.example": ("Australia/Sydney",),
    "kai.taylor@operapayments.example": ("Australia/Sydney",),
    "lena.schmidt@spreesoftware.example": ("Europe/Berlin",),
    "max@mittemobility.example": ("Europe/Berlin",),
    "nora.wagner@kreuzberglabs.example": ("Europe/Berlin",),
    "omar@tegelenergy.example": ("Europe/Berlin",),
    "pia.hoffmann@rheinrobotics.example": ("Europe/Berlin",),  # Germany, no city
    "quinn@prairiepayroll.example": (NY, LA),  # United States, no city
    "rosa@nowherenetworks.example": (LA,),  # nothing: the rep's zone
    "sam@phoneonly.example": ("Australia/Sydney",),  # the phone number's zone
}
SEED_MARKS = ("Northwind", "$49", "$99", "kb_seed", "objections_price")


def _loopback(address: Any) -> bool:
    host = address[0] if isinstance(address, tuple) else address
    if not isinstance(host, str) or host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@pytest.fixture
def user(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Path, FixedClock]]:
    """A folder of the user's own, the README's environment, the test's clock, and no network."""

    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError(f"the walk-through tried the network: {args[:2]}")

    real_connect = socket.socket.connect

    def connect(self: socket.socket, address: Any) -> None:
        if not _loopback(address):
            refuse(address)
        real_connect(self, address)

    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket.socket, "connect", connect)
    clock = FixedClock(START)
    monkeypatch.setattr(SystemClock, "now", lambda self: clock.now())
    for var in ("LEADFLOW_WORKSPACE", "LEADFLOW_ROUTES", "LEADFLOW_BUS_URL", "LEADFLOW_LLM_API_KEY"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("LEADFLOW_DB_URL", f"sqlite:///{tmp_path / 'leadflow.db'}")
    monkeypatch.setenv("LEADFLOW_TRANSCRIPT", str(tmp_path / "transcript.db"))
    monkeypatch.setenv("LEADFLOW_LLM_PROVIDER", "none")
    monkeypatch.setenv("LEADFLOW_WEB_RESEARCH", "0")  # the leads' sites are .example: nothing to read
    monkeypatch.chdir(tmp_path)
    # cp examples/campaign.yaml my-campaign.yaml; cp -r examples/docs docs; the user's Apollo export
    shutil.copy(REPO / "examples" / "campaign.yaml", tmp_path / "my-campaign.yaml")
    shutil.copytree(REPO / "examples" / "docs", tmp_path / "docs")
    shutil.copy(APOLLO_CSV, tmp_path / "apollo-export.csv")
    yield tmp_path, clock


def leadflow(*args: str) -> str:
    result = CliRunner().invoke(app, list(args))
    assert result.exit_code == 0, f"leadflow {' '.join(args)}:\n{result.output}"
    return result.output


def _local(at: str, zone: str) -> datetime:
    return datetime.fromisoformat(at).astimezone(ZoneInfo(zone))


def test_the_readme_walk_through_of_a_users_own_campaign(user: tuple[Path, FixedClock]) -> None:
    folder, clock = user

    # -- the campaign file: a plan, applied, then nothing to change ---------------------------
    plan = leadflow("campaigns", "apply", "my-campaign.yaml", "--dry-run")
    assert "+ senders[1].address = 'leo.park@brightline.example'" in plan and "nothing written" in plan
    assert CAMPAIGN not in leadflow("campaigns", "list")
    assert "applied" in leadflow("campaigns", "apply", "my-campaign.yaml")
    assert "no changes" in leadflow("campaigns", "apply", "my-campaign.yaml")
    shown = leadflow("campaigns", "show", CAMPAIGN)
    assert all(sender in shown for sender in SENDERS) and "review_first_touch" in shown

    # -- its knowledge: the three documents the file lists ------------------------------------
    added = leadflow("kb", "add", "--campaign", CAMPAIGN)
    assert added.count(": added: ") == 3, added
    found = leadflow("kb", "search", "-c", CAMPAIGN, "price per seat")
    assert "pricing.md" in found and "$39" in found

    # -- the Apollo export ---------------------------------------------------------------------
    imported = leadflow("import", "apollo-export.csv", "--campaign", CAMPAIGN)
    assert "Apollo export: 20 created, 0 already known, 0 rejected" in " ".join(imported.split())

    # -- a dry run on the user's leads: a funnel, and nothing changes here or outside ----------
    settings = Settings.from_env()
    rt = Runtime.build(settings, clock=clock, channel=TranscriptChannel(settings.transcript_path))
    channel = rt.dispatcher.channels[ActionKind.SEND_EMAIL]
    assert isinstance(channel, TranscriptChannel)

    def snapshot() -> tuple[Any, ...]:
        leads = rt.store.list_leads(WS)
        return (len(leads), sum(len(rt.store.lead_events(WS, s.lead_id)) for s in leads),
                sum(len(rt.store.actions_for(WS, s.lead_id)) for s in leads), len(channel.deliveries()),
                sorted(p.name for p in folder.iterdir() if not p.name.startswith(("leadflow.db", "transcript.db"))))

    before = snapshot()
    simulated = leadflow("simulate", "my-campaign.yaml", "--leads", "apollo-export.csv", "--days", "5")
    assert f"Funnel of campaign '{CAMPAIGN}'" in simulated and "3 document(s)" in simulated
    assert "Would be held for review (autonomy: review_first_touch)" in simulated
    assert "Nothing was sent" in simulated
    assert snapshot() == before and before[2:4] == (0, 0), "simulate touched nothing outside its own database"

    key = leadflow("keys", "create", "--workspace", WS, "--role", "admin", "--quiet").strip()
    client = TestClient(create_app(rt))
    auth = {"Authorization": f"Bearer {key}"}
    by_email = {s.lead.email: s.lead_id for s in rt.store.list_leads(WS) if s.lead.email}
    assert set(by_email) == set(ZONES), "the lead without an e-mail address has nothing to be sent"
    try:
        # -- the worker runs; a person approves each first touch as it is held -----------------
        approved: set[int] = set()
        for _ in range(4 * 48):  # two days at most, 30 minutes at a time
            rt.worker.run_until_idle()
            held = json.loads(leadflow("drafts", "list", "--campaign", CAMPAIGN, "--json"))
            if held:
                table = leadflow("drafts", "list", "--campaign", CAMPAIGN)
                assert all(f"│ {d['id']} " in table for d in held) and "held" in table
                waiting = {d["lead_id"] for d in held}
                assert not [d for d in channel.deliveries() if d["lead_id"] in waiting], "sent before approval"
            for draft in held:
                assert draft["held_because"].startswith("review_first_touch") and draft["sender"] in SENDERS
                full = leadflow("drafts", "show", str(draft["id"]))
                assert "Most revenue teams we talk to lose sight of deals" in full
                assert f"draft {draft['id']} approved by maria" in leadflow(
                    "drafts", "approve", str(draft["id"]), "--by", "maria")
                approved.add(draft["id"])
            rt.worker.run_until_idle()
            if len(approved) == len(ZONES) and len(channel.deliveries()) >= len(ZONES):
                break
            clock.advance_to(clock.now() + timedelta(minutes=30))
        assert len(approved) == len(ZONES), f"{len(approved)} first touches held and approved"

        # -- each first touch: once, in the lead's window, from a campaign sender, its own copy --
        senders_used: set[str] = set()
        delivered = channel.deliveries()
        for email, lead_id in by_email.items():
            lead = client.get(f"/v1/leads/{lead_id}", headers=auth).json()["lead"]
            first, company = lead["first_name"], lead["company"]
            subject = f"{company}'s pipeline, a quick question"
            sent = [m for m in client.get(f"/v1/leads/{lead_id}/messages", headers=auth).json()["messages"]
                    if m["direction"] == "outbound" and m["status"] == "sent"]
            assert [m["subject"] for m in sent] == [subject], (email, sent)
            [m] = sent
            assert m["text"].startswith(
                f"Hi {first},\n\nMost revenue teams we talk to lose sight of deals between the demo and the close.\n"
                "Brightline Analytics shows where yours leak, from the CRM data you already have."), m["text"]
            assert "{" not in m["text"] and m["written_by"] == "campaign_copy"
            assert m["sender"] in SENDERS and m["recipient"] == email
            senders_used.add(m["sender"])
            assert "500 Howard Street" in m["text"] and "unsubscribe" in m["text"]
            for zone in ZONES[email]:
                local = _local(m["at"], zone)
                assert WINDOW[0] <= local.time() < WINDOW[1] and local.weekday() in PREFERRED, (email, zone, local)
            out = [d for d in delivered if d["lead_id"] == lead_id and d["kind"] == "send_email"]
            assert [(d["recipient"], d["subject"], d["body"]) for d in out] == [(email, subject, m["text"])]
        assert senders_used == SENDERS, "both mailboxes send"
        everything = json.loads(leadflow("drafts", "list", "--status", "all", "--json"))
        assert sorted(d["id"] for d in everything) == sorted(approved)
        assert {(d["status"], d["delivery"]) for d in everything} == {("approved", "sent")}

        # -- one lead answers, books a call, then objects to the price -------------------------
        ben = by_email["ben@lakeshorefreight.example"]
        seen = {d["key"] for d in channel.deliveries()}

        def reply(n: int, text: str) -> list[dict[str, str]]:
            """POST /v1/replies, then the worker until something new goes to or about the lead."""
            res = client.post("/v1/replies", headers=auth, json={
                "lead_id": ben, "message_id": f"<ben-{n}@lakeshorefreight.example>", "text": text,
                "sender": "ben@lakeshorefreight.example"})
            assert res.status_code == 202, res.text
            for _ in range(96):
                rt.worker.run_until_idle()
                new = [d for d in channel.deliveries() if d["key"] not in seen and d["lead_id"] == ben]
                if new:
                    seen.update(d["key"] for d in new)
                    return new
                clock.advance_to(clock.now() + timedelta(minutes=30))
            raise AssertionError(f"nothing came of {text!r}")

        def stage() -> str:
            return str(client.get(f"/v1/leads/{ben}", headers=auth).json()["stage"])

        reply(1, "Yes, this sounds interesting. We have 40 reps on Salesforce and our forecast is a mess.")
        reply(2, "Our budget is $20,000.")
        [times] = reply(3, "Within the next month, and yes, I sign off on tools like this.")
        assert stage() == "qualified" and "work for a call with Maya Chen" in times["body"]
        assert times["subject"] == "Re: Lakeshore Freight's pipeline, a quick question"
        booked = reply(4, "Thursday at 4:00 PM works for me.")
        assert stage() == "meeting_booked"
        [brief] = [d for d in booked if d["kind"] == "notify_human"]
        [coaching] = reply(5, "Honestly, the price is too high for us, it is over our budget this year.")

        # -- closing cites the campaign's documents, never the demo's ---------------------------
        pricing = str(folder / "docs" / "pricing.md")
        assert coaching["kind"] == "notify_human" and "price objection" in coaching["subject"]
        assert f"Brightline Analytics: pricing ({pricing}#" in coaching["body"] and "$39 per seat" in coaching["body"]
        assert f"({folder / 'docs'}/" in brief["body"], brief["body"]
        for demo in SEED_MARKS:
            assert demo not in coaching["body"] and demo not in brief["body"], demo
        [note] = [r.action for r in rt.store.actions_for(WS, ben)
                  if r.action.kind is ActionKind.NOTIFY_HUMAN and "objection" in (r.action.subject or "")]
        sources = note.payload["sources"]
        assert sources and {s["source"] for s in sources} <= {str(folder / "docs" / n) for n in
                                                              ("product-overview.md", "pricing.md", "security-faq.md")}
        assert sources[0]["title"] == "Brightline Analytics: pricing"
    finally:
        rt.close()
        channel.close()
