"""Which ``SecretStore`` goes with a lead store: the SQL one on a ``SqlStore``'s engine, else memory.

One per lead store, kept while the store lives, so the API and the command line of one
process see the same secrets.
"""

from __future__ import annotations

import threading
from weakref import WeakKeyDictionary

from sqlalchemy import Engine

from leadflow.integrations.webhooks.base import SecretStore
from leadflow.integrations.webhooks.memory import MemorySecretStore
from leadflow.state.base import Store

_LOCK = threading.Lock()
_BY_STORE: WeakKeyDictionary[Store, SecretStore] = WeakKeyDictionary()


def secret_store_for(store: Store) -> SecretStore:
    """The ``SecretStore`` beside ``store`` (created on first use)."""
    with _LOCK:
        found = _BY_STORE.get(store)
        if found is None:
            engine = getattr(store, "engine", None)
            if isinstance(engine, Engine):
                from leadflow.integrations.webhooks.sql import SqlSecretStore

                found = SqlSecretStore(engine)
            else:
                found = MemorySecretStore()
            _BY_STORE[store] = found
        return found
