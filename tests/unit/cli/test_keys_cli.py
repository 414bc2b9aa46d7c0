"""``leadflow keys``, ``leadflow audit`` and ``leadflow serve``'s guard (issue 10, findings 2 and 3)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from typer.testing import CliRunner

from leadflow.api.auth import InsecureNoAuth
from leadflow.auth import KeyRing, auth_store_for, cli_actor
from leadflow.auth.keys import parse_key
from leadflow.cli.main import app, main
from leadflow.exceptions import InvalidInput, NotFound
from leadflow.state import open_store


@pytest.fixture
def db(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'leadflow.db'}"


def run(*args: str) -> Any:
    return CliRunner().invoke(app, list(args))


def test_create_prints_the_key_once_and_stores_only_its_hash(db: str) -> None:
    result = run("keys", "create", "--workspace", "acme", "--role", "ingest", "--name", "zapier", "--db", db)
    assert result.exit_code == 0, result.output
    (key,) = [line for line in result.output.splitlines() if line.startswith("lf_")]
    assert "Authorization: Bearer" in result.output
    parsed = parse_key(key)
    assert parsed is not None
    store = open_store(db)
    try:
        (stored,) = auth_store_for(store).list_keys("acme")
        assert stored.key_id == parsed[0] and stored.role.value == "ingest" and stored.name == "zapier"
        assert parsed[1] not in stored.secret_hash
        assert KeyRing(store).check(key).key is not None
    finally:
        store.close()
    quiet = run("keys", "create", "-w", "acme", "--role", "viewer", "-q", "--db", db)
    assert quiet.exit_code == 0 and parse_key(quiet.output.strip()) is not None


def test_list_revoke_and_audit(db: str) -> None:
    key = run("keys", "create", "-w", "acme", "--role", "admin", "--name", "laptop", "-q", "--db", db).output.strip()
    key_id = key.split("_")[1]
    listed = run("keys", "list", "-w", "acme", "--db", db)
    assert listed.exit_code == 0 and key_id in listed.output and "laptop" in listed.output
    assert key_id not in run("keys", "list", "-w", "other", "--db", db).output
    revoked = run("keys", "revoke", key_id, "--db", db)
    assert revoked.exit_code == 0 and "revoked" in revoked.output
    store = open_store(db)
    try:
        assert KeyRing(store).check(key).reason == "revoked"
    finally:
        store.close()
    log = run("audit", "-w", "acme", "--json", "--db", db)
    assert log.exit_code == 0
    entries = [json.loads(line) for line in log.output.splitlines()]
    assert [(e["action"], e["target_id"], e["actor"]) for e in entries] == [
        ("key.revoke", key_id, cli_actor()), ("key.create", key_id, cli_actor())]
    assert [json.loads(x)["action"] for x in run("audit", "-w", "acme", "--json", "--limit", "1", "--db", db)
            .output.splitlines()] == ["key.revoke"]
    table = run("audit", "-w", "acme", "--db", db)
    assert table.exit_code == 0 and "key.create" in table.output


def test_bad_role_and_unknown_key_are_leadflow_errors(db: str, capsys: pytest.CaptureFixture[str]) -> None:
    bad = run("keys", "create", "-w", "acme", "--role", "root", "--db", db)
    assert bad.exit_code == 1 and isinstance(bad.exception, InvalidInput)
    unknown = run("keys", "revoke", "0123456789abcdef", "--db", db)
    assert unknown.exit_code == 1 and isinstance(unknown.exception, NotFound)
    with pytest.raises(SystemExit):
        main(["keys", "revoke", "nope", "--db", db])
    assert capsys.readouterr().err == "leadflow: no API key 'nope'\n"


def test_serve_insecure_on_a_public_address_refuses_to_start(
    db: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    started: list[object] = []
    monkeypatch.setattr(uvicorn.Server, "run", lambda self, *a, **k: started.append(self))
    for host in ("0.0.0.0", "::", "192.168.1.10"):
        result = run("serve", "--insecure-no-auth", "--host", host, "--db", db, "--no-worker")
        assert result.exit_code == 2
        assert result.output.strip().count("\n") == 0 and "loopback" in result.output
    assert started == []
    assert not (tmp_path / "leadflow.db").exists()  # refused before opening anything


def test_serve_insecure_on_loopback_warns_and_serves_without_keys(
    db: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    started: list[uvicorn.Server] = []
    monkeypatch.setattr(uvicorn.Server, "run", lambda self, *a, **k: started.append(self))
    monkeypatch.setenv("LEADFLOW_TRANSCRIPT", str(tmp_path / "transcript.db"))
    result = run("serve", "--insecure-no-auth", "--host", "127.0.0.1", "--db", db, "--no-worker")
    assert result.exit_code == 0, result.output
    assert "WARNING" in result.output and "--insecure-no-auth" in result.output
    (server,) = started
    assert isinstance(server.config.app.state.auth, InsecureNoAuth)  # type: ignore[union-attr]


def test_serve_checks_keys_by_default_and_says_how_to_make_one(
    db: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    started: list[uvicorn.Server] = []
    monkeypatch.setattr(uvicorn.Server, "run", lambda self, *a, **k: started.append(self))
    monkeypatch.setenv("LEADFLOW_TRANSCRIPT", str(tmp_path / "transcript.db"))
    result = run("serve", "--host", "0.0.0.0", "--db", db, "--no-worker", "--cors-origin", "https://app.example")
    assert result.exit_code == 0, result.output
    assert "leadflow keys create --workspace default --role admin" in result.output
    assert "WARNING" not in result.output
    (server,) = started
    assert isinstance(server.config.app.state.auth, KeyRing)  # type: ignore[union-attr]
    assert server.config.app.state.runtime.settings.cors_origins == ("https://app.example",)  # type: ignore[union-attr]
