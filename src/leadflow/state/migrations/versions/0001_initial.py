"""Initial schema: leads, events (log + inbox), actions, timers, traces, DLQ, rejects, meta.

Revision ID: 0001
Revises:
"""

from __future__ import annotations

from alembic import op

from leadflow.state.schema import metadata

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    # The first revision is the schema module as it stood at 0.1; later revisions are explicit ops.
    metadata.create_all(bind=op.get_bind())


def downgrade() -> None:
    metadata.drop_all(bind=op.get_bind())
