"""``leadflow work`` says which database it runs on without printing the database's password."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest
from typer.testing import CliRunner

from leadflow.cli.main import app


class _Thread:
    def __init__(self, *_: Any, **__: Any) -> None:
        self.alive = False

    def start(self) -> None: ...

    def close(self) -> None: ...


def test_work_masks_the_database_password(monkeypatch: pytest.MonkeyPatch) -> None:
    url = "postgresql+psycopg://leadflow:hunter2-s3cret@db.internal:5432/leadflow"
    runtime = SimpleNamespace(settings=SimpleNamespace(db_url=url), close=lambda: None)
    monkeypatch.setattr("leadflow.runtime.Runtime.build", classmethod(lambda cls, settings: runtime))
    monkeypatch.setattr("leadflow.api.app.WorkerThread", _Thread)
    result = CliRunner().invoke(app, ["work", "--db", url])
    assert result.exit_code == 0, result.output
    assert "hunter2-s3cret" not in result.output
    assert "db.internal" in result.output
