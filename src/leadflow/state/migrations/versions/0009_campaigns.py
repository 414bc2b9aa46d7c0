"""Campaigns: the user's campaign documents and pauses.

Revision ID: 0009
Revises: 0008

It changes nothing: a campaign is one JSON document in ``campaigns.doc``, and the campaign
file (``Campaign.spec``), its autonomy mode and the paused flag are fields of that document,
defaulted when an older document is read. Kept so the revision chain stays 0008 -> 0009 -> 0010.
Safe on a database that 0001 already built from the newer schema module.
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
