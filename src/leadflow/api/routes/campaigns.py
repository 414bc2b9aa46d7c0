"""``/v1/campaigns``: apply a campaign file (the same document as ``leadflow campaigns apply``,
as JSON) and read a campaign back."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Query, Request

from leadflow import campaigns
from leadflow.api.audit import note
from leadflow.api.auth import allow
from leadflow.api.deps import RuntimeDep, WorkspaceDep, decode_json, read_body, require_json
from leadflow.auth.keys import CAMPAIGNS_READ, CAMPAIGNS_WRITE
from leadflow.exceptions import InvalidInput

router = APIRouter(prefix="/v1/campaigns", tags=["campaigns"])

_BODY_DOC: dict[str, Any] = {
    "requestBody": {"required": True,
                    "content": {"application/json": {"schema": campaigns.CampaignFile.model_json_schema()}}},
}


@router.put("/{name}", openapi_extra=_BODY_DOC, dependencies=[allow(CAMPAIGNS_WRITE, "campaign.apply")])
async def put_campaign(name: str, request: Request, runtime: RuntimeDep, workspace: WorkspaceDep,
                       dry_run: bool = Query(False, description="return the plan, change nothing")) -> dict[str, Any]:
    """Create or update the campaign as the document says; the plan, key by key (an unchanged
    document changes nothing: ``"changes": []``). A bad document is 422, each problem naming its key."""
    require_json(request)
    data = decode_json(await read_body(request, runtime.settings.api_max_body))
    spec = campaigns.validate(data, origin="body")
    if spec.name != name:
        raise InvalidInput(f"the document's name {spec.name!r} is not the URL's {name!r}",
                           details=[{"field": "name", "message": "must match the URL", "type": "value_error"}])
    plan = campaigns.apply(runtime.store, workspace, spec, dry_run=dry_run)
    note(request, target=("campaign", name), result=None if plan.applied or dry_run else "unchanged")
    return plan.as_dict()


@router.get("/{name}", dependencies=[allow(CAMPAIGNS_READ, "campaign.read")])
def get_campaign(name: str, runtime: RuntimeDep, workspace: WorkspaceDep) -> dict[str, Any]:
    """The campaign: its file (``spec``, null for one not made from a file), paused or not, and
    what the agents read."""
    return campaigns.show(runtime.store.get_campaign(workspace, name))
