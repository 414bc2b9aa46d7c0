"""Which ``AuthStore`` goes with a lead store: the SQL one on a ``SqlStore``'s engine, else memory.

One ``AuthStore`` per lead store, kept while the store lives, so the API, the command line
and ``audit()`` of one process see the same keys and one cache of verified keys.
"""

from __future__ import annotations

import threading
from weakref import WeakKeyDictionary

from sqlalchemy import Engine

from leadflow.auth.base import AuthStore
from leadflow.auth.memory import MemoryAuthStore
from leadflow.state.base import Store

_LOCK = threading.Lock()
_BY_STORE: WeakKeyDictionary[Store, AuthStore] = WeakKeyDictionary()


def auth_store_for(store: Store) -> AuthStore:
    """The ``AuthStore`` beside ``store`` (created on first use)."""
    with _LOCK:
        found = _BY_STORE.get(store)
        if found is None:
            engine = getattr(store, "engine", None)
            if isinstance(engine, Engine):
                from leadflow.auth.sql import SqlAuthStore

                found = SqlAuthStore(engine)
            else:
                found = MemoryAuthStore()
            _BY_STORE[store] = found
        return found
