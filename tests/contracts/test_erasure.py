"""The store contract for a person's data (GDPR): ``person_records`` and ``erase_person``.

Every backend finds the same rows for a person and erases them the same way: nothing personal
left in any row (the whole store is scanned), the log still folding to the live state, the
person still suppressed by a salted hash, and nobody else's rows touched.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine
from tests.contracts.store_contract import T0, WS_A, WS_B, StoreUnderTest, at, commit, created_event, ok, step
from tests.contracts.test_store_postgres import contract_db_url  # noqa: F401 - the module's database
from tests.services import empty_schema

from leadflow.domain.actions import ActionKind, OutboundAction, TimerSpec
from leadflow.domain.events import Event, EventType
from leadflow.domain.identity import identity_keys
from leadflow.domain.models import Channel, Direction, Escalation, Lead, LeadState, Message, Stage
from leadflow.exceptions import InvalidInput
from leadflow.state import schema
from leadflow.state.base import Store
from leadflow.state.memory import MemoryStore
from leadflow.state.patch import fold
from leadflow.state.privacy import REDACTED, TABLES, person_keys, workspace_salt
from leadflow.state.records import TraceRecord
from leadflow.state.sql import SqlStore

EMAIL = "Zelda.Quimby@gmail.com"
PHONE = "+81 3 1234 5678"
SECRETS = (
    "zelda",
    "quimby",
    "12345678",
    "1234 5678",
    "1234-5678",
    "widgets",
    "urgently",
    "tuesday at noon",
    "secret-tag",
)
"""What of the person may appear nowhere once erased (compared lower-cased)."""


def person(lead_id: str, *, workspace_id: str = WS_A) -> LeadState:
    return LeadState(
        lead_id=lead_id,
        workspace_id=workspace_id,
        campaign="spring",
        lead=Lead(
            first_name="Zelda",
            last_name="Quimby",
            email=EMAIL,
            phone=PHONE,
            title="Head of Ops",
            company="Quimby Widgets",
            inquiry="We need help urgently",
            attributes={"note": "secret-tag"},
        ),
        created_at=T0,
        updated_at=T0,
        version=1,
    )


def other(lead_id: str) -> LeadState:
    return LeadState(
        lead_id=lead_id,
        workspace_id=WS_A,
        campaign="spring",
        lead=Lead(first_name="Ada", last_name="Lovelace", email="ada@example.com", company="Acme"),
        created_at=T0,
        updated_at=T0,
        version=1,
    )


def reply(state: LeadState, eid: str, body: str) -> Event:
    return Event(
        id=eid,
        type=EventType.REPLY_RECEIVED,
        lead_id=state.lead_id,
        workspace_id=state.workspace_id,
        at=at(10),
        source="inbound:email",
        payload={
            "text": body,
            "raw": f"From: Zelda <{EMAIL}>\r\n\r\n{body}",
            "from": EMAIL,
            "message_id": "<m1@x>",
        },
    )


def email_to(key: str, to: str, *, later: bool = False) -> OutboundAction:
    return OutboundAction(
        kind=ActionKind.SEND_EMAIL,
        idempotency_key=key,
        to=to,
        subject="Zelda, a quick question",
        body="Hi Zelda, Quimby Widgets looks great.",
        not_before=at(60 * 24) if later else None,
        payload={"from": "rep@seller.example"},
    )


class ErasureContract(StoreUnderTest):
    """Scenarios every backend passes; subclasses implement ``make_store`` and ``everything``."""

    def everything(self, store: Store, workspace_id: str | None = None) -> str:
        """Every value the backend holds (of rows of ``workspace_id`` where a row has one), as
        one text, for a scan."""
        raise NotImplementedError

    def story(self, store: Store) -> tuple[LeadState, LeadState]:
        """Zelda (lead ``z1``), contacted, replying, suppressed by phone, with rejects, a dead
        letter, a pending follow-up and a timer; Ada (``a1``) beside her; Zelda again in WS_B."""
        for state in (person("z1"), other("a1"), person("zb", workspace_id=WS_B)):
            _, created = store.create_lead(
                state,
                created_event(state),
                identity_keys=[*identity_keys(state.lead), f"csv:{state.lead_id}"],
            )
            assert created
        z = store.get_lead(WS_A, "z1")
        sent = Message(
            id="msg-1", channel=Channel.EMAIL, direction=Direction.OUTBOUND, to=EMAIL,
            subject="Zelda, a quick question", body="Hi Zelda, Quimby Widgets looks great.", at=at(1),
        )  # fmt: skip
        contacted = z.model_copy(
            update={"stage": Stage.CONTACTED, "messages": [sent], "touches": 1, "updated_at": at(1),
                    "qualification": {"budget": "Quimby has 50k"}, "signals": [{"page": "zelda quimby blog"}]}
        )  # fmt: skip
        trace = TraceRecord(
            workspace_id=WS_A, lead_id="z1", event_id=None, agent="sdr", at=at(1),
            input_summary="Zelda Quimby, Head of Ops at Quimby Widgets", decision="first touch to Zelda",
        )  # fmt: skip
        ok(store.apply([step(z, contacted, actions=[email_to("z1-first", EMAIL)], traces=[trace],
                             timers=[TimerSpec(name="follow-up", fire_at=at(60 * 48), payload={"to": EMAIL})])]))  # fmt: skip
        ok(
            store.apply(
                [commit(z, events=[reply(z, "r1", "Zelda here: call me Tuesday at noon on +81-3-1234-5678")])]
            )
        )
        inbound = Message(
            id="msg-2", channel=Channel.EMAIL, direction=Direction.INBOUND, sender=EMAIL,
            body="Zelda here: call me Tuesday at noon", at=at(10),
        )  # fmt: skip
        current = store.get_lead(WS_A, "z1")
        replied = current.model_copy(
            update={"messages": [*current.messages, inbound], "replies": 1, "updated_at": at(10),
                    "escalations": [Escalation(reason="call Zelda", agent="esc", summary="Zelda Quimby wants a call")]}
        )  # fmt: skip
        ok(store.apply([step(current, replied, actions=[email_to("z1-later", EMAIL, later=True)],
                             suppress=[("+81-3-1234-5678", "sms:stop")])]))  # fmt: skip
        # the lead's first event fails for good and goes to the dead-letter queue (the reply waits behind it)
        item = next(i for i in store.inbox(now=at(11)) if i.event.lead_id == "z1")
        store.dead_letter(item.seq, consumer="orchestrator", error=f"boom on {EMAIL}", at=at(11))
        store.add_reject(
            WS_A, "api", json.dumps({"email": EMAIL.upper(), "first_name": "Zelda"}), "bad", at(2)
        )
        store.add_reject(WS_A, "csv", "Zelda,Quimby,+81 (3) 1234-5678", "bad", at(3))
        store.add_reject(WS_A, "api", '{"email": "ada@example.com"}', "bad", at(4))
        return store.get_lead(WS_A, "z1"), store.get_lead(WS_A, "a1")

    def test_person_records_find_everything_by_email_or_phone(self, store: Store) -> None:
        self.story(store)
        by_email = store.person_records(WS_A, person_keys("zelda.quimby+news@gmail.com"))
        by_phone = store.person_records(WS_A, person_keys("+81-3-1234-5678"))
        assert by_email == by_phone
        assert tuple(by_email) == TABLES
        assert [d["lead_id"] for d in by_email["leads"]] == ["z1"]  # not Ada, not WS_B's Zelda
        dumped = json.dumps(by_email)
        assert "call me Tuesday at noon" in dumped  # the reply, in the events and the messages
        assert {e["id"] for e in by_email["events"]} >= {"created-z1", "r1"}
        assert [a["action"]["idempotency_key"] for a in by_email["actions"]] == ["z1-first", "z1-later"]
        assert [t["input_summary"] for t in by_email["traces"]] == [
            "Zelda Quimby, Head of Ops at Quimby Widgets"
        ]
        assert [t["timer"]["name"] for t in by_email["timers"]] == ["follow-up"]
        assert [d["event_id"] for d in by_email["dead_letters"]] == ["created-z1"]
        assert sorted(r["source"] for r in by_email["rejects"]) == ["api", "csv"]  # by address, by number
        assert [s["address"] for s in by_email["suppressions"]] == ["+81312345678"]
        assert sorted(i["key"] for i in by_email["identities"]) == [
            "csv:z1",
            "email:zeldaquimby@gmail.com",
            "phone:+81312345678",
        ]

    def test_an_unknown_or_malformed_identifier(self, store: Store) -> None:
        self.story(store)
        nobody = store.person_records(WS_A, person_keys("nobody@example.org"))
        assert all(rows == [] for rows in nobody.values())
        with pytest.raises(InvalidInput):
            person_keys("not an address")

    def test_erase_leaves_nothing_personal_anywhere(self, store: Store) -> None:
        self.story(store)
        assert any(s in self.everything(store).lower() for s in SECRETS)  # the scan sees them before
        salt = workspace_salt(store, WS_A)
        report = store.erase_person(WS_A, person_keys(EMAIL), salt=salt, at=at(20))
        assert report.lead_ids == ["z1"]
        assert report.counts["leads"] == 1 and report.counts["rejects"] == 2
        assert report.counts["suppressions"] == 1 and report.counts["actions"] == 2
        assert report.counts["identities"] == 3
        assert (
            report.counts["events"] >= 4
            and report.counts["traces"] == 1
            and report.counts["dead_letters"] == 1
        )
        leaks = [s for s in SECRETS if s in self.workspace_text(store, WS_A).lower()]
        assert leaks == []
        assert REDACTED in self.everything(store, WS_A)

    def workspace_text(self, store: Store, workspace_id: str) -> str:
        """Everything the public reads return about workspace ``workspace_id``'s leads."""
        parts: list[Any] = []
        for s in store.list_leads(workspace_id):
            parts += [
                s.model_dump(mode="json"),
                [e.model_dump(mode="json") for e in store.lead_events(workspace_id, s.lead_id)],
            ]
            parts += [t.model_dump(mode="json") for t in store.traces_for(workspace_id, s.lead_id)]
            parts += [r.action.model_dump(mode="json") for r in store.actions_for(workspace_id, s.lead_id)]
            parts += [r.detail for r in store.actions_for(workspace_id, s.lead_id)]
            parts += [
                r.spec.model_dump(mode="json")
                for r in store.timers_for(workspace_id, s.lead_id, active_only=False)
            ]
        parts += [(d.error, d.event.model_dump(mode="json")) for d in store.list_dead(workspace_id)]
        parts += [(r.raw, r.error) for r in store.list_rejects(workspace_id)]
        return json.dumps(parts, default=str) + self.everything(store, workspace_id)

    def test_erased_lead_replays_to_its_state_and_takes_new_commits(self, store: Store) -> None:
        self.story(store)
        store.erase_person(WS_A, person_keys(PHONE), salt=workspace_salt(store, WS_A), at=at(20))
        erased = store.get_lead(WS_A, "z1")
        assert (
            erased.stage is Stage.DO_NOT_CONTACT and erased.lead.email is None and erased.lead.phone is None
        )
        assert erased.lead.first_name == REDACTED and erased.touches == 1 and erased.replies == 1
        assert [m.body for m in erased.messages] == [REDACTED, REDACTED]
        rebuilt = fold(store.all_events())
        assert rebuilt["z1"].model_dump(mode="json") == erased.model_dump(mode="json")
        later = erased.model_copy(update={"nurture_step": 3, "updated_at": at(30)})
        ok(store.apply([step(erased, later)]))  # a worker's step on it after the erasure
        rebuilt = fold(store.all_events())
        assert rebuilt["z1"].model_dump(mode="json") == store.get_lead(WS_A, "z1").model_dump(mode="json")

    def test_erased_person_stays_suppressed_and_no_work_is_left(self, store: Store) -> None:
        self.story(store)
        assert store.suppression_for(WS_A, "zelda.quimby@gmail.com") is None  # only the phone was suppressed
        store.erase_person(WS_A, person_keys(EMAIL), salt=workspace_salt(store, WS_A), at=at(20))
        for spelling in (
            "ZELDA.QUIMBY@gmail.com",
            "zeldaquimby+x@googlemail.com",
            "+81-3-1234-5678",
            "+81312345678",
        ):
            hit = store.suppression_for(WS_A, spelling)
            assert hit is not None and hit.startswith("hash:"), spelling
        assert store.suppression_for(WS_A, "ada@example.com") is None
        assert store.suppression_for(WS_A, "someone@gmail.com") is None  # not the whole domain
        assert store.suppression_for(WS_B, "zelda.quimby@gmail.com") is None  # another workspace's salt, rows
        assert [(r.action.idempotency_key, r.status) for r in store.actions_for(WS_A, "z1")] == [
            ("z1-first", "cancelled"),
            ("z1-later", "cancelled"),
        ]
        assert store.timers_for(WS_A, "z1") == []
        assert [i.event.lead_id for i in store.inbox(now=at(60 * 24 * 9))] in (["a1", "zb"], ["zb", "a1"])
        assert store.due_actions(at(60 * 24 * 9)) == []
        assert store.person_records(WS_A, person_keys(EMAIL))["leads"] == []

    def test_the_person_arriving_again_is_a_new_suppressed_lead(self, store: Store) -> None:
        self.story(store)
        store.erase_person(WS_A, person_keys(EMAIL), salt=workspace_salt(store, WS_A), at=at(20))
        again = person("z2")
        _, created = store.create_lead(again, created_event(again), identity_keys=identity_keys(again.lead))
        assert created  # the erased lead keeps no key that could link the newcomer to it
        assert sorted(i["key"] for i in store.person_records(WS_A, person_keys(EMAIL))["identities"]) == [
            "email:zeldaquimby@gmail.com",
            "phone:+81312345678",
        ]
        assert store.suppression_for(WS_A, str(again.lead.email)) is not None

    def test_nobody_else_is_touched(self, store: Store) -> None:
        _, ada = self.story(store)
        ada_events = store.lead_events(WS_A, "a1")
        zb = store.get_lead(WS_B, "zb")
        store.erase_person(WS_A, person_keys(EMAIL), salt=workspace_salt(store, WS_A), at=at(20))
        assert store.get_lead(WS_A, "a1") == ada
        assert store.lead_events(WS_A, "a1") == ada_events
        assert store.get_lead(WS_B, "zb") == zb
        assert [r.raw for r in store.list_rejects(WS_A)] == ['{"email": "ada@example.com"}']

    def test_erasing_someone_never_seen_still_suppresses_them(self, store: Store) -> None:
        report = store.erase_person(WS_A, person_keys("Ghost@Example.org"), salt=workspace_salt(store, WS_A))
        assert report.lead_ids == [] and report.counts["leads"] == 0
        assert store.suppression_for(WS_A, "ghost@example.org") is not None
        assert "ghost" not in self.everything(store).lower()

    def test_add_meta_keeps_the_first_value(self, store: Store) -> None:
        assert store.add_meta("privacy.test", "first") == "first"
        assert store.add_meta("privacy.test", "second") == "first"
        assert store.get_meta("privacy.test") == "first"

    def test_salt_is_per_workspace_and_kept(self, store: Store) -> None:
        first = workspace_salt(store, WS_A)
        assert workspace_salt(store, WS_A) == first
        assert workspace_salt(store, WS_B) != first and len(first) == 32

    def test_erasing_twice_is_harmless(self, store: Store) -> None:
        self.story(store)
        salt = workspace_salt(store, WS_A)
        store.erase_person(WS_A, person_keys(EMAIL), salt=salt, at=at(20))
        once = store.get_lead(WS_A, "z1")
        again = store.erase_person(WS_A, person_keys(EMAIL), salt=salt, at=at(21))
        assert again.lead_ids == [] and store.get_lead(WS_A, "z1") == once
        assert store.suppression_for(WS_A, EMAIL) is not None


