"""Bookings: one lead per calendar slot, enforced by the database.

Revision ID: 0004
Revises: 0003

The built-in calendar reads busy times from the leads' appointments, and holds a slot in the
process while a batch is being decided; two worker processes could still book two leads into
one slot. A commit that books now also writes ``(workspace, calendar, start)`` here, and the
primary key refuses the second lead. Safe on a database that 0001 already built from the newer
schema module. Existing booked appointments are not back-filled (they were decided before).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    if "bookings" in sa.inspect(op.get_bind()).get_table_names():
        return
    op.create_table(
        "bookings",
        sa.Column("workspace_id", sa.String(64), primary_key=True),
        sa.Column("calendar", sa.String(200), primary_key=True),
        sa.Column("start", sa.DateTime(timezone=True), primary_key=True),
        sa.Column("lead_id", sa.String(64), nullable=False),
    )
    op.create_index("ix_bookings_lead", "bookings", ["workspace_id", "lead_id"])


def downgrade() -> None:
    op.drop_index("ix_bookings_lead", table_name="bookings")
    op.drop_table("bookings")
