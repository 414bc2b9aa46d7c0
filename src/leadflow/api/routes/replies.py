"""``/v1/replies``: record inbound replies for the worker (idempotent on ``message_id``)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request

from leadflow.api.audit import note
from leadflow.api.auth import allow
from leadflow.api.deps import MetricsDep, RuntimeDep, WorkspaceDep, keep_reject, parse_json_body
from leadflow.api.schemas import ReplyAccepted, ReplyCreate
from leadflow.api.signatures import signed
from leadflow.auth.keys import REPLIES_WRITE
from leadflow.exceptions import NotFound

router = APIRouter(prefix="/v1/replies", tags=["replies"])

SOURCE = "api:replies"
_BODY_DOC: dict[str, Any] = {
    "requestBody": {"required": True,
                    "content": {"application/json": {"schema": ReplyCreate.model_json_schema()}}},
}


@router.post("", response_model=ReplyAccepted, status_code=202, openapi_extra=_BODY_DOC,
             dependencies=[allow(REPLIES_WRITE, "reply.receive"), signed("replies")])
async def receive_reply(request: Request, runtime: RuntimeDep, workspace: WorkspaceDep,
                        metrics: MetricsDep) -> ReplyAccepted:
    """Accept a reply; the worker reads it. A repeated ``message_id`` is accepted as already done."""
    body, raw = await parse_json_body(request, runtime, workspace, ReplyCreate, source=SOURCE, metrics=metrics)
    note(request, target=("lead", body.lead_id))
    try:
        fresh = runtime.intake.receive_reply(
            workspace, body.lead_id, message_id=body.message_id, text=body.text, raw=body.raw,
            channel=body.channel.value, sender=body.sender, subject=body.subject, in_reply_to=body.in_reply_to,
        )
    except NotFound as exc:
        keep_reject(runtime, workspace, SOURCE, raw, str(exc), metrics)  # a reply to an unknown lead is kept
        raise
    metrics.replies_received.labels(duplicate=str(not fresh).lower()).inc()
    note(request, result=None if fresh else "duplicate")
    return ReplyAccepted(lead_id=body.lead_id, message_id=body.message_id, duplicate=not fresh)
