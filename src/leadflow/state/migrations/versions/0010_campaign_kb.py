"""Each campaign's knowledge base.

Revision ID: 0010
Revises: 0009

A placeholder until its tables land; it changes nothing. Safe on a database that 0001 already
built from the newer schema module.
"""

from __future__ import annotations

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
