"""Issue 10, finding 7: a bad or unreachable database is one line on stderr and exit 1, not a traceback."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from typer.testing import CliRunner

from leadflow.cli.main import app, main
from leadflow.exceptions import ConfigError, LeadflowError, Unavailable
from leadflow.state import open_store
from leadflow.state._opening import redact_url

LEADFLOW = Path(sys.executable).with_name("leadflow")


def bad_urls(tmp_path: Path) -> dict[str, tuple[str, type[LeadflowError]]]:
    """Each kind of bad database: its URL and the leadflow error ``open_store`` raises for it."""
    not_a_db = tmp_path / "notes.db"
    not_a_db.write_text("these are notes, not a SQLite database\n" * 100)
    return {
        "unreachable server": ("postgresql://nobody:s3cret-pw@127.0.0.1:1/x", Unavailable),
        "missing folder": (f"sqlite:////nonexistent-dir-{uuid.uuid4().hex}/x.db", Unavailable),
        "not a database": (f"sqlite:///{not_a_db}", ConfigError),
        "unknown scheme": ("mysql://root:s3cret-pw@127.0.0.1/x", ConfigError),
        "unknown driver": ("postgresql+nodriver://nobody:s3cret-pw@127.0.0.1/x", ConfigError),
        "unparseable": ("sqlite:/x.db", ConfigError),
    }


@pytest.mark.parametrize("kind", ["unreachable server", "missing folder", "not a database", "unknown scheme",
                                  "unknown driver", "unparseable"])
def test_open_store_translates_each_kind_of_bad_database(tmp_path: Path, kind: str) -> None:
    url, expected = bad_urls(tmp_path)[kind]
    with pytest.raises(expected) as caught:
        open_store(url)
    message = str(caught.value)
    assert message.startswith(f"cannot open the database {redact_url(url)}: ")
    assert "\n" not in message and "s3cret-pw" not in message


@pytest.mark.parametrize("kind", ["unreachable server", "missing folder", "not a database", "unknown scheme"])
def test_cli_runner_sees_the_translated_error(tmp_path: Path, kind: str) -> None:
    url, expected = bad_urls(tmp_path)[kind]
    result = CliRunner().invoke(app, ["dlq", "list", "--db", url])
    assert result.exit_code == 1
    assert isinstance(result.exception, expected)  # leadflow's error, for main() to print


def test_main_prints_one_line_and_exits_1(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("LEADFLOW_DEBUG", raising=False)
    url, _ = bad_urls(tmp_path)["unreachable server"]
    with pytest.raises(SystemExit) as caught:
        main(["trace", "L-1", "--db", url])
    assert caught.value.code == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert err.startswith("leadflow: cannot open the database postgresql://nobody:***@127.0.0.1:1/x: ")
    assert "s3cret-pw" not in err


def test_main_keeps_the_traceback_with_leadflow_debug(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LEADFLOW_DEBUG", "1")
    url, expected = bad_urls(tmp_path)["not a database"]
    with pytest.raises(expected):
        main(["dlq", "list", "--db", url])


def test_main_does_not_hide_other_bugs(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("LEADFLOW_DEBUG", raising=False)

    def broken(*_a: object, **_k: object) -> None:
        raise ZeroDivisionError("a bug")

    monkeypatch.setattr("leadflow.state.open_store", broken)
    with pytest.raises(ZeroDivisionError):
        main(["dlq", "list", "--db", "memory://"])


COMMANDS = [["trace", "L-1"], ["replay", "--check"], ["dlq", "list"], ["campaigns", "list"], ["work"],
            ["import", "leads.csv", "--campaign", "c"]]


def test_the_real_entry_point_prints_one_line_for_every_bad_database(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k != "LEADFLOW_DEBUG"}
    for i, (kind, (url, _)) in enumerate(bad_urls(tmp_path).items()):
        command = COMMANDS[i % len(COMMANDS)]  # each kind through another command, all through the entry point
        proc = subprocess.run([str(LEADFLOW), *command, "--db", url], capture_output=True, text=True,
                              env=env, cwd=tmp_path, timeout=60, check=False)
        assert proc.returncode == 1, (kind, command, proc.stderr)
        lines = proc.stderr.splitlines()
        assert len(lines) == 1, (kind, command, proc.stderr)
        assert lines[0].startswith("leadflow: cannot open the database "), (kind, lines[0])
        assert "s3cret-pw" not in proc.stderr + proc.stdout
