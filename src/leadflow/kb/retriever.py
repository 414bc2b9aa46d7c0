"""One campaign's knowledge, as the agents read it (``AgentContext.kb``).

:class:`CampaignKnowledge` binds a :class:`~leadflow.kb.store.KnowledgeStore` to one workspace
and campaign and answers the two questions agents ask of a knowledge base, in the shape
:class:`~leadflow.kb.KnowledgeBase` answers them (``search(query, k=, workspace_id=,
safe_only=)`` and ``documents(workspace_id=)``), so an agent cannot tell them apart and can
never reach another campaign's documents: the workspace it passes must be the bound one.

:class:`SeedKnowledge` is the demo's fictional documents (``agents/kb_seed``) in the same
shape; the runtime gives it only to a campaign it is told is the demo (the simulator's).

A search that fails (the database's search index unavailable) gives no passages either, logged:
knowledge helps an agent and never blocks it. A user's campaign with no documents gets no passages: agents then cite nothing and state no
figures (closing says "nothing in the knowledge base matches").
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from leadflow.exceptions import LeadflowError
from leadflow.kb.index import Citation, KnowledgeBase, Passage
from leadflow.kb.store import KnowledgeStore

__all__ = ["CampaignKnowledge", "SeedKnowledge"]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class CampaignKnowledge:
    """The documents of one (workspace, campaign), searchable with citations."""

    store: KnowledgeStore
    workspace_id: str
    campaign: str

    def search(
        self, query: str, *, k: int = 5, workspace_id: str | None = None, safe_only: bool = True
    ) -> list[Passage]:
        """Passages of this campaign best matching ``query``; another workspace gets none."""
        if workspace_id is not None and workspace_id != self.workspace_id:
            return []
        try:
            return self.store.search(self.workspace_id, self.campaign, query, k=k, safe_only=safe_only)
        except LeadflowError as exc:  # knowledge helps an agent; it never blocks one
            log.warning("knowledge of %s/%s unavailable: %s", self.workspace_id, self.campaign, exc)
            return []

    def documents(self, *, workspace_id: str | None = None) -> list[Citation]:
        """This campaign's documents as citations (``chunk_no`` is the number of chunks)."""
        if workspace_id is not None and workspace_id != self.workspace_id:
            return []
        return [
            Citation(doc_id=d.doc_id, title=d.title, source=d.source, chunk_no=d.chunks)
            for d in self.store.documents(self.workspace_id, self.campaign)
        ]


@dataclass(frozen=True)
class SeedKnowledge:
    """The demo knowledge base (one in-memory ``KnowledgeBase``), whatever workspace asks."""

    kb: KnowledgeBase

    def search(
        self, query: str, *, k: int = 5, workspace_id: str | None = None, safe_only: bool = True
    ) -> list[Passage]:
        """Passages of the demo documents."""
        return self.kb.search(query, k=k, safe_only=safe_only)

    def documents(self, *, workspace_id: str | None = None) -> list[Citation]:
        """The demo documents."""
        return self.kb.documents()
