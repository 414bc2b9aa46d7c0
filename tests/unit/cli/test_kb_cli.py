"""``leadflow kb add|list|search|remove`` on a campaign, stored in the main database (issue 11)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from leadflow.cli.main import app
from leadflow.domain.models import Campaign
from leadflow.kb import knowledge_for
from leadflow.state import open_store

PRICING = "# Pricing\n\n## Plans\n\nThe Team plan is $30 per seat a month, billed yearly.\n"
SECURITY = "# Security\n\n## Certifications\n\nWe are SOC 2 Type II certified and encrypt backups at rest.\n"
ONBOARDING = "# Onboarding\n\n## First week\n\nA named engineer migrates your pipelines within five days.\n"


@pytest.fixture
def db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    url = f"sqlite:///{tmp_path / 'leadflow.db'}"
    monkeypatch.setenv("LEADFLOW_WORKSPACE", "ws")
    store = open_store(url)
    store.save_campaign("ws", Campaign(name="acme-growth"))
    store.save_campaign("ws", Campaign(name="other"))
    store.close()
    return url


@pytest.fixture
def docs(tmp_path: Path) -> list[str]:
    paths = []
    for name, text in (("pricing.md", PRICING), ("security.md", SECURITY), ("onboarding.md", ONBOARDING)):
        path = tmp_path / name
        path.write_text(text, encoding="utf-8")
        paths.append(str(path))
    return paths


def run(*args: str) -> Any:
    return CliRunner().invoke(app, list(args))


def test_add_three_documents_then_search_finds_each(db: str, docs: list[str]) -> None:
    added = run("kb", "add", "--campaign", "acme-growth", "--db", db, *docs)
    assert added.exit_code == 0, added.output
    assert added.output.count(": added: ") == 3
    listed = run("kb", "list", "--campaign", "acme-growth", "--db", db)
    assert listed.exit_code == 0 and "3 documents" in listed.output
    for query, title, section in (("price per seat", "Pricing", "Plans"), ("SOC 2 backups", "Security", "Certifications"),
                                  ("engineer pipelines", "Onboarding", "First week")):
        found = run("kb", "search", "--campaign", "acme-growth", "--db", db, query)
        assert found.exit_code == 0, found.output
        first = found.output.splitlines()[0]
        assert first.startswith(f"[1] {title} > {title} > {section} (")
        assert f"{title.lower()}.md#0" in first
    # stored in the database: another process (a worker) reads the same documents
    store = open_store(db)
    try:
        assert len(knowledge_for(store).documents("ws", "acme-growth")) == 3
    finally:
        store.close()


def test_re_adding_unchanged_is_a_no_op_and_changed_replaces(db: str, docs: list[str]) -> None:
    assert run("kb", "add", "-c", "acme-growth", "--db", db, docs[0]).exit_code == 0
    again = run("kb", "add", "-c", "acme-growth", "--db", db, docs[0])
    assert "unchanged, nothing to do" in again.output
    Path(docs[0]).write_text(PRICING.replace("$30", "$42").replace("yearly", "monthly"), encoding="utf-8")
    changed = run("kb", "add", "-c", "acme-growth", "--db", db, docs[0])
    assert "replaced (changed)" in changed.output
    found = run("kb", "search", "-c", "acme-growth", "--db", db, "seat billed", "-k", "10")
    assert "$42" in found.output and "$30" not in found.output
    assert "nothing in" in run("kb", "search", "-c", "acme-growth", "--db", db, "yearly").output


def test_another_campaign_sees_none_of_it_and_remove_works(db: str, docs: list[str]) -> None:
    assert run("kb", "add", "-c", "acme-growth", "--db", db, *docs).exit_code == 0
    other = run("kb", "search", "-c", "other", "--db", db, "price seat SOC engineer")
    assert "nothing in 'other'" in other.output
    removed = run("kb", "remove", "-c", "acme-growth", "--db", db, docs[0])
    assert removed.exit_code == 0 and "removed 'Pricing'" in removed.output
    assert "2 documents" in run("kb", "list", "-c", "acme-growth", "--db", db).output
    missing = run("kb", "remove", "-c", "acme-growth", "--db", db, docs[0])
    assert missing.exit_code == 1


def test_unknown_campaign_and_bad_files_are_refused(db: str, tmp_path: Path) -> None:
    nope = run("kb", "list", "-c", "nope", "--db", db)
    assert nope.exit_code == 1 and "no campaign 'nope'" in nope.output
    bad = tmp_path / "notes.docx"
    bad.write_bytes(b"PK")
    result = run("kb", "add", "-c", "acme-growth", "--db", db, str(bad), str(tmp_path / "missing.md"))
    assert result.exit_code == 1
    assert "unsupported file type" in result.output and "no such file" in result.output


def test_a_private_url_is_refused_by_default(db: str) -> None:
    result = run("kb", "add", "-c", "acme-growth", "--db", db, "http://127.0.0.1:9/faq")
    assert result.exit_code == 1 and "refusing" in result.output


def test_a_web_page_is_added_when_private_hosts_are_allowed(db: str, monkeypatch: pytest.MonkeyPatch) -> None:
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    page = (b"<html><head><title>Acme FAQ</title></head><body><h1>FAQ</h1><h2>Contracts</h2>"
            b"<p>Contracts run month to month and can be cancelled any time.</p></body></html>")

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: object) -> None:
            pass

        def do_GET(self) -> None:
            body, kind = (page, "text/html") if self.path == "/faq" else (b"", "text/plain")
            self.send_response(200 if self.path == "/faq" else 404)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}/faq"
    try:
        assert run("kb", "add", "-c", "acme-growth", "--db", db, url).exit_code == 1  # refused by default
        monkeypatch.setenv("LEADFLOW_WEB_ALLOW_PRIVATE", "1")
        added = run("kb", "add", "-c", "acme-growth", "--db", db, url)
        assert added.exit_code == 0 and "added: 'Acme FAQ'" in added.output, added.output
        found = run("kb", "search", "-c", "acme-growth", "--db", db, "cancel contract")
        assert "[1] Acme FAQ > FAQ > Contracts (" in found.output and url in found.output
    finally:
        server.shutdown()
        server.server_close()


def test_without_paths_it_adds_the_campaign_files_knowledge_list(db: str, docs: list[str]) -> None:
    store = open_store(db)
    try:
        campaign = store.get_campaign("ws", "acme-growth")
        store.save_campaign("ws", campaign.model_copy(update={"knowledge_sources": docs[:2]}))
    finally:
        store.close()
    added = run("kb", "add", "-c", "acme-growth", "--db", db)
    assert added.exit_code == 0 and added.output.count(": added: ") == 2, added.output
    nothing = run("kb", "add", "-c", "other", "--db", db)
    assert nothing.exit_code == 1 and "nothing to add" in nothing.output


def test_the_same_file_named_two_ways_is_one_document(db: str, docs: list[str], monkeypatch: pytest.MonkeyPatch) -> None:
    folder = Path(docs[0]).parent
    monkeypatch.chdir(folder)
    assert ": added: " in run("kb", "add", "-c", "acme-growth", "--db", db, "pricing.md").output
    again = run("kb", "add", "-c", "acme-growth", "--db", db, "./pricing.md")
    assert "unchanged, nothing to do" in again.output, again.output
    assert "1 documents" in run("kb", "list", "-c", "acme-growth", "--db", db).output
