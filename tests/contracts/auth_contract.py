"""The auth-store contract: every ``AuthStore`` backend keeps keys and the audit log alike.

A backend's module subclasses ``AuthStoreContract`` and implements ``make_store`` (a lead
store; the auth store is the one ``auth_store_for`` puts beside it). Scenarios go through
``KeyRing`` and ``audit()`` as the API and the CLI do, and through the ``AuthStore`` methods.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from leadflow.auth import AuditEntry, KeyRing, Role, audit, auth_store_for
from leadflow.auth.keys import ApiKey, format_key, parse_key
from leadflow.exceptions import Conflict, InvalidInput, NotFound
from leadflow.state.base import Store

T0 = datetime(2025, 3, 3, 9, 0, tzinfo=UTC)


class AuthStoreContract:
    def make_store(self) -> Store:
        raise NotImplementedError

    @pytest.fixture
    def store(self) -> Iterator[Store]:
        s = self.make_store()
        try:
            yield s
        finally:
            s.close()

    def test_a_created_key_checks_and_only_its_hash_is_kept(self, store: Store) -> None:
        ring = KeyRing(store)
        record, key = ring.create("ws-a", "member", name="zapier", actor="cli:ann")
        assert key.startswith(f"lf_{record.key_id}_") and parse_key(key) == (record.key_id, key.split("_", 2)[2])
        stored = auth_store_for(store).get_key(record.key_id)
        assert stored is not None and stored.role is Role.MEMBER and stored.workspace_id == "ws-a"
        assert stored.name == "zapier" and not stored.revoked
        secret = key.split("_", 2)[2]
        assert secret not in stored.secret_hash and stored.secret_hash.startswith("$argon2")
        verdict = ring.check(key)
        assert verdict.reason == "ok" and verdict.key is not None and verdict.key.key_id == record.key_id

    def test_wrong_unknown_and_malformed_keys_are_refused(self, store: Store) -> None:
        ring = KeyRing(store)
        record, key = ring.create("ws-a", Role.VIEWER, actor="cli:ann")
        wrong = ring.check(format_key(record.key_id, "x" * 43))
        assert wrong.key is None and wrong.reason == "wrong secret" and wrong.claimed is not None
        assert ring.check(format_key("0" * 16, "x" * 43)).reason == "unknown"
        for junk in ("", "Bearer", key + "\x00", key[:-1] + "!", "lf_" + record.key_id):
            assert ring.check(junk).key is None

    def test_revoke_stops_a_key_at_once_in_process_and_keeps_it_listed(self, store: Store) -> None:
        ring = KeyRing(store, ttl=3600)
        record, key = ring.create("ws-a", "admin", actor="cli:ann")
        assert ring.check(key).key is not None  # now cached
        revoked = ring.revoke(record.key_id, actor="cli:bob")
        assert revoked.revoked_at is not None
        assert ring.check(key).reason == "revoked"
        again = ring.revoke(record.key_id, actor="cli:bob")
        assert again.revoked_at == revoked.revoked_at
        assert [k.key_id for k in ring.list("ws-a")] == [record.key_id]
        with pytest.raises(NotFound):
            ring.revoke("0" * 16, actor="cli:bob")
        with pytest.raises(NotFound):
            ring.revoke("../etc", actor="cli:bob")

    def test_a_cached_key_revoked_elsewhere_stops_after_the_ttl(self, store: Store) -> None:
        clock = [0.0]
        ring = KeyRing(store, ttl=10, monotonic=lambda: clock[0])
        record, key = ring.create("ws-a", "admin", actor="cli:ann")
        assert ring.check(key).key is not None
        auth_store_for(store).revoke_key(record.key_id, T0)  # another process's revoke
        assert ring.check(key).key is not None  # still cached
        clock[0] = 11.0
        assert ring.check(key).reason == "revoked"

    def test_keys_are_listed_per_workspace(self, store: Store) -> None:
        ring = KeyRing(store)
        a1, _ = ring.create("ws-a", "admin", actor="cli:ann")
        b1, _ = ring.create("ws-b", "ingest", actor="cli:ann")
        a2, _ = ring.create("ws-a", "viewer", actor="cli:ann")
        assert [k.key_id for k in ring.list("ws-a")] == [a1.key_id, a2.key_id]
        assert [k.key_id for k in ring.list("ws-b")] == [b1.key_id]
        assert {k.key_id for k in ring.list()} == {a1.key_id, a2.key_id, b1.key_id}

    def test_bad_roles_and_workspaces_are_refused(self, store: Store) -> None:
        ring = KeyRing(store)
        with pytest.raises(InvalidInput, match="role"):
            ring.create("ws-a", "root", actor="cli:ann")
        for ws in ("", "../etc", "a" * 65, "a b"):
            with pytest.raises(InvalidInput, match="workspace"):
                ring.create(ws, "admin", actor="cli:ann")
        assert ring.list() == []

    def test_a_duplicate_key_id_is_a_conflict(self, store: Store) -> None:
        auth = auth_store_for(store)
        key = ApiKey(key_id="a" * 16, workspace_id="ws-a", role=Role.ADMIN, name="", secret_hash="h",
                     created_at=T0)
        auth.add_key(key)
        with pytest.raises(Conflict):
            auth.add_key(key)

    def test_last_use_is_recorded(self, store: Store) -> None:
        ring = KeyRing(store, now=lambda: T0)
        record, key = ring.create("ws-a", "ingest", actor="cli:ann")
        assert record.last_used_at is None
        ring.check(key)
        stored = auth_store_for(store).get_key(record.key_id)
        assert stored is not None and stored.last_used_at == T0 and stored.created_at == T0

    def test_audit_entries_are_kept_per_workspace_newest_first(self, store: Store) -> None:
        first = audit(store, actor="key:k1", role="member", action="lead.create", workspace="ws-a",
                      target=("lead", "L-1"), at=T0)
        audit(store, actor="cli:ann", action="person.erase", workspace="ws-b", target=("person", "h"),
              at=T0 + timedelta(seconds=1))
        last = audit(store, actor="key:k1", role="member", action="outcome.record", workspace="ws-a",
                     target=("lead", "L-1"), result="not_found", detail="no lead", at=T0 + timedelta(seconds=2))
        assert last.id > first.id
        entries = auth_store_for(store).list_audit("ws-a")
        assert entries == [last, first]
        assert entries[0] == AuditEntry(workspace_id="ws-a", at=T0 + timedelta(seconds=2), actor="key:k1",
                                        action="outcome.record", result="not_found", role="member",
                                        target_kind="lead", target_id="L-1", detail="no lead", id=last.id)
        assert [e.action for e in auth_store_for(store).list_audit("ws-b")] == ["person.erase"]
        assert auth_store_for(store).list_audit("ws-a", limit=1) == [last]

    def test_key_operations_are_audited(self, store: Store) -> None:
        ring = KeyRing(store)
        record, _ = ring.create("ws-a", "viewer", actor="cli:ann")
        ring.revoke(record.key_id, actor="cli:bob")
        entries = auth_store_for(store).list_audit("ws-a")
        assert [(e.action, e.actor, e.target_kind, e.target_id) for e in entries] == [
            ("key.revoke", "cli:bob", "key", record.key_id),
            ("key.create", "cli:ann", "key", record.key_id),
        ]
