"""Privacy: bounded rejects and erased people.

Revision ID: 0008
Revises: 0007

A placeholder until its tables land; it changes nothing. Safe on a database that 0001 already
built from the newer schema module.
"""

from __future__ import annotations

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
