"""Migration 0007 on a database from before it: identities back-filled, suppressions normalised."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import insert, select, text
from tests.contracts.identity_contract import arrive, person

from leadflow.state import schema as t
from leadflow.state.migrate import upgrade
from leadflow.state.sql import SqlStore


def test_0007_backfills_identities_and_normalises_suppressions(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'old.db'}"
    store = SqlStore(url)
    arrive(store, person("old-1", email="Ada.Lovelace+x@gmail.com", phone="+81 3 1234 5678"))
    arrive(store, person("old-2", email="ada.lovelace@gmail.com"))  # before 0007: a second lead
    with store.engine.begin() as conn:
        # the database as 0006 left it: no identities, suppressions as written
        conn.execute(text("DROP TABLE identities"))
        conn.execute(text("UPDATE alembic_version SET version_num = '0006'"))
        conn.execute(
            insert(t.suppressions),
            [
                {"workspace_id": "ws-a", "address": "+81 3 1234 5678", "reason": "opt-out"},
                {"workspace_id": "ws-a", "address": "jane.doe+n@gmail.com", "reason": "opt-out"},
                {"workspace_id": "ws-a", "address": "janedoe@gmail.com", "reason": "bounce"},
            ],
        )
    upgrade(store.engine)
    upgrade(store.engine)  # and again: nothing written twice
    with store.engine.connect() as conn:
        owners = dict(conn.execute(select(t.identities.c.key, t.identities.c.lead_id)).all())
        held = sorted(conn.execute(select(t.suppressions.c.address)).scalars())
    assert owners == {"email:adalovelace@gmail.com": "old-1", "phone:+81312345678": "old-1"}
    assert held == ["+81312345678", "janedoe@gmail.com"]
    assert store.is_suppressed("ws-a", "+81-3-1234-5678")
    found, created = arrive(store, person("new", email="adalovelace@googlemail.com"))
    assert (found.lead_id, created) == ("old-1", False)
    store.close()
