"""``/v1/campaigns/{name}/knowledge``: read a campaign's knowledge base (its documents, and a
search that shows the passages the agents would cite). Documents are added with ``leadflow kb add``."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Query

from leadflow.api.auth import allow
from leadflow.api.deps import RuntimeDep, WorkspaceDep
from leadflow.auth.keys import CAMPAIGNS_READ
from leadflow.kb import knowledge_for

router = APIRouter(prefix="/v1/campaigns", tags=["knowledge"])


@router.get("/{name}/knowledge", dependencies=[allow(CAMPAIGNS_READ, "campaign.knowledge")])
def list_documents(name: str, runtime: RuntimeDep, workspace: WorkspaceDep) -> dict[str, Any]:
    """The campaign's documents: id, title, source, kind, passages, when added (404: no such campaign)."""
    runtime.store.get_campaign(workspace, name)
    docs = knowledge_for(runtime.store).documents(workspace, name)
    return {"campaign": name, "documents": [
        {"doc_id": d.doc_id, "title": d.title, "source": d.source, "kind": d.kind, "passages": d.chunks,
         "added_at": d.added_at.isoformat()} for d in docs
    ]}


@router.get("/{name}/knowledge/search", dependencies=[allow(CAMPAIGNS_READ, "campaign.knowledge")])
def search(name: str, runtime: RuntimeDep, workspace: WorkspaceDep,
           q: str = Query(..., min_length=1, max_length=500, description="plain words"),
           k: int = Query(5, ge=1, le=20)) -> dict[str, Any]:
    """Passages matching ``q``, best first, each with its document, section, source and score."""
    runtime.store.get_campaign(workspace, name)
    passages = knowledge_for(runtime.store).search(workspace, name, q, k=k)
    return {"campaign": name, "query": q, "passages": [
        {"doc_id": p.citation.doc_id, "title": p.citation.title, "section": p.heading or p.citation.title,
         "source": p.citation.source, "chunk": p.citation.chunk_no, "score": p.score, "text": p.text}
        for p in passages
    ]}
