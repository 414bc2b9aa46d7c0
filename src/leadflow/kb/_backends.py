"""Which ``KnowledgeStore`` goes with a lead store: the SQL one on a ``SqlStore``'s engine, else memory.

One knowledge store per lead store, kept while the store lives, so the CLI, the API and every
agent context of one process read the same documents (the SQL one is the database itself).
"""

from __future__ import annotations

from sqlalchemy import Engine

from leadflow.kb.memory import MemoryKnowledgeStore
from leadflow.kb.store import KnowledgeStore
from leadflow.state.base import Store
from leadflow.state.beside import Beside

__all__ = ["knowledge_for"]


def _sql(engine: Engine) -> KnowledgeStore:
    from leadflow.kb.sql import SqlKnowledgeStore  # SQLAlchemy's side only when there is an engine

    return SqlKnowledgeStore(engine)


_BESIDE = Beside[KnowledgeStore](sql=_sql, memory=MemoryKnowledgeStore)


def knowledge_for(store: Store) -> KnowledgeStore:
    """The ``KnowledgeStore`` beside ``store`` (created on first use)."""
    return _BESIDE(store)
