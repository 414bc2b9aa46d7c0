"""API keys and the audit log.

Revision ID: 0006
Revises: 0005

``api_keys`` holds each workspace's keys (the id in the clear, the secret as an argon2 hash,
the role, when it was created, last used and revoked); ``audit_log`` who did what to which
workspace object. Each table is created only if missing: safe on a database that 0001
already built from the newer schema module.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def _id() -> sa.types.TypeEngine[int]:
    return sa.BigInteger().with_variant(sa.Integer, "sqlite")


def upgrade() -> None:
    tables = set(sa.inspect(op.get_bind()).get_table_names())
    if "api_keys" not in tables:
        op.create_table(
            "api_keys",
            sa.Column("key_id", sa.String(32), primary_key=True),
            sa.Column("workspace_id", sa.String(64), nullable=False),
            sa.Column("name", sa.String(100), nullable=False),
            sa.Column("role", sa.String(16), nullable=False),
            sa.Column("secret_hash", sa.String(200), nullable=False),
            sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
            sa.Column("last_used_at", sa.DateTime(timezone=True)),
            sa.Column("revoked_at", sa.DateTime(timezone=True)),
        )
        op.create_index("ix_api_keys_ws", "api_keys", ["workspace_id"])
    if "audit_log" not in tables:
        op.create_table(
            "audit_log",
            sa.Column("id", _id(), primary_key=True, autoincrement=True),
            sa.Column("workspace_id", sa.String(64), nullable=False),
            sa.Column("at", sa.DateTime(timezone=True), nullable=False),
            sa.Column("actor", sa.String(200), nullable=False),
            sa.Column("role", sa.String(16)),
            sa.Column("action", sa.String(64), nullable=False),
            sa.Column("target_kind", sa.String(32)),
            sa.Column("target_id", sa.String(200)),
            sa.Column("result", sa.String(32), nullable=False),
            sa.Column("detail", sa.Text),
        )
        op.create_index("ix_audit_log_ws", "audit_log", ["workspace_id", "id"])


def downgrade() -> None:
    op.drop_index("ix_audit_log_ws", table_name="audit_log")
    op.drop_table("audit_log")
    op.drop_index("ix_api_keys_ws", table_name="api_keys")
    op.drop_table("api_keys")