class TestMemoryErasure(ErasureContract):
    def make_store(self) -> Store:
        return MemoryStore()

    def everything(self, store: Store, workspace_id: str | None = None) -> str:
        assert isinstance(store, MemoryStore)
        held = {k: v for k, v in vars(store).items() if k != "_lock"}
        if workspace_id is not None:  # another workspace's Zelda stays: leave her lead out
            held["_leads"] = {k: v for k, v in store._leads.items() if v.workspace_id == workspace_id}
            held["_events"] = [e for e in store._events if e.workspace_id == workspace_id]
            held["_inbox"] = [i for i in store._inbox if i.event.workspace_id == workspace_id]
            held["_dedupe"] = {k: v for k, v in store._dedupe.items() if k[0] == workspace_id}
        return repr(held)


class SqlErasureContract(ErasureContract):
    """What only a shared database shows: several stores (processes) on it at once."""

    def test_two_stores_making_the_salt_at_once_agree(self, store: Store) -> None:
        others = [self.make_store() for _ in range(4)]
        gate = threading.Barrier(len(others))
        salts: list[str] = []

        def make(s: Store) -> None:
            gate.wait()
            salts.append(workspace_salt(s, WS_A))

        threads = [threading.Thread(target=make, args=(s,)) for s in others]
        try:
            for th in threads:
                th.start()
            for th in threads:
                th.join(30)
        finally:
            for s in others:
                s.close()
        assert len(salts) == 4 and len(set(salts)) == 1 and workspace_salt(store, WS_A) == salts[0]


