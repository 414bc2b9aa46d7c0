"""Which ``AuthStore`` goes with a lead store: the SQL one on a ``SqlStore``'s engine, else memory.

One ``AuthStore`` per lead store, kept while the store lives, so the API, the command line
and ``audit()`` of one process see the same keys and one cache of verified keys.
"""

from __future__ import annotations

from sqlalchemy import Engine

from leadflow.auth.base import AuthStore
from leadflow.auth.memory import MemoryAuthStore
from leadflow.state.base import Store
from leadflow.state.beside import Beside


def _sql(engine: Engine) -> AuthStore:
    from leadflow.auth.sql import SqlAuthStore  # SQLAlchemy's side only when there is an engine

    return SqlAuthStore(engine)


_BESIDE = Beside[AuthStore](sql=_sql, memory=MemoryAuthStore)


def auth_store_for(store: Store) -> AuthStore:
    """The ``AuthStore`` beside ``store`` (created on first use)."""
    return _BESIDE(store)
