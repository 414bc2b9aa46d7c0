"""Drafts held for review before send.

Revision ID: 0011
Revises: 0010

A placeholder until its tables land; it changes nothing. Safe on a database that 0001 already
built from the newer schema module.
"""

from __future__ import annotations

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
