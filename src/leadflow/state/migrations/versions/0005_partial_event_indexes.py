"""Events: index only the pending and the unpublished ones.

Revision ID: 0005
Revises: 0004

The inbox reads events still queued and unhandled; the relay reads those not yet published.
0001's indexes on ``(queued, handled, dead, seq)`` and ``(published, seq)`` held every event,
so each insert and each handled or published mark rewrote entries nobody reads again. Partial
indexes (SQLite and PostgreSQL both have them) hold just the few events still waiting; the
inbox's and the relay's queries state the same conditions, so they use them. Safe on a
database that 0001 already built from the newer schema module.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

_OLD = {"ix_events_inbox": ["queued", "handled", "dead", "seq"], "ix_events_unpublished": ["published", "seq"]}
_queued, _handled = sa.column("queued", sa.Boolean), sa.column("handled", sa.Boolean)
_dead, _published = sa.column("dead", sa.Boolean), sa.column("published", sa.Boolean)
_NEW = {
    "ix_events_pending": sa.and_(_queued.is_(True), _handled.is_(False), _dead.is_(False)),
    "ix_events_to_publish": _published.is_(False),
}


def upgrade() -> None:
    indexes = {ix["name"] for ix in sa.inspect(op.get_bind()).get_indexes("events")}
    for name in _OLD:
        if name in indexes:
            op.drop_index(name, table_name="events")
    for name, where in _NEW.items():
        if name not in indexes:
            op.create_index(name, "events", ["seq"], sqlite_where=where, postgresql_where=where)


def downgrade() -> None:
    for name in _NEW:
        op.drop_index(name, table_name="events")
    for name, cols in _OLD.items():
        op.create_index(name, "events", cols)
