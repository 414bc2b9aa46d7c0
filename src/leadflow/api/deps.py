"""Request dependencies: the runtime, the workspace (the API key's) and bounded JSON bodies.

Routes declare what they need with the ``Annotated`` aliases at the bottom (``RuntimeDep``,
``WorkspaceDep``, ``MetricsDep``), as in full-stack-fastapi-template's ``deps.py``.
"""

from __future__ import annotations

import json
from typing import Annotated, Any, TypeVar

from fastapi import Depends, Request
from pydantic import BaseModel, ValidationError

from leadflow.api.auth import PrincipalDep
from leadflow.api.errors import MalformedBody, PayloadTooLarge, UnsupportedMediaType, field_details, summarize
from leadflow.api.metrics import ApiMetrics, WorkspaceMetrics
from leadflow.domain import limits
from leadflow.exceptions import InvalidInput
from leadflow.runtime import Runtime

M = TypeVar("M", bound=BaseModel)


def get_runtime(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.runtime
    return runtime


RuntimeDep = Annotated[Runtime, Depends(get_runtime)]


def get_workspace(principal: PrincipalDep) -> str:
    """The request's workspace: its API key's (``leadflow.api.auth``); no header can change it."""
    return principal.workspace


WorkspaceDep = Annotated[str, Depends(get_workspace)]


def get_metrics(request: Request, workspace: WorkspaceDep) -> ApiMetrics:
    """The counters of the request's workspace (``/metrics`` shows a key its own only)."""
    metrics: WorkspaceMetrics = request.app.state.metrics
    return metrics.of(workspace)


MetricsDep = Annotated[ApiMetrics, Depends(get_metrics)]


def require_json(request: Request) -> None:
    """Refuse a body that is not declared ``application/json`` (415): a web page can post
    ``text/plain`` across origins without a preflight, never ``application/json``."""
    media = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    if media != "application/json":
        raise UnsupportedMediaType(
            f"send the body as application/json (got {media[:100] or 'no content type'})",
            details=[{"field": "Content-Type", "message": "expected application/json", "type": "media_type"}])


async def read_body(request: Request, limit: int) -> bytes:
    """The request body, refused with ``PayloadTooLarge`` once it passes ``limit`` bytes.

    A declared ``Content-Length`` over the limit is refused before reading anything; a body
    without one (chunked) is read in pieces and refused as soon as it passes the limit, so a
    huge body never sits in memory. The bytes are kept for the request, so the webhook signature
    check (``api.signatures``) and the JSON parser read the very same body once.
    """
    kept: bytes | None = getattr(request.state, "leadflow_body", None)
    if kept is not None:  # read once per request: the signature check and the parser share it
        return kept
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
    body = b"".join(chunks)
    request.state.leadflow_body = body
    return body


def decode_json(raw: bytes) -> Any:
    """Parse JSON, raising ``MalformedBody`` with the position of the problem."""
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise MalformedBody(f"request body is not UTF-8: {exc.reason} at byte {exc.start}") from None
    if not text.strip():
        raise MalformedBody("request body is empty; send a JSON object")
    try:
        data = json.loads(text, parse_constant=_no_constant)
    except json.JSONDecodeError as exc:
        raise MalformedBody(f"request body is not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}") from None
    except _NotANumber as exc:  # JSON has no NaN or Infinity; Python's parser would take them
        raise InvalidInput(f"request body holds {exc}", details=[
            {"field": "(body)", "message": str(exc), "type": "json_limit"}]) from None
    except RecursionError:
        raise MalformedBody(f"request body is nested more than {limits.DEFAULT.max_depth} levels deep") from None
    except ValueError as exc:  # an integer too long to convert
        raise MalformedBody(f"request body is not valid JSON: {exc}") from None
    # the limits the store can read back, checked before pydantic sees the body (``domain.limits``)
    return limits.check_json(data, path="")


class _NotANumber(ValueError):
    """``NaN``, ``Infinity`` or ``-Infinity`` in a body."""


def _no_constant(name: str) -> Any:
    raise _NotANumber(f"{name}, which is not a JSON number")


def validate_as(model: type[M], data: Any) -> M:
    """Validate ``data`` as ``model``; ``InvalidInput`` with field-level details otherwise."""
    if not isinstance(data, dict):
        raise InvalidInput(f"expected a JSON object, got {type(data).__name__}",
                           details=[{"field": "(body)", "message": "expected a JSON object", "type": "dict_type"}])
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        # a message may quote the input: kept storable (no NUL, no lone surrogate) for the reject
        details = [{k: limits.storable(v) if isinstance(v, str) else v for k, v in d.items()}
                   for d in field_details(exc)]
        raise InvalidInput(f"invalid {model.__name__}: {summarize(details)}", details=details) from None


async def parse_json_body(request: Request, runtime: Runtime, workspace_id: str, model: type[M], *, source: str,
                          metrics: ApiMetrics) -> tuple[M, str]:
    """Read, parse and validate a bounded JSON body; bad input is kept verbatim as a reject.

    Returns the model and the body's text (for a reject a later step may still need).
    An oversized body is not kept (it was never read); everything else that fails is.
    """
    require_json(request)
    raw = await read_body(request, runtime.settings.api_max_body)
    text = raw.decode("utf-8", errors="replace")
    try:
        return validate_as(model, decode_json(raw)), text
    except InvalidInput as exc:
        keep_reject(runtime, workspace_id, source, text, str(exc), metrics)
        raise


def keep_reject(runtime: Runtime, workspace_id: str, source: str, raw: str, error: str, metrics: ApiMetrics) -> None:
    """Keep bad input in the store's rejects within the configured limits (its first bytes, its size
    and hash; past a source's burst only a count: ``state.rejects``), and count it."""
    runtime.store.add_reject(workspace_id, source, raw, error, runtime.clock.now(),
                             limits=runtime.settings.reject_limits())
    metrics.rejects.labels(source=source).inc()
