"""``leadflow webhooks secret create|list|revoke``: a secret printed once, listed by id, revoked; all audited."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from leadflow.api import create_app
from leadflow.api.auth import InsecureNoAuth
from leadflow.auth import auth_store_for
from leadflow.cli.main import app
from leadflow.domain.models import Campaign
from leadflow.integrations.webhooks import HEADER, sign
from leadflow.runtime import Runtime
from leadflow.settings import Settings
from leadflow.state.sql import SqlStore


def test_create_list_revoke_and_the_api_follows(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'lf.db'}"
    runner = CliRunner()
    made = runner.invoke(app, ["webhooks", "secret", "create", "--workspace", "acme", "--source", "leads",
                               "--quiet", "--db", url])
    assert made.exit_code == 0, made.output
    secret = made.output.strip()
    assert secret.startswith("whsec_")

    listed = runner.invoke(app, ["webhooks", "secret", "list", "--workspace", "acme", "--db", url])
    assert listed.exit_code == 0 and "leads" in listed.output
    assert secret not in listed.output  # never shown again
    [secret_id] = [w for w in listed.output.split() if w.startswith("whk_")]

    # the API of a server on this database now wants the signature
    store = SqlStore(url)
    runtime = Runtime.build(Settings(db_url=url, transcript_path=str(tmp_path / "t.db")), store=store)
    try:
        store.save_campaign("acme", Campaign(name="spring"))
        body = json.dumps({"campaign": "spring", "first_name": "Ada", "email": "ada@example.com"}).encode()
        with TestClient(create_app(runtime, auth=InsecureNoAuth("acme"))) as client:
            headers = {"content-type": "application/json"}
            assert client.post("/v1/leads", content=body, headers=headers).status_code == 401
            signed = {**headers, HEADER: sign(secret, body, int(time.time()))}
            assert client.post("/v1/leads", content=body, headers=signed).status_code == 201

            revoked = runner.invoke(app, ["webhooks", "secret", "revoke", secret_id, "--workspace", "acme",
                                          "--db", url])
            assert revoked.exit_code == 0, revoked.output
            # no secret left: unsigned requests are taken again (without --require-signatures)
            other = json.dumps({"campaign": "spring", "first_name": "Bo", "email": "bo@example.com"}).encode()
            assert client.post("/v1/leads", content=other, headers=headers).status_code == 201
        actions = [e.action for e in auth_store_for(store).list_audit("acme")]
        assert "webhook_secret.create" in actions and "webhook_secret.revoke" in actions
    finally:
        runtime.close()

    again = runner.invoke(app, ["webhooks", "secret", "revoke", secret_id, "--workspace", "acme", "--db", url])
    assert again.exit_code == 1
    wrong = runner.invoke(app, ["webhooks", "secret", "create", "--workspace", "acme", "--source", "nope",
                                "--db", url])
    assert wrong.exit_code == 1


def test_serve_require_signatures_reaches_the_app(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import uvicorn

    seen: list[Settings] = []

    def run(server: uvicorn.Server) -> None:  # instead of serving: look at the app it was given
        seen.append(server.config.app.state.runtime.settings)

    monkeypatch.setattr(uvicorn.Server, "run", run)
    monkeypatch.setenv("LEADFLOW_TRANSCRIPT", str(tmp_path / "t.db"))
    url = f"sqlite:///{tmp_path / 'lf.db'}"
    for flags, expected in (([], False), (["--require-signatures"], True)):
        r = CliRunner().invoke(app, ["serve", "--db", url, "--no-worker", *flags])
        assert r.exit_code == 0, r.output
        assert seen[-1].require_signatures is expected
