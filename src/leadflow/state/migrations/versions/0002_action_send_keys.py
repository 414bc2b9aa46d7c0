"""Actions: the sending mailbox and the recipient domain of an email, indexed for send caps.

Revision ID: 0002
Revises: 0001

``Store.send_counts`` counts sends per mailbox per day and per recipient domain per hour; the
two columns and their indexes make that an indexed query. Existing email rows are back-filled
from their document. Safe on a database that 0001 already created from the newer schema module.
"""

from __future__ import annotations

import warnings

import sqlalchemy as sa
from alembic import op

from leadflow.domain.actions import OutboundAction
from leadflow.state.sends import send_keys

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

_INDEXES = {
    "ix_actions_mailbox": ["workspace_id", "mailbox", "not_before"],
    "ix_actions_domain": ["workspace_id", "domain", "not_before"],
}


def upgrade() -> None:
    bind = op.get_bind()
    inspector = sa.inspect(bind)
    columns = {c["name"] for c in inspector.get_columns("actions")}
    # 0001 builds the tables from the schema module, which already has these on a fresh database
    if "mailbox" not in columns:
        op.add_column("actions", sa.Column("mailbox", sa.String(320)))
    if "domain" not in columns:
        op.add_column("actions", sa.Column("domain", sa.String(255)))
    with warnings.catch_warnings():  # a newer schema's expression indexes (0003) are not reflected
        warnings.simplefilter("ignore", sa.exc.SAWarning)
        indexes = {i["name"] for i in inspector.get_indexes("actions")}
    for name, cols in _INDEXES.items():
        if name not in indexes:
            op.create_index(name, "actions", cols)
    actions = sa.table(
        "actions",
        sa.column("seq", sa.Integer),
        sa.column("kind", sa.String),
        sa.column("doc", sa.JSON),
        sa.column("mailbox", sa.String),
        sa.column("domain", sa.String),
    )
    rows = bind.execute(
        sa.select(actions.c.seq, actions.c.doc).where(
            actions.c.kind == "send_email", actions.c.domain.is_(None)
        )
    ).all()
    for seq, doc in rows:
        mailbox, domain = send_keys(OutboundAction.model_validate(doc))
        if mailbox or domain:
            bind.execute(
                sa.update(actions).where(actions.c.seq == seq).values(mailbox=mailbox, domain=domain)
            )


def downgrade() -> None:
    for name in _INDEXES:
        op.drop_index(name, table_name="actions")
    op.drop_column("actions", "domain")
    op.drop_column("actions", "mailbox")
