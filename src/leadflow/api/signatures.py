"""Signed webhooks on the API: ``signed(source)``, a dependency of ``POST /v1/leads`` and ``POST /v1/replies``.

It runs after the API key's check and before the route: it reads the body once (``read_body``
keeps it for the parser), lets ``WebhookGuard`` judge the request against the workspace's
secrets for ``source`` and the settings (``require_signatures``, ``webhook_tolerance``), and
answers a refusal 401 in the API's error shape. The audit middleware records the refused
POST with the reason (``audit_detail``).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable

from fastapi import Depends, Request, params
from starlette.concurrency import run_in_threadpool

from leadflow.api.deps import RuntimeDep, WorkspaceDep, read_body
from leadflow.integrations.webhooks import WebhookGuard, WebhookRefused, check_source, secret_store_for


def signed(source: str) -> params.Depends:
    """The dependency checking ``source``'s webhook signature (``Depends`` of it, for ``dependencies=[...]``)."""
    check_source(source)

    async def check_signature(request: Request, runtime: RuntimeDep, workspace: WorkspaceDep) -> AsyncIterator[None]:
        raw = await read_body(request, runtime.settings.api_max_body)
        guard = WebhookGuard(runtime.store, secret_store_for(runtime.store),
                             tolerance=runtime.settings.webhook_tolerance,
                             require=runtime.settings.require_signatures)
        try:
            # the store calls block: off the event loop, like the sync routes
            verified = await run_in_threadpool(guard.check, workspace, source, request.headers, raw,
                                               now=runtime.clock.now())
        except WebhookRefused as exc:
            request.state.audit_detail = f"webhook signature {exc.reason} (source {source})"
            raise
        try:
            yield
        except Exception:  # not recorded: the sender's identical retry must not be refused as a replay
            if verified is not None:
                await run_in_threadpool(guard.release, workspace, source, verified, raw)
            raise

    check: Callable[..., AsyncIterator[None]] = check_signature
    dep: params.Depends = Depends(check)
    return dep
