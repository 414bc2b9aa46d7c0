"""Operational endpoints: liveness, Prometheus metrics and the agent cards."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Response

from leadflow.api.deps import MetricsDep, RuntimeDep, WorkspaceDep
from leadflow.api.schemas import Health

router = APIRouter(tags=["operations"])
agents_router = APIRouter(prefix="/v1/agents", tags=["agents"])


@router.get("/healthz", response_model=Health)
def healthz(runtime: RuntimeDep, workspace: WorkspaceDep) -> Health:
    """Alive, and the store answers (leads per stage in this workspace)."""
    return Health(workspace=workspace, leads=runtime.store.count_leads(workspace))


@router.get("/metrics", response_class=Response)
def metrics(m: MetricsDep) -> Response:
    """Prometheus text exposition of the API's counters."""
    return Response(m.render(), media_type=m.content_type)


@agents_router.get("")
def agents(runtime: RuntimeDep) -> list[dict[str, Any]]:
    """The registered agents as A2A-style cards."""
    return [card.to_a2a() for card in runtime.registry.cards()]
