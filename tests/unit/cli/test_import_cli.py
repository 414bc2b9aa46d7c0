"""``leadflow import`` and ``leadflow campaigns``, through Typer's CliRunner on a temporary SQLite db."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from leadflow.cli.main import app
from leadflow.state import open_store

runner = CliRunner()


def flat(output: str) -> str:
    """Rich wraps lines at the terminal width; compare on single spaces."""
    return " ".join(output.split())


@pytest.fixture
def db(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'leadflow.db'}"


@pytest.fixture
def csv_file(tmp_path: Path) -> Path:
    path = tmp_path / "leads.csv"
    path.write_text("First Name,Email,Timezone\nAnn,ann@acme.com,America/Chicago\nBob,not-an-email,\n"
                    "Cy,cy@acme.com,Nowhere/Town\n", encoding="utf-8")
    return path


def test_campaigns_create_and_list(db: str) -> None:
    r = runner.invoke(app, ["campaigns", "create", "spring", "--industry-pack", "solar", "--channel", "email",
                            "--channel", "sms", "--db", db, "-w", "acme"])
    assert r.exit_code == 0, r.output
    campaign = open_store(db).get_campaign("acme", "spring")
    assert campaign.industry_pack == "solar" and [c.value for c in campaign.channels] == ["email", "sms"]
    listed = runner.invoke(app, ["campaigns", "list", "--db", db, "-w", "acme"])
    assert listed.exit_code == 0 and "spring" in flat(listed.output) and "solar" in flat(listed.output)
    again = runner.invoke(app, ["campaigns", "create", "spring", "--db", db, "-w", "acme"])
    assert again.exit_code == 1 and "already exists" in flat(again.output)


def test_campaigns_create_refuses_bad_pack_and_channel(db: str) -> None:
    r = runner.invoke(app, ["campaigns", "create", "x", "--industry-pack", "tarot", "--db", db])
    assert r.exit_code == 1 and "no industry pack 'tarot'" in flat(r.output)
    r = runner.invoke(app, ["campaigns", "create", "x", "--channel", "fax", "--db", db])
    assert r.exit_code == 1 and "channels" in flat(r.output)


def test_import_reports_rows(db: str, csv_file: Path) -> None:
    runner.invoke(app, ["campaigns", "create", "spring", "--db", db])
    r = runner.invoke(app, ["import", str(csv_file), "--campaign", "spring", "--db", db])
    assert r.exit_code == 0, r.output
    assert "1 created" in flat(r.output) and "2 rejected" in flat(r.output)
    assert "Nowhere/Town" in flat(r.output)
    store = open_store(db)
    assert [s.lead.first_name for s in store.list_leads("default")] == ["Ann"]
    assert sorted(j.raw for j in store.list_rejects("default")) == ["Bob,not-an-email,", "Cy,cy@acme.com,Nowhere/Town"]
    again = runner.invoke(app, ["import", str(csv_file), "--campaign", "spring", "--db", db])
    assert "0 created" in flat(again.output) and "1 already known" in flat(again.output)


def test_import_needs_the_campaign_unless_asked_to_create(db: str, csv_file: Path) -> None:
    r = runner.invoke(app, ["import", str(csv_file), "--campaign", "spring", "--db", db, "-w", "acme"])
    assert r.exit_code == 1 and "no campaign 'spring'" in flat(r.output) and "--create-campaign" in flat(r.output)
    assert open_store(db).list_leads("acme") == []
    r = runner.invoke(app, ["import", str(csv_file), "--campaign", "spring", "--db", db, "-w", "acme",
                            "--create-campaign"])
    assert r.exit_code == 0, r.output
    assert "created campaign 'spring'" in flat(r.output)
    assert len(open_store(db).list_leads("acme")) == 1


def test_import_refuses_a_binary_file(db: str, tmp_path: Path) -> None:
    runner.invoke(app, ["campaigns", "create", "spring", "--db", db])
    blob = tmp_path / "leads.xlsx"
    blob.write_bytes(b"PK\x03\x04\x00\x00binary")
    r = runner.invoke(app, ["import", str(blob), "--campaign", "spring", "--db", db])
    assert r.exit_code == 1 and "binary" in flat(r.output)
