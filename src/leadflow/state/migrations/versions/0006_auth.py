"""API keys, the audit log and webhook secrets.

Revision ID: 0006
Revises: 0005

A placeholder until its tables land; it changes nothing. Safe on a database that 0001 already
built from the newer schema module.
"""

from __future__ import annotations

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
