"""The knowledge-store contract on ``MemoryKnowledgeStore``."""

from __future__ import annotations

from tests.contracts.knowledge_contract import KnowledgeContract

from leadflow.kb._backends import knowledge_for
from leadflow.kb.memory import MemoryKnowledgeStore
from leadflow.kb.store import KnowledgeStore
from leadflow.state.memory import MemoryStore


class TestMemoryKnowledge(KnowledgeContract):
    def make_knowledge(self) -> KnowledgeStore:
        return MemoryKnowledgeStore()


def test_a_memory_store_gets_one_memory_knowledge_store() -> None:
    store = MemoryStore()
    assert isinstance(knowledge_for(store), MemoryKnowledgeStore)
    assert knowledge_for(store) is knowledge_for(store)
    assert knowledge_for(MemoryStore()) is not knowledge_for(store)
