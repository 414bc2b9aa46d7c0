"""Which ``KnowledgeStore`` goes with a lead store: the SQL one on a ``SqlStore``'s engine, else memory.

One knowledge store per lead store, kept while the store lives, so the CLI, the API and every
agent context of one process read the same documents (the SQL one is the database itself).
"""

from __future__ import annotations

import threading
from weakref import WeakKeyDictionary

from sqlalchemy import Engine

from leadflow.kb.memory import MemoryKnowledgeStore
from leadflow.kb.store import KnowledgeStore
from leadflow.state.base import Store

__all__ = ["knowledge_for"]

_LOCK = threading.Lock()
_BY_STORE: WeakKeyDictionary[Store, KnowledgeStore] = WeakKeyDictionary()


def knowledge_for(store: Store) -> KnowledgeStore:
    """The ``KnowledgeStore`` beside ``store`` (created on first use)."""
    with _LOCK:
        found = _BY_STORE.get(store)
        if found is None:
            engine = getattr(store, "engine", None)
            if isinstance(engine, Engine):
                from leadflow.kb.sql import SqlKnowledgeStore

                found = SqlKnowledgeStore(engine)
            else:
                found = MemoryKnowledgeStore()
            _BY_STORE[store] = found
        return found
