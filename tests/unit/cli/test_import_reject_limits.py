"""``leadflow import`` keeps its rejected rows within the configured reject limits (``LEADFLOW_REJECT_*``)."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from leadflow.cli.main import app
from leadflow.state import open_store


def test_rejected_rows_are_cut_to_the_configured_size(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    db = f"sqlite:///{tmp_path / 'leadflow.db'}"
    path = tmp_path / "leads.csv"
    long_note = "n" * 5000
    path.write_text(f"First Name,Email,Notes\nAnn,ann@acme.com,ok\nBob,not-an-email,{long_note}\n", encoding="utf-8")
    monkeypatch.setenv("LEADFLOW_REJECT_MAX_BYTES", "100")
    r = CliRunner().invoke(app, ["import", str(path), "--campaign", "spring", "--create-campaign", "--db", db,
                                 "-w", "acme"])
    assert r.exit_code == 0, r.output
    store = open_store(db)
    try:
        [reject] = store.list_rejects("acme")
    finally:
        store.close()
    assert reject.raw.startswith("Bob,not-an-email,") and len(reject.raw.encode()) == 100
    assert reject.truncated and reject.size > 5000
