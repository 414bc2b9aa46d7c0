"""Drafts held for review before send: an index on the held outbox rows.

Revision ID: 0011
Revises: 0010

A draft is an outbox row whose status is ``held`` (``leadflow.drafts``): the dispatcher holds
it, a person edits it (its document changes), approves it (``approved``; the message is queued
again as a pending send) or rejects it (``rejected``, the reason in ``detail``). The status
column already takes these values, so no column is added; the drafts list reads the held rows
of one workspace, which a partial index holds alone (SQLite and PostgreSQL both have them).
Safe on a database that 0001 already built from the newer schema module.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

_NAME = "ix_actions_held"
_HELD = sa.column("status", sa.String) == "held"


def upgrade() -> None:
    # IF NOT EXISTS rather than reflecting the table: reflection warns about the expression indexes of 0003
    op.create_index(
        _NAME, "actions", ["workspace_id", "seq"], sqlite_where=_HELD, postgresql_where=_HELD, if_not_exists=True
    )


def downgrade() -> None:
    op.drop_index(_NAME, table_name="actions", if_exists=True)
