"""Request dependencies: the runtime, the workspace, the bearer token and bounded JSON bodies.

Routes declare what they need with the ``Annotated`` aliases at the bottom (``RuntimeDep``,
``WorkspaceDep``, ``MetricsDep``), as in full-stack-fastapi-template's ``deps.py``.
"""

from __future__ import annotations

import json
import re
import secrets
from typing import Annotated, Any, TypeVar

from fastapi import Depends, Header, Request
from pydantic import BaseModel, ValidationError

from leadflow.api.errors import MalformedBody, PayloadTooLarge, field_details, summarize
from leadflow.api.metrics import ApiMetrics
from leadflow.exceptions import AuthFailed, InvalidInput
from leadflow.runtime import Runtime

M = TypeVar("M", bound=BaseModel)

_WORKSPACE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")


def get_runtime(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.runtime
    return runtime


def get_metrics(request: Request) -> ApiMetrics:
    metrics: ApiMetrics = request.app.state.metrics
    return metrics


RuntimeDep = Annotated[Runtime, Depends(get_runtime)]
MetricsDep = Annotated[ApiMetrics, Depends(get_metrics)]


def get_workspace(
    runtime: RuntimeDep, x_workspace: Annotated[str | None, Header(alias="X-Workspace")] = None
) -> str:
    """The ``X-Workspace`` header, or the configured default workspace."""
    if x_workspace is None or x_workspace == "":
        return runtime.settings.workspace
    if not _WORKSPACE.match(x_workspace):
        raise InvalidInput(
            "invalid X-Workspace header: use 1-64 letters, digits, '_', '-' or '.'",
            details=[{"field": "X-Workspace", "message": "invalid workspace id", "type": "value_error"}],
        )
    return x_workspace


WorkspaceDep = Annotated[str, Depends(get_workspace)]


def require_token(request: Request, authorization: Annotated[str | None, Header()] = None) -> None:
    """Check ``Authorization: Bearer <token>`` when the app was given a token; else allow all."""
    expected: str | None = request.app.state.api_token
    if not expected:
        return
    scheme, _, given = (authorization or "").partition(" ")
    if scheme.lower() != "bearer" or not secrets.compare_digest(given.strip().encode(), expected.encode()):
        raise AuthFailed("missing or wrong bearer token")


async def read_body(request: Request, limit: int) -> bytes:
    """The request body, refused with ``PayloadTooLarge`` once it passes ``limit`` bytes.

    A declared ``Content-Length`` over the limit is refused before reading anything; a body
    without one (chunked) is read in pieces and refused as soon as it passes the limit, so a
    huge body never sits in memory.
    """
    declared = request.headers.get("content-length")
    if declared is not None:
        try:
            size = int(declared)
        except ValueError:
            raise MalformedBody("invalid Content-Length header") from None
        if size > limit:
            raise PayloadTooLarge(f"request body of {size} bytes is over the {limit}-byte limit")
    chunks: list[bytes] = []
    total = 0
    async for chunk in request.stream():
        total += len(chunk)
        if total > limit:
            raise PayloadTooLarge(f"request body is over the {limit}-byte limit")
        chunks.append(chunk)
    return b"".join(chunks)


def decode_json(raw: bytes) -> Any:
    """Parse JSON, raising ``MalformedBody`` with the position of the problem."""
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise MalformedBody(f"request body is not UTF-8: {exc.reason} at byte {exc.start}") from None
    if not text.strip():
        raise MalformedBody("request body is empty; send a JSON object")
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise MalformedBody(f"request body is not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}") from None


def validate_as(model: type[M], data: Any) -> M:
    """Validate ``data`` as ``model``; ``InvalidInput`` with field-level details otherwise."""
    if not isinstance(data, dict):
        raise InvalidInput(f"expected a JSON object, got {type(data).__name__}",
                           details=[{"field": "(body)", "message": "expected a JSON object", "type": "dict_type"}])
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        details = field_details(exc)
        raise InvalidInput(f"invalid {model.__name__}: {summarize(details)}", details=details) from None


async def parse_json_body(request: Request, runtime: Runtime, workspace_id: str, model: type[M], *, source: str,
                          metrics: ApiMetrics) -> tuple[M, str]:
    """Read, parse and validate a bounded JSON body; bad input is kept verbatim as a reject.

    Returns the model and the body's text (for a reject a later step may still need).
    An oversized body is not kept (it was never read); everything else that fails is.
    """
    raw = await read_body(request, runtime.settings.api_max_body)
    text = raw.decode("utf-8", errors="replace")
    try:
        return validate_as(model, decode_json(raw)), text
    except InvalidInput as exc:
        keep_reject(runtime, workspace_id, source, text, str(exc), metrics)
        raise


def keep_reject(runtime: Runtime, workspace_id: str, source: str, raw: str, error: str, metrics: ApiMetrics) -> None:
    """Keep bad input verbatim in the store's rejects, and count it."""
    runtime.store.add_reject(workspace_id, source, raw, error, runtime.clock.now())
    metrics.rejects.labels(source=source).inc()
