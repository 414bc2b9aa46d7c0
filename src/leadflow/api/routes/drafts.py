"""``/v1/drafts``: the messages held for review before send (a campaign's autonomy mode).

Thin routes over :class:`leadflow.drafts.Drafts`, the service ``leadflow drafts`` calls too.
Reading needs ``leads:read`` (a viewer may read what is about to go out); editing, approving
and rejecting need ``campaigns:write`` (what a campaign sends is its owner's decision, never an
ingest key's). An approved draft is queued for the worker like any message: the response says
``approved``, and its ``delivery`` shows the send's own status later.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel, ConfigDict, Field

from leadflow.api.audit import note
from leadflow.api.auth import PrincipalDep, allow
from leadflow.api.deps import MetricsDep, RuntimeDep, WorkspaceDep, parse_json_body, read_body
from leadflow.auth.keys import CAMPAIGNS_WRITE, LEADS_READ
from leadflow.drafts import Drafts, DraftView
from leadflow.drafts._service import MAX_BODY, MAX_SUBJECT
from leadflow.runtime import Runtime

router = APIRouter(prefix="/v1/drafts", tags=["drafts"])
SOURCE = "api:drafts"


class DraftUpdate(BaseModel):
    """An edit: a new subject and/or body (the draft stays held until approved)."""

    model_config = ConfigDict(extra="forbid")
    subject: str | None = Field(default=None, max_length=MAX_SUBJECT)
    body: str | None = Field(default=None, max_length=MAX_BODY)
    by: str | None = Field(default=None, max_length=200, description="who edits (default: the key)")


class DraftDecision(BaseModel):
    """An approval (``reason`` unused) or a rejection (``reason`` required)."""

    model_config = ConfigDict(extra="forbid")
    reason: str | None = Field(default=None, max_length=2000)
    by: str | None = Field(default=None, max_length=200, description="who decides (default: the key)")


def _doc(model: type[BaseModel]) -> dict[str, Any]:
    return {"requestBody": {"required": True, "content": {"application/json": {"schema": model.model_json_schema()}}}}


def _service(runtime: Runtime) -> Drafts:
    return Drafts(store=runtime.store, clock=runtime.clock)


@router.get("", response_model=list[DraftView], dependencies=[allow(LEADS_READ, "draft.list")])
def list_drafts(
    runtime: RuntimeDep,
    workspace: WorkspaceDep,
    campaign: Annotated[str | None, Query(max_length=100)] = None,
    status: Annotated[str | None, Query(description="held (default), approved, rejected or all")] = None,
) -> list[DraftView]:
    """This workspace's drafts, oldest first: those waiting for a person unless ``status`` says otherwise."""
    return _service(runtime).list(workspace, campaign=campaign, status=status)


@router.get("/{draft_id}", response_model=DraftView, dependencies=[allow(LEADS_READ, "draft.read")])
def get_draft(draft_id: int, runtime: RuntimeDep, workspace: WorkspaceDep) -> DraftView:
    """One draft in full: sender, recipient, subject, the whole text, who wrote it and why it was held."""
    return _service(runtime).get(workspace, draft_id)


@router.patch("/{draft_id}", response_model=DraftView, openapi_extra=_doc(DraftUpdate),
              dependencies=[allow(CAMPAIGNS_WRITE, "draft.edit")])  # fmt: skip
async def edit_draft(draft_id: int, request: Request, runtime: RuntimeDep, workspace: WorkspaceDep,
                     principal: PrincipalDep, metrics: MetricsDep) -> DraftView:  # fmt: skip
    """Change a held draft's subject and/or body; 409 once it was approved or rejected."""
    body, _ = await parse_json_body(request, runtime, workspace, DraftUpdate, source=SOURCE, metrics=metrics)
    note(request, target=("draft", str(draft_id)))
    return _service(runtime).edit(workspace, draft_id, by=body.by or principal.actor, subject=body.subject,
                                  body=body.body)  # fmt: skip


@router.post("/{draft_id}/approve", response_model=DraftView, openapi_extra=_doc(DraftDecision),
             dependencies=[allow(CAMPAIGNS_WRITE, "draft.approve")])  # fmt: skip
async def approve_draft(draft_id: int, request: Request, runtime: RuntimeDep, workspace: WorkspaceDep,
                        principal: PrincipalDep, metrics: MetricsDep) -> DraftView:  # fmt: skip
    """Queue a held draft to send (the outbox, the suppression check and the lead's send window apply)."""
    by = principal.actor
    if (await read_body(request, runtime.settings.api_max_body)).strip():  # bounded, like every body
        decision, _ = await parse_json_body(request, runtime, workspace, DraftDecision, source=SOURCE, metrics=metrics)
        by = decision.by or by
    note(request, target=("draft", str(draft_id)))
    return _service(runtime).approve(workspace, draft_id, by=by)


@router.post("/{draft_id}/reject", response_model=DraftView, openapi_extra=_doc(DraftDecision),
             dependencies=[allow(CAMPAIGNS_WRITE, "draft.reject")])  # fmt: skip
async def reject_draft(draft_id: int, request: Request, runtime: RuntimeDep, workspace: WorkspaceDep,
                       principal: PrincipalDep, metrics: MetricsDep) -> DraftView:  # fmt: skip
    """Close a held draft unsent, with the reason: the agent writes again, or the lead goes to a human."""
    decision, _ = await parse_json_body(request, runtime, workspace, DraftDecision, source=SOURCE, metrics=metrics)
    note(request, target=("draft", str(draft_id)))
    return _service(runtime).reject(workspace, draft_id, reason=decision.reason or "", by=decision.by or principal.actor)
