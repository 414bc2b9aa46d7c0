"""Each campaign's knowledge base: documents, passages and their full-text index.

Revision ID: 0010
Revises: 0009

``kb_documents`` (one row per campaign and source) and ``kb_chunks`` (the passages) as in the
schema module, then the search index ``leadflow.kb.sql`` queries: an FTS5 virtual table
``kb_chunks_fts`` on SQLite (raw SQL: SQLAlchemy has no FTS5 type), a GIN index over the
passages' ``tsvector`` on PostgreSQL. Each table and index is created only if missing: safe on
a database that 0001 already built from the newer schema module.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from leadflow.kb.sql import create_search_index
from leadflow.state.schema import kb_chunks, kb_documents

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    bind = op.get_bind()
    tables = set(sa.inspect(bind).get_table_names())
    for table in (kb_documents, kb_chunks):
        if table.name not in tables:
            table.create(bind)  # with its indexes
    create_search_index(bind)


def downgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        op.execute("DROP TABLE IF EXISTS kb_chunks_fts")
    op.drop_table("kb_chunks")
    op.drop_table("kb_documents")
