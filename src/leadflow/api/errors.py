"""Maps leadflow's exception tree to HTTP, once, with one JSON error shape.

Every error leaves the API as ``{"error": {"type", "message", "details"}}``::

    InvalidInput  → 422      NotFound     → 404      Conflict  → 409
    Refused       → 403      AuthFailed   → 401      Unavailable → 503
    MalformedBody → 400      PayloadTooLarge → 413   UnsupportedMediaType → 415
    (the last three are InvalidInput, API-only)

The most specific class wins (``AuthFailed`` is a ``Refused`` but answers 401).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import ValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException

from leadflow.exceptions import (
    AuthFailed,
    ConfigError,
    Conflict,
    InvalidInput,
    LeadflowError,
    NotFound,
    Refused,
    Unavailable,
    Unreadable,
)

log = logging.getLogger(__name__)


class MalformedBody(InvalidInput):
    """The request body is not parseable at all (not JSON, not UTF-8)."""


class PayloadTooLarge(InvalidInput):
    """The request body is over the configured limit."""


class UnsupportedMediaType(InvalidInput):
    """The request body is not declared ``application/json``."""


STATUS: dict[type[LeadflowError], int] = {
    MalformedBody: 400,
    PayloadTooLarge: 413,
    UnsupportedMediaType: 415,
    InvalidInput: 422,
    NotFound: 404,
    Conflict: 409,
    AuthFailed: 401,
    Refused: 403,
    Unavailable: 503,
    ConfigError: 500,
}


_INTERNAL: dict[type[LeadflowError], str] = {
    Unreadable: "a stored record cannot be read back; the server log names it",
}
"""What a 500 says for these (the details stay in the server log)."""


def status_for(exc: LeadflowError) -> int:
    """The HTTP status of ``exc``: its nearest class in ``STATUS``, else 500."""
    for klass in type(exc).__mro__:
        if klass in STATUS:
            return STATUS[klass]
    return 500


def error_body(type_: str, message: str, details: Sequence[object] = ()) -> dict[str, Any]:
    return {"error": {"type": type_, "message": message, "details": list(details)}}


def field_details(exc: ValidationError | RequestValidationError) -> list[dict[str, object]]:
    """Pydantic errors as ``{"field", "message", "type"}`` items a caller can act on."""
    out: list[dict[str, object]] = []
    for err in exc.errors():
        loc = [str(p) for p in err.get("loc", ()) if p != "body"]
        message = str(err.get("msg", "")).removeprefix("Value error, ")
        out.append({"field": ".".join(loc) or "(body)", "message": message,
                    "type": str(err.get("type", ""))})
    return out


def summarize(details: Sequence[dict[str, object]]) -> str:
    """One readable line from field details: ``email: value is not a valid email address``."""
    return "; ".join(f"{d['field']}: {d['message']}" for d in details)


async def _leadflow_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, LeadflowError)
    status = status_for(exc)
    if status >= 500:
        log.warning("%s %s failed: %r", request.method, request.url.path, exc)
    details = exc.details if isinstance(exc, InvalidInput) else []
    message = str(exc) if status != 500 else _INTERNAL.get(type(exc), "internal configuration error")
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    return JSONResponse(error_body(type(exc).__name__, message, details), status_code=status, headers=headers)


async def _request_validation(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    details = field_details(exc)
    return JSONResponse(error_body("InvalidInput", summarize(details) or "invalid request", details),
                        status_code=422)


async def _http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    return JSONResponse(error_body("HTTPError", str(exc.detail)), status_code=exc.status_code,
                        headers=getattr(exc, "headers", None))


async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
    """Anything else a route raised: logged with its traceback, answered in the one error shape
    (never a plain-text 500, never the exception's text, which may hold another request's data)."""
    log.error("%s %s failed unexpectedly", request.method, request.url.path, exc_info=exc)
    return JSONResponse(error_body("InternalError", "internal error; the server log has the details"),
                        status_code=500)


def install(app: FastAPI) -> None:
    """Register the handlers on ``app``."""
    app.add_exception_handler(Exception, _unexpected)
    app.add_exception_handler(LeadflowError, _leadflow_error)
    app.add_exception_handler(RequestValidationError, _request_validation)
    app.add_exception_handler(StarletteHTTPException, _http_error)
