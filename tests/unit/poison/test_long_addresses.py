"""A bounce that names an address longer than any real one (a domain of many labels) cannot stop
the worker: no suppression key is written past the column's 320 characters (PostgreSQL refuses
such a row, and with it the whole batch, every round), and a commit the database refuses for its
data (``sqlalchemy.exc.DataError``) fails its own event alone."""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.exc import DataError
from tests.unit.poison.conftest import CAMPAIGN, WS, run_out_retries, sql

from leadflow.domain.actions import ActionKind
from leadflow.domain.models import Lead
from leadflow.orchestrator.engine import _bad_data
from leadflow.runtime import Runtime

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
