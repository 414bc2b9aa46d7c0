"""``leadflow replies``: analyse inbound replies from files, stdin or JSON lines.

Mounted by the main CLI as ``replies``::

    leadflow replies analyze reply.eml
    cat replies.jsonl | leadflow replies analyze --jsonl --tz Europe/Berlin -

Plain mode reads one message (raw RFC 822 or plain text) per path, or one from stdin.
``--jsonl`` reads objects ``{"id", "text"}`` or ``{"id", "raw"}`` with optional
``channel``, ``date`` (ISO, the reply's arrival) and ``tz``. Each item prints one JSON
object; a bad line prints ``{"line": n, "error": ...}`` and the exit code becomes 1.
"""

from __future__ import annotations

import json
import sys
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any

import typer
from pydantic import BaseModel, ValidationError

from leadflow.exceptions import InvalidInput
from leadflow.reply.analyze import ReplyUnderstanding, analyze_reply
from leadflow.reply.mime import looks_like_rfc822

replies_app = typer.Typer(help="Understand inbound replies.", no_args_is_help=True)


@replies_app.callback()
def _group() -> None:
    """Understand inbound replies."""


class JsonlItem(BaseModel):
    """One input line of ``--jsonl``."""

    id: str | None = None
    text: str | None = None
    raw: str | None = None
    channel: str = "email"
    date: datetime | None = None
    tz: str | None = None


def _parse_now(value: str | None) -> datetime | None:
    if value is None:
        return None
    try:
        return datetime.fromisoformat(value)
    except ValueError as exc:
        raise typer.BadParameter(f"not an ISO date-time: {value!r}") from exc


def _emit(obj: dict[str, Any]) -> None:
    typer.echo(json.dumps(obj, ensure_ascii=False, default=str))


def _analyse_line(
    line: str, *, now: datetime | None, tz: str | None, analyzer: ReplyUnderstanding
) -> dict[str, Any]:
    item = JsonlItem.model_validate_json(line)
    if (item.text is None) == (item.raw is None):
        raise InvalidInput('each line needs exactly one of "text" or "raw"')
    result = analyze_reply(
        raw=item.raw,
        text=item.text,
        id=item.id,
        now=item.date or now,
        tz=item.tz or tz,
        channel=item.channel,
        analyzer=analyzer,
    )
    return result.model_dump(mode="json")


@replies_app.command("analyze")
def analyze(
    paths: Annotated[list[str] | None, typer.Argument(help="Message files; '-' or none reads stdin.")] = None,
    jsonl: Annotated[bool, typer.Option("--jsonl", help="Input is JSON lines of {id, text|raw}.")] = False,
    now: Annotated[str | None, typer.Option("--now", help="Reference time (ISO 8601).")] = None,
    tz: Annotated[str | None, typer.Option("--tz", help="Lead time zone (IANA), default UTC.")] = None,
) -> None:
    """Print one JSON analysis per message (or per JSON line)."""
    reference = _parse_now(now)
    analyzer = ReplyUnderstanding()
    sources = paths or ["-"]
    failed = False
    for source in sources:
        try:
            blob = sys.stdin.buffer.read() if source == "-" else Path(source).read_bytes()
        except OSError as exc:
            _emit({"source": source, "error": f"cannot read: {exc.strerror or exc}"})
            failed = True
            continue
        data = blob.decode("utf-8", errors="replace")
        if not jsonl:
            raw = blob if looks_like_rfc822(data) else None
            try:
                result = analyze_reply(
                    raw=raw,
                    text=None if raw is not None else data,
                    id=None if source == "-" else source,
                    now=reference,
                    tz=tz,
                    analyzer=analyzer,
                )
                _emit(result.model_dump(mode="json"))
            except InvalidInput as exc:
                _emit({"source": source, "error": str(exc)})
                failed = True
            continue
        for number, line in enumerate(data.splitlines(), start=1):
            if not line.strip():
                continue
            try:
                _emit(_analyse_line(line, now=reference, tz=tz, analyzer=analyzer))
            except (ValidationError, InvalidInput, ValueError) as exc:
                message = exc.errors()[0]["msg"] if isinstance(exc, ValidationError) else str(exc)
                _emit({"source": source, "line": number, "error": message})
                failed = True
    if failed:
        raise typer.Exit(code=1)
