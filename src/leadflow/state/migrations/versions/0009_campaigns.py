"""Campaigns: the user's campaign documents and pauses.

Revision ID: 0009
Revises: 0008

A placeholder until its tables land; it changes nothing. Safe on a database that 0001 already
built from the newer schema module.
"""

from __future__ import annotations

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
