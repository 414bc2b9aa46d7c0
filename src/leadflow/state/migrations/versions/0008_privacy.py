"""Privacy: bounded rejects and webhook secrets.

Revision ID: 0008
Revises: 0007

``rejects`` gains ``size`` and ``sha256`` (a reject keeps the first bytes of a body, its size
and its hash, not the whole body) and ``count`` (one row standing for the rejects past the
burst limit), with indexes for pruning by workspace and counting a source's recent rejects
(``state.rejects``). ``webhook_secrets`` holds each workspace's per-source signing secrets
(``integrations.webhooks``). Every column, index and table is created only if missing: safe
on a database that 0001 already built from the newer schema module.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

_REJECT_COLUMNS: dict[str, Callable[[], Any]] = {
    "size": sa.Integer, "sha256": lambda: sa.String(64), "count": sa.Integer,
}
_REJECT_INDEXES = {"ix_rejects_ws_source_at": ["workspace_id", "source", "at"], "ix_rejects_ws_id": ["workspace_id", "id"]}


def _bounded_rejects(inspector: sa.Inspector) -> None:
    columns = {c["name"] for c in inspector.get_columns("rejects")}
    for name, type_ in _REJECT_COLUMNS.items():
        if name not in columns:
            op.add_column("rejects", sa.Column(name, type_()))
    indexes = {ix["name"] for ix in inspector.get_indexes("rejects")}
    for name, cols in _REJECT_INDEXES.items():
        if name not in indexes:
            op.create_index(name, "rejects", cols)


def _webhook_secrets(tables: set[str]) -> None:
    if "webhook_secrets" in tables:
        return
    op.create_table(
        "webhook_secrets",
        sa.Column("secret_id", sa.String(32), primary_key=True),
        sa.Column("workspace_id", sa.String(64), nullable=False),
        sa.Column("source", sa.String(64), nullable=False),
        sa.Column("secret", sa.String(200), nullable=False),
        sa.Column("format", sa.String(32), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True)),
    )
    op.create_index("ix_webhook_secrets_ws_source", "webhook_secrets", ["workspace_id", "source"])


def upgrade() -> None:
    inspector = sa.inspect(op.get_bind())
    _bounded_rejects(inspector)
    _webhook_secrets(set(inspector.get_table_names()))


def downgrade() -> None:
    op.drop_table("webhook_secrets")
    for name in _REJECT_INDEXES:
        op.drop_index(name, table_name="rejects")
    for name in _REJECT_COLUMNS:
        op.drop_column("rejects", name)
