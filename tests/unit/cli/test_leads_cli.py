"""``leadflow import`` of a real Apollo export through the CLI (twice, into a second campaign,
``--move``) and ``leadflow leads export`` / ``list``: the export round-trips."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from typer.testing import CliRunner

from leadflow.cli.main import app
from leadflow.state import open_store

runner = CliRunner()
APOLLO_CSV = Path(__file__).resolve().parents[2] / "data" / "apollo_export.csv"


def flat(output: str) -> str:
    return " ".join(output.split())


@pytest.fixture
def db(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'leadflow.db'}"


def imp(db: str, campaign: str, *extra: str, path: Path = APOLLO_CSV) -> str:
    r = runner.invoke(app, ["import", str(path), "-c", campaign, "--create-campaign", "--db", db, "-w", "acme",
                            *extra])
    assert r.exit_code == 0, r.output
    return flat(r.output)


def test_import_reports_the_format_duplicates_other_campaigns_and_moves(db: str) -> None:
    assert "Apollo export: 20 created, 0 already known, 0 rejected" in imp(db, "spring")
    assert "Apollo export: 0 created, 20 already known, 0 rejected" in imp(db, "spring")
    other = imp(db, "summer")
    assert "0 created, 0 already known, 20 already in campaign 'spring' (--move moves them)" in other
    store = open_store(db)
    assert {s.campaign for s in store.list_leads("acme")} == {"spring"}
    store.close()
    assert "20 moved from campaign 'spring'" in imp(db, "summer", "--move")
    store = open_store(db)
    states = store.list_leads("acme")
    assert len(states) == 20 and {s.campaign for s in states} == {"summer"}
    assert any(e.type == "lead.moved" for e in store.lead_events("acme", states[0].lead_id))
    store.close()
    trace = runner.invoke(app, ["trace", states[0].lead_id, "--db", db, "-w", "acme", "--json"])
    assert trace.exit_code == 0, trace.output
    assert "lead.moved" in trace.output and "spring" in trace.output and "summer" in trace.output


def test_import_map_and_format_options(db: str, tmp_path: Path) -> None:
    path = tmp_path / "odd.csv"
    path.write_text("Given,Mail,Cell\nBo,bo@x.example,+49 170 1234567\n", encoding="utf-8")
    out = imp(db, "spring", "--map", "Given=first_name", "--map", "Cell=phone", path=path)
    assert "generic CSV export: 1 created" in out
    lead = open_store(db).list_leads("acme")[0].lead
    assert (lead.first_name, lead.phone, lead.timezone) == ("Bo", "+491701234567", "Europe/Berlin")
    bad = runner.invoke(app, ["import", str(path), "-c", "spring", "--db", db, "--map", "Cell=telephone"])
    assert bad.exit_code == 2 and "unknown field 'telephone'" in flat(bad.output)
    fmt = runner.invoke(app, ["import", str(path), "-c", "spring", "--db", db, "--format", "zoho"])
    assert fmt.exit_code == 2 and "unknown CSV format 'zoho'" in flat(fmt.output)


def test_leads_export_round_trips(db: str, tmp_path: Path) -> None:
    imp(db, "spring")
    out = tmp_path / "export.csv"
    r = runner.invoke(app, ["leads", "export", "--campaign", "spring", "--out", str(out), "--db", db, "-w", "acme"])
    assert r.exit_code == 0, r.output
    assert "wrote 20 leads" in flat(r.output)
    with out.open(encoding="utf-8", newline="") as f:
        exported = list(csv.DictReader(f))
    store = open_store(db)
    states = {s.lead_id: s for s in store.list_leads("acme")}
    store.close()
    assert {e["leadflow_id"] for e in exported} == set(states)
    for e in exported:
        s = states[e["leadflow_id"]]
        assert (e["campaign"], e["stage"], e["source"], e["source_lead_id"]) == (
            "spring", s.stage.value, "apollo", s.lead.source_lead_id)
        assert (e["email"], e["company_domain"], e["timezone"], e["owner"]) == (
            s.lead.email or "", s.lead.company_domain, s.lead.timezone or "", "rep@seller.example")
    # the same file back into the same workspace: everyone is already known
    assert "0 created, 20 already known, 0 rejected" in imp(db, "spring", path=out)
    # into another workspace's store: the same people, the same ids, domains and zones
    other = f"sqlite:///{tmp_path / 'other.db'}"
    assert "20 created" in imp(other, "spring", path=out)
    store = open_store(other)
    again = {(s.lead.source, s.lead.source_lead_id, s.lead.email, s.lead.company_domain, s.lead.timezone)
             for s in store.list_leads("acme")}
    store.close()
    assert again == {(s.lead.source, s.lead.source_lead_id, s.lead.email, s.lead.company_domain, s.lead.timezone)
                     for s in states.values()}


def test_leads_export_to_stdout_filters_by_campaign_and_list(db: str) -> None:
    imp(db, "spring")
    runner.invoke(app, ["campaigns", "create", "empty", "--db", db, "-w", "acme"])
    r = runner.invoke(app, ["leads", "export", "--campaign", "empty", "--db", db, "-w", "acme"])
    assert r.exit_code == 0 and r.output.strip().startswith("leadflow_id,campaign,stage")
    assert len(r.output.strip().splitlines()) == 1  # the header alone
    missing = runner.invoke(app, ["leads", "export", "--campaign", "nope", "--db", db, "-w", "acme"])
    assert missing.exit_code == 1 and "no campaign 'nope'" in flat(missing.output)
    listed = runner.invoke(app, ["leads", "list", "--db", db, "-w", "acme"])
    assert listed.exit_code == 0 and "20 leads" in listed.output and "spring" in listed.output
