"""A bounce that names an address longer than any real one (a domain of many labels) cannot stop
the worker: no suppression key is written past the column's 320 characters (PostgreSQL refuses
such a row, and with it the whole batch, every round), and a commit the database refuses for its
data (``sqlalchemy.exc.DataError``) fails its own event alone."""

from __future__ import annotations

from collections.abc import Sequence

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DataError
from tests.unit.poison.conftest import CAMPAIGN, WS, run_out_retries, sql

from leadflow.domain.actions import ActionKind
from leadflow.domain.models import Lead
from leadflow.orchestrator._isolate import bad_data as _bad_data
from leadflow.runtime import Runtime
from leadflow.state.records import Commit

LONG = "x@" + ".".join(["a" * 60] * 6) + ".com"  # about 370 characters: the bounce regex takes it


def add(rt: Runtime, name: str) -> str:
    state, _ = rt.intake.create_lead(WS, CAMPAIGN, Lead(first_name=name, email=f"{name.lower()}@acme.com"))
    return state.lead_id


def test_a_bounce_naming_an_overlong_address_writes_no_overlong_suppression(rt: Runtime) -> None:
    ann = add(rt, "Ann")
    rt.worker.run_until_idle()
    raw = ("From: Mail Delivery System <MAILER-DAEMON@mx.acme.com>\r\nTo: sam@leadflow-demo.example\r\n"
           "Subject: Undelivered Mail Returned to Sender\r\nMessage-ID: <b-1@mx.acme.com>\r\n"
           "Content-Type: text/plain\r\n\r\n"
           f"Delivery has failed to these recipients or groups:\r\n\r\n{LONG}\r\nann@acme.com\r\n\r\n"
           "550 5.1.1 User unknown\r\n")
    rt.intake.receive_reply(WS, ann, message_id="<b-1@mx.acme.com>", raw=raw)
    run_out_retries(rt)
    with sql(rt).engine.connect() as conn:
        keys = [r[0] for r in conn.execute(text("SELECT address FROM suppressions"))]
    assert keys and all(len(k) <= 320 for k in keys), keys
    assert rt.store.is_suppressed(WS, "ann@acme.com")
    bob = add(rt, "Bob")
    run_out_retries(rt)
    assert any(a.action.kind is ActionKind.SEND_EMAIL and a.status == "sent" for a in rt.store.actions_for(WS, bob))


def test_a_commit_the_database_refuses_for_its_data_is_data() -> None:
    assert _bad_data(DataError("INSERT INTO suppressions ...", {}, Exception("value too long for type varchar(320)")))


def test_a_send_whose_outcome_the_database_refuses_fails_alone(rt: Runtime, monkeypatch: pytest.MonkeyPatch) -> None:
    """The dispatcher records a pass's deliveries in one transaction: a commit the database refuses
    for its data fails that action alone (tried again later, idempotently), never the pass."""
    ann, bob = add(rt, "Ann"), add(rt, "Bob")
    real = rt.store.apply

    def refusing(commits: Sequence[Commit]) -> list[Exception | None]:
        if any(c.lead_id == ann and c.finish_action is not None for c in commits):
            raise DataError("UPDATE actions ...", {}, Exception("value too long for type varchar(320)"))
        return real(commits)

    monkeypatch.setattr(rt.store, "apply", refusing)
    for _ in range(5):
        rt.worker.tick()  # before: every pass raised, and no lead's send was ever recorded
    sent = [a for a in rt.store.actions_for(WS, bob) if a.action.kind is ActionKind.SEND_EMAIL]
    assert sent and all(a.status == "sent" for a in sent)
    stuck = [a for a in rt.store.actions_for(WS, ann) if a.action.kind is ActionKind.SEND_EMAIL]
    assert stuck and all(a.status == "pending" and a.attempts >= 1 for a in stuck)
