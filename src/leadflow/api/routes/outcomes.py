"""``/v1/leads/{lead_id}/outcome``: a seller or the CRM marks a deal won or lost (idempotent on ``outcome_id``)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response

from leadflow.api.audit import note
from leadflow.api.auth import allow
from leadflow.api.deps import MetricsDep, RuntimeDep, WorkspaceDep, keep_reject, parse_json_body
from leadflow.api.schemas import OutcomeCreate, OutcomePublic
from leadflow.auth.keys import OUTCOMES_WRITE
from leadflow.exceptions import NotFound

router = APIRouter(prefix="/v1/leads", tags=["outcomes"])

SOURCE = "api:outcomes"
_BODY_DOC: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {"application/json": {"schema": OutcomeCreate.model_json_schema()}},
    },
}


@router.post(
    "/{lead_id}/outcome",
    response_model=OutcomePublic,
    status_code=201,
    openapi_extra=_BODY_DOC,
    responses={
        200: {"model": OutcomePublic, "description": "Recorded before: the outcome on record"},
        409: {"description": "The lead already has another outcome"},
    },
    dependencies=[allow(OUTCOMES_WRITE, "outcome.record")],
)
async def record_outcome(
    lead_id: str,
    request: Request,
    response: Response,
    runtime: RuntimeDep,
    workspace: WorkspaceDep,
    metrics: MetricsDep,
) -> OutcomePublic:
    """Record a won or lost deal: 201 when new, 200 when this outcome was recorded before.

    A won deal starts post-sale onboarding on the worker's next round; a lost one ends the lead's
    timers. The lead's stage changes before the response is sent.
    """
    body, raw = await parse_json_body(
        request, runtime, workspace, OutcomeCreate, source=SOURCE, metrics=metrics
    )
    try:
        outcome, fresh = runtime.intake.record_outcome(
            workspace,
            lead_id,
            outcome=body.outcome,
            outcome_id=body.outcome_id,
            amount=body.amount,
            reason=body.reason,
            source=SOURCE,
        )
    except NotFound as exc:
        keep_reject(
            runtime, workspace, SOURCE, raw, f"lead {lead_id}: {exc}", metrics
        )  # kept for a later retry
        raise
    if not fresh:
        response.status_code = 200
        note(request, result="duplicate")
    return OutcomePublic(
        lead_id=lead_id,
        outcome_id=outcome.outcome_id,
        outcome=outcome.outcome,
        amount=outcome.amount,
        reason=outcome.reason,
        source=outcome.source,
        recorded_at=outcome.at,
        duplicate=not fresh,
    )
