"""The ``replies analyze`` command, run through Typer's CliRunner."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from leadflow.cli.replies import replies_app

runner = CliRunner()
NOW = ["--now", "2024-03-06T10:00:00+00:00"]


def _lines(output: str) -> list[dict[str, object]]:
    return [json.loads(line) for line in output.splitlines() if line.strip()]


def test_plain_stdin() -> None:
    result = runner.invoke(
        replies_app, ["analyze", *NOW, "--tz", "America/New_York"], input="Tuesday at 3pm works\n"
    )
    assert result.exit_code == 0, result.output
    (item,) = _lines(result.output)
    assert item["intent"] == "meeting_request"
    assert item["proposed_times"] == [
        {"start": "2024-03-12T15:00:00-04:00", "end": "2024-03-12T15:30:00-04:00"}
    ]


def test_plain_files(tmp_path: Path) -> None:
    raw = tmp_path / "reply.eml"
    raw.write_bytes(
        b"From: Jane <jane@acme.com>\r\nTo: sdr@x.dev\r\nSubject: Re: hi\r\n"
        b"Date: Wed, 06 Mar 2024 10:00:00 +0000\r\n\r\nToo expensive for us.\r\n"
    )
    text = tmp_path / "reply.txt"
    text.write_text("Please remove me from your list.", encoding="utf-8")
    result = runner.invoke(replies_app, ["analyze", str(raw), str(text)])
    assert result.exit_code == 0, result.output
    first, second = _lines(result.output)
    assert first["intent"] == "objection_price" and first["id"] == str(raw)
    assert second["intent"] == "unsubscribe"


def test_missing_file_is_an_error_object() -> None:
    result = runner.invoke(replies_app, ["analyze", "/nonexistent/reply.txt"])
    assert result.exit_code == 1
    assert "error" in _lines(result.output)[0]


def test_jsonl_with_a_bad_line_continues() -> None:
    lines = "\n".join(
        [
            json.dumps({"id": "a", "text": "Not interested, thanks."}),
            "{not json",
            json.dumps({"id": "c", "text": "STOP", "channel": "sms"}),
            json.dumps({"id": "d"}),
            json.dumps(
                {
                    "id": "e",
                    "text": "Friday 10am?",
                    "tz": "Europe/Berlin",
                    "date": "2024-03-06T09:00:00+01:00",
                }
            ),
        ]
    )
    result = runner.invoke(replies_app, ["analyze", "--jsonl", *NOW, "-"], input=lines + "\n")
    assert result.exit_code == 1
    items = _lines(result.output)
    assert [i.get("id") for i in items] == ["a", None, "c", None, "e"]
    assert items[0]["intent"] == "not_interested"
    assert items[1]["line"] == 2 and "error" in items[1]
    assert items[2]["intent"] == "unsubscribe"
    assert items[3]["line"] == 4
    assert items[4]["proposed_times"][0]["start"] == "2024-03-08T10:00:00+01:00"  # type: ignore[index]
    assert set(items[0]) == {
        "id", "intent", "confidence", "text", "auto_reply", "bounce", "return_date", "proposed_times", "referral",
    }  # fmt: skip


def test_jsonl_all_good_exits_zero() -> None:
    line = json.dumps({"id": "a", "raw": "From: a@b.c\nSubject: x\n\nWe already use HubSpot.\n"})
    result = runner.invoke(replies_app, ["analyze", "--jsonl", *NOW], input=line + "\n")
    assert result.exit_code == 0, result.output
    assert _lines(result.output)[0]["intent"] == "objection_competitor"


def test_bad_now_is_a_usage_error() -> None:
    result = runner.invoke(replies_app, ["analyze", "--now", "yesterday-ish"], input="hi")
    assert result.exit_code != 0
