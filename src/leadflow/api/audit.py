"""The API's audit trail: an ASGI middleware writing one audit entry per request that needs one.

Logged: every request that changes state (POST), whatever its result, and every refused one
(403, and 401 for a presented key whose id exists: wrong secret, revoked). A request without
any key, or with a key id nobody issued, is not attributable to a workspace and is only
answered 401 (not logged, so anonymous noise cannot fill the log). The entry is written before
the response starts, so a client that got its answer finds the entry in the log.

Routes and dependencies leave what the entry needs on ``request.state`` (``audit_principal``,
``audit_action``, ``audit_target``, ``audit_result``, ``audit_detail``; see ``note``).
"""

from __future__ import annotations

import logging
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from leadflow.auth import Principal, audit
from leadflow.state.base import Store

log = logging.getLogger(__name__)

_RESULTS = {401: "refused", 403: "refused", 404: "not_found", 409: "conflict"}


def note(request: Request, *, target: tuple[str, str] | None = None, result: str | None = None) -> None:
    """What a route adds for its audit entry: the object it acted on, and a result other than ``ok``."""
    if target is not None:
        request.state.audit_target = target
    if result is not None:
        request.state.audit_result = result


def result_for(status: int) -> str:
    if status < 400:
        return "ok"
    if status in _RESULTS:
        return _RESULTS[status]
    return "invalid" if status < 500 else "error"


class AuditMiddleware:
    """Writes the audit entry of each request that needs one, from ``scope["state"]``."""

    def __init__(self, app: ASGIApp, *, store: Store) -> None:
        self.app = app
        self.store = store

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        state: dict[str, Any] = scope.setdefault("state", {})
        written = False

        async def send_audited(message: Message) -> None:
            nonlocal written
            if message["type"] == "http.response.start" and not written:
                written = True
                await self._write(scope, state, int(message["status"]))
            await send(message)

        try:
            await self.app(scope, receive, send_audited)
        except Exception:  # not on cancellation: the client went away, nothing to await now
            if not written:
                written = True
                await self._write(scope, state, 500)
            raise

    async def _write(self, scope: Scope, state: dict[str, Any], status: int) -> None:
        principal = state.get("audit_principal")
        if not isinstance(principal, Principal):
            return
        changes = scope["method"] not in ("GET", "HEAD", "OPTIONS")
        if not (changes or status in (401, 403)):
            return
        actions = getattr(scope["app"].state, "audit_actions", {}) if "app" in scope else {}
        action = state.get("audit_action") or actions.get(scope.get("endpoint")) or "auth.refused"
        target = state.get("audit_target")
        if target is None and "lead_id" in scope.get("path_params", {}):
            target = ("lead", str(scope["path_params"]["lead_id"]))
        result = state.get("audit_result") if status < 400 else None
        detail = state.get("audit_detail")
        if status >= 400:
            detail = f"{status} {scope['method']} {scope['path'][:200]}" + (f": {detail}" if detail else "")
        try:
            await run_in_threadpool(
                audit, self.store, actor=principal.actor, role=principal.role.value, action=action,
                workspace=principal.workspace, target=target, result=result or result_for(status), detail=detail)
        except Exception:  # the request's effect stands; losing its entry must be loud, not fatal
            log.exception("could not write the audit entry of %s %s", scope["method"], scope["path"])
