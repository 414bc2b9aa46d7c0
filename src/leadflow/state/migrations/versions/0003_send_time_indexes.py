"""Actions: index send caps on the very expression they count, a send's time.

Revision ID: 0003
Revises: 0002

``Store.send_counts`` counts sends whose ``coalesce(not_before, created_at)`` falls in a day or an
hour (a send queued "at once" has no ``not_before``). 0002's indexes end in ``not_before``, which
that expression cannot use, so every count scanned all of a mailbox's sends. These expression
indexes (SQLite and PostgreSQL both have them) make it a range scan; they replace 0002's.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

_OLD = {
    "ix_actions_mailbox": ["workspace_id", "mailbox", "not_before"],
    "ix_actions_domain": ["workspace_id", "domain", "not_before"],
}
_NEW = {"ix_actions_mailbox_at": "mailbox", "ix_actions_domain_at": "domain"}


def _index_names() -> set[str]:
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":  # the inspector skips (and warns about) expression indexes
        q = "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'actions'"
    else:
        q = "SELECT indexname FROM pg_indexes WHERE tablename = 'actions'"
    return {str(name) for name in bind.execute(sa.text(q)).scalars()}


def upgrade() -> None:
    indexes = _index_names()
    for name in _OLD:
        if name in indexes:
            op.drop_index(name, table_name="actions")
    for name, column in _NEW.items():
        if name not in indexes:  # 0001 builds a fresh database from the schema module, which has them
            op.create_index(
                name, "actions", ["workspace_id", column, sa.text("coalesce(not_before, created_at)")]
            )


def downgrade() -> None:
    for name in _NEW:
        op.drop_index(name, table_name="actions")
    for name, cols in _OLD.items():
        op.create_index(name, "actions", cols)
