"""Which ``SecretStore`` goes with a lead store: the SQL one on a ``SqlStore``'s engine, else memory.

One per lead store, kept while the store lives, so the API and the command line of one
process see the same secrets.
"""

from __future__ import annotations

from sqlalchemy import Engine

from leadflow.integrations.webhooks.base import SecretStore
from leadflow.integrations.webhooks.memory import MemorySecretStore
from leadflow.state.base import Store
from leadflow.state.beside import Beside


def _sql(engine: Engine) -> SecretStore:
    from leadflow.integrations.webhooks.sql import (
        SqlSecretStore,  # SQLAlchemy's side only when there is an engine
    )

    return SqlSecretStore(engine)


_BESIDE = Beside[SecretStore](sql=_sql, memory=MemorySecretStore)


def secret_store_for(store: Store) -> SecretStore:
    """The ``SecretStore`` beside ``store`` (created on first use)."""
    return _BESIDE(store)