class TestSqliteErasure(SqlErasureContract):
    @pytest.fixture(autouse=True)
    def _db_file(self, tmp_path: Path) -> None:
        self.path = tmp_path / "leadflow.db"

    def make_store(self) -> Store:
        return SqlStore(f"sqlite:///{self.path}")

    def test_erased_values_leave_the_database_files(self, store: Store) -> None:
        self.story(store)
        store.erase_person(WS_A, person_keys(EMAIL), salt=workspace_salt(store, WS_A), at=at(20))
        store.erase_person(WS_B, person_keys(EMAIL), salt=workspace_salt(store, WS_B), at=at(20))
        store.flush()
        files = b"".join(p.read_bytes() for p in self.path.parent.glob("leadflow.db*") if p.is_file()).lower()
        assert [s for s in ("zelda", "quimby", "widgets", "urgently") if s.encode() in files] == []

    def test_an_unreadable_document_of_the_person_is_replaced_whole(self, store: Store) -> None:
        self.story(store)
        poison = '{"id": "p1", "payload": {"text": "zelda", "deep": ' + "[" * 5000 + "]" * 5000 + "}}"
        db = sqlite3.connect(self.path)
        try:
            db.execute(
                "INSERT INTO events (event_id, workspace_id, lead_id, type, at, doc, queued, handled, dead,"
                " published, attempts) VALUES ('p1', ?, 'z1', 'reply.received', '2025-03-03 09:30:00', ?,"
                " 0, 1, 0, 1, 0)",
                (WS_A, poison),
            )
            db.commit()
        finally:
            db.close()
        report = store.erase_person(WS_A, person_keys(EMAIL), salt=workspace_salt(store, WS_A), at=at(20))
        assert report.lead_ids == ["z1"]
        assert "zelda" not in self.everything(store, WS_A).lower()
        assert fold(store.all_events())["z1"] == store.get_lead(WS_A, "z1")

    def everything(self, store: Store, workspace_id: str | None = None) -> str:
        store.flush()
        db = sqlite3.connect(self.path)
        try:
            parts = []
            for (table,) in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'").fetchall():
                cols = [c[1] for c in db.execute(f'PRAGMA table_info("{table}")')]
                where = (
                    f" WHERE workspace_id = '{workspace_id}'"
                    if workspace_id and "workspace_id" in cols
                    else ""
                )
                parts += [repr(row) for row in db.execute(f'SELECT * FROM "{table}"{where}')]
            return "\n".join(parts)
        finally:
            db.close()


@pytest.mark.postgres
class TestPostgresErasure(SqlErasureContract):
    @pytest.fixture(autouse=True)
    def _clean_schema(self, contract_db_url: str) -> None:  # noqa: F811 - the imported fixture
        self.url = contract_db_url
        empty_schema(contract_db_url)

    def make_store(self) -> Store:
        return SqlStore(self.url)

    def everything(self, store: Store, workspace_id: str | None = None) -> str:
        engine = create_engine(self.url)
        try:
            parts = []
            with engine.connect() as conn:
                for table in schema.metadata.sorted_tables:
                    q = table.select()
                    if workspace_id and "workspace_id" in table.c:
                        q = q.where(table.c.workspace_id == workspace_id)
                    parts += [repr(tuple(row)) for row in conn.execute(q)]
            return "\n".join(parts)
        finally:
            engine.dispose()
