"""Operational endpoints: liveness (public, no data), Prometheus metrics and the agent cards (a key)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Response

from leadflow.api.auth import allow
from leadflow.api.deps import MetricsDep, RuntimeDep
from leadflow.api.schemas import Health
from leadflow.auth.keys import AGENTS_READ, SERVICE_READ
from leadflow.exceptions import Unavailable

router = APIRouter(tags=["operations"])
agents_router = APIRouter(prefix="/v1/agents", tags=["agents"])


@router.get("/healthz", response_model=Health)
def healthz(runtime: RuntimeDep) -> Health:
    """Alive, and the store answers; nothing about any workspace (this one needs no key)."""
    try:
        runtime.store.get_meta("healthz")
    except Exception as exc:
        raise Unavailable("the store does not answer") from exc
    return Health()


@router.get("/metrics", response_class=Response, dependencies=[allow(SERVICE_READ, "metrics.read")])
def metrics(m: MetricsDep) -> Response:
    """Prometheus text exposition of the API's counters (any key)."""
    return Response(m.render(), media_type=m.content_type)


@agents_router.get("", dependencies=[allow(AGENTS_READ, "agents.read")])
def agents(runtime: RuntimeDep) -> list[dict[str, Any]]:
    """The registered agents as A2A-style cards."""
    return [card.to_a2a() for card in runtime.registry.cards()]
