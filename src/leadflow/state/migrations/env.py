"""Alembic environment: runs against the engine leadflow hands in (never a global URL)."""

from __future__ import annotations

from alembic import context

from leadflow.state.schema import metadata

engine = context.config.attributes["engine"]
with engine.connect() as connection:
    context.configure(connection=connection, target_metadata=metadata, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()
    connection.commit()
