"""People: normalised identities and suppressions.

Revision ID: 0007
Revises: 0006

One person, one lead: ``identities`` holds every key a lead is known by (normalised e-mail,
E.164 phone, source id; see ``leadflow.domain.identity``), unique per workspace, and intake
finds a returning person there. Existing leads are back-filled, oldest first (a key two old
leads share stays with the older one), and existing suppressions are rewritten in their
normalised form (``suppression_key``), so an opt-out recorded as ``+81 3 1234 5678`` holds for
``+81-3-1234-5678``. Safe on a database that 0001 already built from the newer schema module,
and safe to run again: nothing already there is written twice.
"""

from __future__ import annotations

import json
from typing import Any

import sqlalchemy as sa
from alembic import op

from leadflow.domain.identity import keys_of, suppression_key

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def _doc(value: Any) -> dict[str, Any]:
    doc = json.loads(value) if isinstance(value, str | bytes) else value
    return doc if isinstance(doc, dict) else {}


def _keys(lead: dict[str, Any]) -> list[str]:
    """``identity.identity_keys`` over a stored lead document (not validated: old rows may not be)."""
    attributes = lead.get("attributes")
    country = attributes.get("country") if isinstance(attributes, dict) else None

    def text(name: str) -> str | None:
        value = lead.get(name)
        return value if isinstance(value, str) and value else None

    keys = keys_of(
        email=text("email"),
        phone=text("phone"),
        source=text("source"),
        source_lead_id=text("source_lead_id"),
        region=country if isinstance(country, str) else None,
    )
    return [k for k in keys if len(k) <= 400]


def upgrade() -> None:
    bind = op.get_bind()
    if "identities" not in sa.inspect(bind).get_table_names():
        op.create_table(
            "identities",
            sa.Column("workspace_id", sa.String(64), primary_key=True),
            sa.Column("key", sa.String(400), primary_key=True),
            sa.Column("lead_id", sa.String(64), nullable=False),
        )
        op.create_index("ix_identities_lead", "identities", ["workspace_id", "lead_id"])
    identities = sa.table("identities", sa.column("workspace_id"), sa.column("key"), sa.column("lead_id"))
    known = {(ws, key) for ws, key in bind.execute(sa.select(identities.c.workspace_id, identities.c.key))}
    rows = bind.execute(
        sa.text("SELECT workspace_id, lead_id, doc FROM leads ORDER BY created_at, lead_id")
    ).all()
    new: list[dict[str, str]] = []
    for ws, lead_id, doc in rows:
        for key in _keys(_doc(doc).get("lead") or {}):
            if (ws, key) not in known:
                known.add((ws, key))
                new.append({"workspace_id": ws, "key": key, "lead_id": lead_id})
    if new:
        bind.execute(sa.insert(identities), new)

    suppressions = sa.table(
        "suppressions", sa.column("workspace_id"), sa.column("address"), sa.column("reason")
    )
    held = [tuple(r) for r in bind.execute(sa.select(suppressions.c.workspace_id, suppressions.c.address))]
    present = set(held)
    for ws, address in held:
        key = suppression_key(address)
        if key == address:
            continue
        where = sa.and_(suppressions.c.workspace_id == ws, suppressions.c.address == address)
        if (ws, key) in present:
            bind.execute(sa.delete(suppressions).where(where))
        else:
            bind.execute(sa.update(suppressions).where(where).values(address=key))
            present.add((ws, key))
        present.discard((ws, address))


def downgrade() -> None:
    op.drop_index("ix_identities_lead", table_name="identities")
    op.drop_table("identities")
