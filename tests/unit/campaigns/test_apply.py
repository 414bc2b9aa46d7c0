"""``leadflow campaigns apply|show|export|schema|pause|resume`` and ``PUT /v1/campaigns/{name}``:
a plan key by key, idempotent, re-appliable exports, errors with their lines."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
import yaml
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from leadflow import campaigns
from leadflow.api import create_app
from leadflow.auth import keyring_for
from leadflow.cli.main import app
from leadflow.domain.models import Campaign
from leadflow.exceptions import InvalidInput
from leadflow.orchestrator.clock import FixedClock
from leadflow.runtime import Runtime
from leadflow.settings import Settings
from leadflow.state import MemoryStore, open_store

EXAMPLE = Path(__file__).parents[3] / "examples" / "campaign.yaml"
runner = CliRunner()


def flat(output: str) -> str:
    return " ".join(output.split())


class CountingStore(MemoryStore):
    """Counts campaign writes, to show that an unchanged file writes nothing."""

    def __init__(self) -> None:
        super().__init__()
        self.saves = 0

    def save_campaign(self, workspace_id: str, campaign: Campaign) -> None:
        self.saves += 1
        super().save_campaign(workspace_id, campaign)


def test_applying_the_same_file_twice_changes_nothing_the_second_time() -> None:
    store = CountingStore()
    spec = campaigns.load_text(EXAMPLE.read_text(encoding="utf-8"))
    first = campaigns.apply(store, "w", spec)
    assert first.created and first.applied and store.saves == 1
    again = campaigns.apply(store, "w", campaigns.load_text(EXAMPLE.read_text(encoding="utf-8")))
    assert again.empty and not again.applied and again.text() == "campaign 'pipeline-pilot': no changes"
    assert store.saves == 1, "nothing written"


def test_the_plan_names_each_changed_key_and_a_dry_run_writes_nothing() -> None:
    store = CountingStore()
    campaigns.apply(store, "w", campaigns.load_text(EXAMPLE.read_text(encoding="utf-8")))
    text = EXAMPLE.read_text(encoding="utf-8").replace('start: "08:30"', 'start: "09:15"').replace("daily_cap: 30", "daily_cap: 35")
    plan = campaigns.apply(store, "w", campaigns.load_text(text), dry_run=True)
    assert {(c.op, c.key, c.old, c.new) for c in plan.changes} == {
        ("~", "sending.window.start", "08:30", "09:15"), ("~", "senders[1].daily_cap", 30, 35)}
    assert "~ sending.window.start: '08:30' -> '09:15'" in plan.text()
    assert store.saves == 1 and store.get_campaign("w", "pipeline-pilot").settings["sending"]["start"] == "08:30"
    done = campaigns.apply(store, "w", campaigns.load_text(text))
    assert done.applied and store.get_campaign("w", "pipeline-pilot").settings["sending"]["start"] == "09:15"


def test_an_export_applies_again_with_no_changes_and_an_apply_keeps_the_pause() -> None:
    store = MemoryStore()
    campaigns.apply(store, "w", campaigns.load_text(EXAMPLE.read_text(encoding="utf-8")))
    assert campaigns.set_paused(store, "w", "pipeline-pilot", True)
    exported = campaigns.to_yaml(campaigns.export(store.get_campaign("w", "pipeline-pilot")))
    assert exported.startswith("name: pipeline-pilot\n")
    assert campaigns.apply(store, "w", campaigns.load_text(exported)).empty
    changed = exported.replace("autonomy: review_first_touch", "autonomy: review_all")
    assert campaigns.apply(store, "w", campaigns.load_text(changed)).applied
    stored = store.get_campaign("w", "pipeline-pilot")
    assert stored.paused and stored.autonomy == "review_all", "the pause is not the file's to undo"


def test_a_campaign_not_made_from_a_file_has_no_export() -> None:
    with pytest.raises(InvalidInput, match="not made from a campaign file"):
        campaigns.export(Campaign(name="old"))


def test_the_cli_applies_shows_exports_pauses_and_resumes(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'leadflow.db'}"
    r = runner.invoke(app, ["campaigns", "apply", str(EXAMPLE), "--dry-run", "--db", db])
    assert r.exit_code == 0, r.output
    assert "campaign 'pipeline-pilot': create" in r.output and "(dry run: nothing written)" in r.output
    assert open_store(db).list_campaigns("default") == []
    r = runner.invoke(app, ["campaigns", "apply", str(EXAMPLE), "--db", db])
    assert r.exit_code == 0 and "applied to workspace 'default'" in r.output, r.output
    sources = open_store(db).get_campaign("default", "pipeline-pilot").knowledge_sources
    assert sources == [str(EXAMPLE.parent.resolve() / "docs" / n) for n in
                       ("product-overview.md", "pricing.md", "security-faq.md")]  # read from the file's folder
    assert all(Path(p).is_file() for p in sources)
    r = runner.invoke(app, ["campaigns", "apply", str(EXAMPLE), "--db", db])
    assert r.exit_code == 0 and flat(r.output) == "campaign 'pipeline-pilot': no changes", r.output
    shown = yaml.safe_load(runner.invoke(app, ["campaigns", "show", "pipeline-pilot", "--db", db]).output)
    assert shown["autonomy"] == "review_first_touch" and shown["paused"] is False
    exported = tmp_path / "exported.yaml"
    exported.write_text(runner.invoke(app, ["campaigns", "export", "pipeline-pilot", "--db", db]).output, encoding="utf-8")
    r = runner.invoke(app, ["campaigns", "apply", str(exported), "--db", db])
    assert flat(r.output) == "campaign 'pipeline-pilot': no changes", r.output
    r = runner.invoke(app, ["campaigns", "pause", "pipeline-pilot", "--db", db])
    assert r.exit_code == 0 and "paused" in r.output and open_store(db).get_campaign("default", "pipeline-pilot").paused
    listed = runner.invoke(app, ["campaigns", "list", "--db", db])
    assert "paused" in listed.output
    r = runner.invoke(app, ["campaigns", "resume", "pipeline-pilot", "--db", db])
    assert r.exit_code == 0 and not open_store(db).get_campaign("default", "pipeline-pilot").paused
    schema = json.loads(runner.invoke(app, ["campaigns", "schema"]).output)
    assert schema["title"] == "leadflow campaign" and "sequence" in schema["properties"]


def test_the_cli_refuses_a_bad_file_with_its_line(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(EXAMPLE.read_text(encoding="utf-8").replace('start: "08:30"', "start: '9am'"), encoding="utf-8")
    r = runner.invoke(app, ["campaigns", "apply", str(bad), "--db", f"sqlite:///{tmp_path / 'l.db'}"])
    assert r.exit_code == 1
    line = next(i for i, t in enumerate(bad.read_text().splitlines(), 1) if "9am" in t)
    assert f"{bad}:{line}: sending.window.start: must be HH:MM" in flat(r.output)


def test_put_campaign_takes_the_same_document_and_get_reads_it(tmp_path: Path) -> None:
    rt = Runtime.build(Settings(db_url="memory://", transcript_path=str(tmp_path / "t.db")), store=MemoryStore(),
                       clock=FixedClock(datetime(2026, 3, 3, 15, tzinfo=UTC)))
    ring = keyring_for(rt.store)
    member = {"Authorization": f"Bearer {ring.create('default', 'member', actor='t')[1]}"}
    viewer = {"Authorization": f"Bearer {ring.create('default', 'viewer', actor='t')[1]}"}
    doc = campaigns.load_text(EXAMPLE.read_text(encoding="utf-8")).model_dump(mode="json")
    with TestClient(create_app(rt)) as client:
        r = client.put("/v1/campaigns/pipeline-pilot", json=doc, headers=member)
        assert r.status_code == 200 and r.json()["created"] and r.json()["applied"], r.text
        r = client.put("/v1/campaigns/pipeline-pilot", json=doc, headers=member)
        assert r.json()["changes"] == [] and not r.json()["applied"]
        assert client.put("/v1/campaigns/pipeline-pilot", json=doc, headers=viewer).status_code == 403
        bad = {**doc, "sending": {**doc["sending"], "window": {"start": "9am", "end": "17:00"}}}
        r = client.put("/v1/campaigns/pipeline-pilot", json=bad, headers=member)
        assert r.status_code == 422 and r.json()["error"]["details"][0]["field"] == "sending.window.start"
        assert client.put("/v1/campaigns/other-name", json=doc, headers=member).status_code == 422
        later = {**doc, "autonomy": "review_all"}
        r = client.put("/v1/campaigns/pipeline-pilot?dry_run=true", json=later, headers=member)
        assert r.json()["changes"] == [{"op": "~", "key": "autonomy", "old": "review_first_touch", "new": "review_all"}]
        assert not r.json()["applied"] and rt.store.get_campaign("default", "pipeline-pilot").autonomy == "review_first_touch"
        got = client.get("/v1/campaigns/pipeline-pilot", headers=viewer)
        assert got.status_code == 200 and got.json()["spec"]["name"] == "pipeline-pilot"
        assert client.get("/v1/campaigns/nope", headers=viewer).status_code == 404
    rt.close()


def test_the_public_names_are_pinned() -> None:
    assert campaigns.__all__ == [
        "TEMPLATE_VARIABLES", "CampaignFile", "CampaignFileError", "Change", "Plan", "apply", "export", "json_schema",
        "load_text", "plan", "problems", "read_yaml", "set_paused", "show", "to_campaign", "to_yaml", "validate",
    ]


def test_a_bare_email_campaign_says_it_has_no_sender(tmp_path: Path) -> None:
    r = runner.invoke(app, ["campaigns", "create", "bare", "--db", f"sqlite:///{tmp_path / 'l.db'}"])
    assert r.exit_code == 0 and "no sender mailbox" in flat(r.output), r.output


def test_a_new_campaigns_plan_only_adds() -> None:
    from leadflow.campaigns.service import diff

    changes = diff(None, {"name": "x", "offer": {"summary": "a look"}})
    assert [(c.op, c.key) for c in changes] == [("+", "name"), ("+", "offer.summary")]
