"""``/v1/leads``: accept leads from webhooks and show them with their story."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response

from leadflow.api.audit import note
from leadflow.api.auth import allow
from leadflow.api.deps import MetricsDep, RuntimeDep, WorkspaceDep, keep_reject, parse_json_body
from leadflow.api.schemas import LeadCreate, LeadMessages, LeadPublic, LeadTrace
from leadflow.api.signatures import signed
from leadflow.auth.keys import LEADS_READ, LEADS_WRITE
from leadflow.exceptions import NotFound
from leadflow.orchestrator.lead_view import lead_messages, next_follow_up

router = APIRouter(prefix="/v1/leads", tags=["leads"])

SOURCE = "api:leads"
_BODY_DOC: dict[str, Any] = {
    "requestBody": {"required": True,
                    "content": {"application/json": {"schema": LeadCreate.model_json_schema()}}},
}


@router.post("", response_model=LeadPublic, status_code=201, openapi_extra=_BODY_DOC,
             responses={200: {"model": LeadPublic, "description": "Seen before: the existing lead"}},
             dependencies=[allow(LEADS_WRITE, "lead.create"), signed("leads")])
async def create_lead(request: Request, response: Response, runtime: RuntimeDep, workspace: WorkspaceDep,
                      metrics: MetricsDep) -> LeadPublic:
    """Record a lead for the worker: 201 when new, 200 with the same id for a known source id."""
    body, raw = await parse_json_body(request, runtime, workspace, LeadCreate, source=SOURCE, metrics=metrics)
    try:
        state, created = runtime.intake.create_lead(workspace, body.campaign, body.to_lead())
    except NotFound as exc:
        # Keep the lead: it is good data sent to a campaign that does not exist (yet).
        keep_reject(runtime, workspace, SOURCE, raw, str(exc), metrics)
        raise
    (metrics.leads_created if created else metrics.leads_duplicate).inc()
    note(request, target=("lead", state.lead_id), result=None if created else "duplicate")
    if not created:
        response.status_code = 200
    return LeadPublic.of(state, created=created)


@router.get("/{lead_id}", response_model=LeadPublic, dependencies=[allow(LEADS_READ, "lead.read")])
def get_lead(lead_id: str, runtime: RuntimeDep, workspace: WorkspaceDep) -> LeadPublic:
    """One lead of this workspace, with its next follow-up (another workspace's lead is 404)."""
    state = runtime.store.get_lead(workspace, lead_id)
    return LeadPublic.of(state, next_follow_up=next_follow_up(runtime.store, state))


@router.get("/{lead_id}/messages", response_model=LeadMessages, dependencies=[allow(LEADS_READ, "lead.messages")])
def get_messages(lead_id: str, runtime: RuntimeDep, workspace: WorkspaceDep) -> LeadMessages:
    """Every message in and out, oldest first, with its status, sender, recipient, subject and full text."""
    state = runtime.store.get_lead(workspace, lead_id)
    return LeadMessages(lead_id=state.lead_id, messages=lead_messages(runtime.store, state))


@router.get("/{lead_id}/trace", response_model=LeadTrace, dependencies=[allow(LEADS_READ, "lead.trace")])
def get_trace(lead_id: str, runtime: RuntimeDep, workspace: WorkspaceDep) -> LeadTrace:
    """The lead with every event and agent step recorded for it."""
    state = runtime.store.get_lead(workspace, lead_id)
    return LeadTrace(lead=LeadPublic.of(state), events=runtime.store.lead_events(workspace, lead_id),
                     traces=runtime.store.traces_for(workspace, lead_id))
