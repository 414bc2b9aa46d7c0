"""The store contract for send counts (caps and rotation) on memory, SQLite and PostgreSQL.

``Store.send_counts`` is what the durable send ledger reads: emails per sending mailbox and
per recipient domain over a time range, sent and still pending, scoped by workspace.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from tests.contracts.store_contract import (
    T0,
    WS_A,
    WS_B,
    StoreContract,
    StoreUnderTest,
    at,
    commit,
    event,
    ok,
)
from tests.contracts.test_store_postgres import contract_db_url  # noqa: F401 - the module's database
from tests.services import empty_schema

from leadflow.domain.actions import ActionKind, OutboundAction
from leadflow.exceptions import InvalidInput
from leadflow.state.base import Store
from leadflow.state.memory import MemoryStore
from leadflow.state.sends import SendCounts
from leadflow.state.sql import SqlStore


def email(
    key: str,
    *,
    sender: str = "Rep@Sender.example",
    to: str = "ada@Acme.com",
    not_before: datetime | None = None,
) -> OutboundAction:
    return OutboundAction(
        kind=ActionKind.SEND_EMAIL,
        idempotency_key=key,
        to=to,
        subject="Hi",
        body="Hello",
        not_before=not_before,
        payload={"from": sender},
    )


class SendCountsContract(StoreUnderTest):
    """Scenarios every backend passes; subclasses implement ``make_store``."""

    def test_send_generation_moves_only_when_that_mailbox_or_domain_changes(self, store: Store) -> None:
        def gen(kind: str, key: str) -> int | None:
            return store.send_generation(WS_A, kind, key)

        if gen("mailbox", "rep@sender.example") is None:
            pytest.skip("this store does not offer send generations (counts are never reused)")
        a = StoreContract.new_lead(store, "a1")
        box0, dom0, other0 = (
            gen("mailbox", "rep@sender.example"),
            gen("domain", "acme.com"),
            gen("domain", "beta.io"),
        )
        ok(store.apply([commit(a, actions=[email("s1", not_before=at(5))])]))
        box1, dom1 = gen("mailbox", "REP@sender.example"), gen("domain", "acme.com")
        assert box1 != box0 and dom1 != dom0
        assert gen("domain", "beta.io") == other0
        ok(store.apply([commit(a, events=[event(a, "e-unrelated")])]))
        assert (gen("mailbox", "rep@sender.example"), gen("domain", "acme.com")) == (box1, dom1)
        [row] = store.due_actions(at(5))
        from leadflow.state.records import Commit

        ok(store.apply([Commit(WS_A, "a1", finish_action=(row.seq, "sent", "p1"), at=at(5))]))
        assert gen("mailbox", "rep@sender.example") != box1
        box2 = gen("mailbox", "rep@sender.example")
        store.postpone_action(row.seq, until=at(50), error="later")  # no longer pending: nothing moves
        assert gen("mailbox", "rep@sender.example") in (box2, (box2 or 0) + 1)

    def test_send_changes_bring_earlier_counts_up_to_date(self, store: Store) -> None:
        """Counts read at one generation, patched with ``send_changes``, equal counting again:
        new sends, sends that go out, are suppressed, cancelled with a lost lead, or postponed."""
        from datetime import timedelta

        from leadflow.state.records import Commit
        from leadflow.state.sends import patch_first

        box = {"mailbox": "rep@sender.example"}
        if store.send_generation(WS_A, "mailbox", box["mailbox"]) is None:
            pytest.skip("this store does not offer send generations (counts are never reused)")
        step, buckets = timedelta(hours=1), 30
        a = StoreContract.new_lead(store, "a1")
        ok(store.apply([commit(a, actions=[email("s0"), email("s1", not_before=at(90))])]))
        generation = store.send_generation(WS_A, "mailbox", box["mailbox"])
        assert generation is not None
        before = store.send_count_series(WS_A, since=T0, step=step, buckets=buckets, **box)
        first_before = store.first_send_time(WS_A, box["mailbox"])

        ok(
            store.apply(
                [commit(a, actions=[email("s2", not_before=at(150)), email("s3", not_before=at(20))])]
            )
        )
        [due] = [r for r in store.due_actions(at(20)) if r.action.idempotency_key == "s0"]
        ok(store.apply([Commit(WS_A, "a1", finish_action=(due.seq, "sent", "250"), at=at(1))]))
        s3 = next(r for r in store.actions_for(WS_A, "a1") if r.action.idempotency_key == "s3")
        store.postpone_action(s3.seq, until=at(600), error="mailbox daily cap", count_attempt=False)
        s1 = next(r for r in store.actions_for(WS_A, "a1") if r.action.idempotency_key == "s1")
        ok(store.apply([Commit(WS_A, "a1", finish_action=(s1.seq, "suppressed", "lead_replied"), at=at(2))]))
        ok(store.apply([commit(a, events=[event(a, "unrelated")])]))

        found = store.send_changes(WS_A, "mailbox", "REP@sender.example", generation)
        assert found is not None
        now_generation, changes = found
        assert now_generation == store.send_generation(WS_A, "mailbox", box["mailbox"]) != generation
        after = store.send_count_series(WS_A, since=T0, step=step, buckets=buckets, **box)
        for i, (was, now) in enumerate(zip(before, after, strict=True)):
            mine = [c for c in changes if T0 + step * i <= c.at < T0 + step * (i + 1)]
            assert (was.sent + sum(c.sent for c in mine), was.scheduled + sum(c.scheduled for c in mine)) == (
                now.sent,
                now.scheduled,
            ), f"bucket {i}"
        assert (1, 0) in [(c.sent, c.scheduled) for c in after]  # s0 went out
        known, first = patch_first(first_before, changes)
        assert not known or first == store.first_send_time(WS_A, box["mailbox"])
        # nothing since: no changes; a generation the store never had: count again
        assert store.send_changes(WS_A, "mailbox", box["mailbox"], now_generation) == (now_generation, [])
        assert store.send_changes(WS_A, "mailbox", box["mailbox"], now_generation + 5) is None
        assert store.send_changes(WS_B, "mailbox", box["mailbox"], 0) == (0, [])

    def test_first_send_time_is_the_earliest_counted_send(self, store: Store) -> None:
        assert store.first_send_time(WS_A, "rep@sender.example") is None
        a = StoreContract.new_lead(store, "a1")
        ok(
            store.apply(
                [commit(a, actions=[email("late", not_before=at(300)), email("early", not_before=at(30))])]
            )
        )
        assert store.first_send_time(WS_A, "REP@sender.example") == at(30)
        assert (
            store.first_send_time(WS_A, "rep@sender.example")
            == store.send_counts(WS_A, mailbox="rep@sender.example").first
        )
        assert store.first_send_time(WS_B, "rep@sender.example") is None

    def test_a_series_equals_counting_bucket_by_bucket(self, store: Store) -> None:
        a = StoreContract.new_lead(store, "a1")
        sends = [email("now")] + [email(f"s{i}", not_before=at(i * 7 * 60)) for i in range(1, 12)]
        sends.append(email("elsewhere", sender="two@sender.example", not_before=at(60)))
        ok(store.apply([commit(a, actions=sends)]))
        from datetime import timedelta

        for key in ({"mailbox": "REP@sender.example"}, {"domain": "acme.com"}):
            for step, buckets in ((timedelta(days=1), 5), (timedelta(hours=1), 30)):
                series = store.send_count_series(WS_A, since=T0, step=step, buckets=buckets, **key)
                one_by_one = [
                    store.send_counts(WS_A, since=T0 + step * i, until=T0 + step * (i + 1), **key)
                    for i in range(buckets)
                ]
                assert series == one_by_one
                assert sum(c.total for c in series) > 0
        assert store.send_count_series(
            WS_B, mailbox="rep@sender.example", since=T0, step=timedelta(days=1), buckets=3
        ) == [
            SendCounts(),
            SendCounts(),
            SendCounts(),
        ]

    def test_counts_by_mailbox_and_domain_over_a_range(self, store: Store) -> None:
        a = StoreContract.new_lead(store, "a1")
        ok(
            store.apply(
                [
                    commit(
                        a,
                        actions=[
                            email("now"),  # due at once: counted at its created_at (T0)
                            email("later", not_before=at(90)),
                            email("tomorrow", not_before=at(24 * 60)),
                            email(
                                "other-box", sender="two@sender.example", to="bob@beta.io", not_before=at(10)
                            ),
                            OutboundAction(
                                kind=ActionKind.SEND_SMS, idempotency_key="sms", to="+14155550100", body="hi"
                            ),
                        ],
                    )
                ]
            )
        )
        day = {"since": T0, "until": at(24 * 60)}
        assert store.send_counts(WS_A, mailbox="rep@sender.example", **day) == SendCounts(0, 2, T0)
        assert store.send_counts(WS_A, mailbox="REP@sender.example") == SendCounts(0, 3, T0)
        assert store.send_counts(WS_A, mailbox="two@sender.example", **day) == SendCounts(0, 1, at(10))
        assert store.send_counts(WS_A, domain="acme.com", since=T0, until=at(60)) == SendCounts(0, 1, T0)
        assert store.send_counts(WS_A, domain="acme.com", since=at(60), until=at(120)).total == 1
        assert store.send_counts(WS_A, domain="beta.io", mailbox="rep@sender.example").total == 0
        assert store.send_counts(WS_A, mailbox="nobody@sender.example") == SendCounts()

    def test_sent_and_pending_count_suppressed_and_failed_do_not(self, store: Store) -> None:
        a = StoreContract.new_lead(store, "a1")
        ok(store.apply([commit(a, actions=[email("s1"), email("s2"), email("s3"), email("s4")])]))
        rows = store.actions_for(WS_A, "a1")
        ok(
            store.apply(
                [
                    commit(a, finish_action=(rows[0].seq, "sent", "250"), events=[event(a, "e1")]),
                    commit(
                        a, finish_action=(rows[1].seq, "suppressed", "lead_replied"), events=[event(a, "e2")]
                    ),
                    commit(a, finish_action=(rows[2].seq, "failed", "550"), events=[event(a, "e3")]),
                ]
            )
        )
        counts = store.send_counts(WS_A, mailbox="rep@sender.example")
        assert (counts.sent, counts.scheduled, counts.total) == (1, 1, 2)

    def test_rescheduling_moves_the_count_and_keeps_attempts(self, store: Store) -> None:
        a = StoreContract.new_lead(store, "a1")
        ok(store.apply([commit(a, actions=[email("s1", not_before=at(5))])]))
        [row] = store.actions_for(WS_A, "a1")
        assert (
            store.postpone_action(row.seq, until=at(24 * 60), error="mailbox daily cap", count_attempt=False)
            == 0
        )
        assert store.send_counts(WS_A, mailbox="rep@sender.example", since=T0, until=at(60)).total == 0
        assert store.send_counts(WS_A, mailbox="rep@sender.example", since=at(60)).first == at(24 * 60)
        [due] = store.due_actions(at(24 * 60))
        assert (due.attempts, due.action.not_before) == (0, at(24 * 60))

    def test_counts_are_scoped_by_workspace(self, store: Store) -> None:
        a = StoreContract.new_lead(store, "a1")
        b = StoreContract.new_lead(store, "b1", workspace_id=WS_B)
        ok(store.apply([commit(a, actions=[email("a-1")]), commit(b, actions=[email("b-1"), email("b-2")])]))
        assert store.send_counts(WS_A, mailbox="rep@sender.example").total == 1
        assert store.send_counts(WS_B, domain="acme.com").total == 2

    def test_bad_queries_are_refused(self, store: Store) -> None:
        with pytest.raises(InvalidInput):
            store.send_counts(WS_A)
        with pytest.raises(InvalidInput):
            store.send_counts(WS_A, mailbox="rep@sender.example", since=datetime(2026, 1, 1))
        assert (
            store.send_counts(WS_A, domain="acme.com", since=datetime(2026, 1, 1, tzinfo=UTC)) == SendCounts()
        )


class TestMemorySendCounts(SendCountsContract):
    def make_store(self) -> Store:
        return MemoryStore()


class TestSqliteSendCounts(SendCountsContract):
    @pytest.fixture(autouse=True)
    def _db_file(self, tmp_path: Path) -> None:
        self.url = f"sqlite:///{tmp_path / 'leadflow.db'}"

    def make_store(self) -> Store:
        return SqlStore(self.url)

    def test_counts_survive_reopening(self, store: Store) -> None:
        a = StoreContract.new_lead(store, "a1")
        ok(store.apply([commit(a, actions=[email("s1", not_before=at(5))])]))
        store.close()
        reopened = self.make_store()
        try:
            assert reopened.send_counts(WS_A, mailbox="rep@sender.example").first == at(5)
        finally:
            reopened.close()

    def test_migration_0002_backfills_a_database_from_before_it(self) -> None:
        from sqlalchemy import create_engine, select, text

        from leadflow.state import schema
        from leadflow.state.migrate import upgrade

        engine = create_engine(self.url)
        try:
            upgrade(engine, "0001")
            with engine.begin() as conn:  # the actions table as 0.1 had it
                for name in ("ix_actions_mailbox_at", "ix_actions_domain_at"):  # 0001 made today's
                    conn.execute(text(f"DROP INDEX {name}"))
                conn.execute(text("ALTER TABLE actions DROP COLUMN mailbox"))
                conn.execute(text("ALTER TABLE actions DROP COLUMN domain"))
                conn.execute(
                    text(
                        "INSERT INTO actions (idempotency_key, workspace_id, lead_id, kind, status, attempts, created_at, doc)"
                        " VALUES ('k1', 'ws-a', 'a1', 'send_email', 'pending', 0, '2025-03-03 09:00:00.000000', :doc)"
                    ),
                    {"doc": email("k1").model_dump_json()},
                )
            upgrade(engine)
            with engine.connect() as conn:
                row = conn.execute(select(schema.actions.c.mailbox, schema.actions.c.domain)).one()
                assert tuple(row) == ("rep@sender.example", "acme.com")
                if engine.dialect.name == "sqlite":  # 0003 put the send-time indexes back, 0002's are gone
                    names = set(
                        conn.execute(text("SELECT name FROM sqlite_master WHERE type = 'index'")).scalars()
                    )
                    assert {"ix_actions_mailbox_at", "ix_actions_domain_at"} <= names
                    assert not {"ix_actions_mailbox", "ix_actions_domain"} & names
                    plan = " ".join(
                        str(r[-1])
                        for r in conn.execute(
                            text(
                                "EXPLAIN QUERY PLAN SELECT count(*) FROM actions WHERE workspace_id = 'w'"
                                " AND mailbox = 'm' AND coalesce(not_before, created_at) >= '2025-01-01'"
                            )
                        )
                    )
                    assert "ix_actions_mailbox_at" in plan
            store = SqlStore(self.url)
            try:
                assert store.send_counts(WS_A, domain="acme.com").total == 1
            finally:
                store.close()
        finally:
            engine.dispose()


@pytest.mark.postgres
class TestPostgresSendCounts(SendCountsContract):
    @pytest.fixture(autouse=True)
    def _clean_schema(self, contract_db_url: str) -> None:  # noqa: F811 - the imported fixture
        self.url = contract_db_url
        empty_schema(contract_db_url)

    def make_store(self) -> Store:
        return SqlStore(self.url)
