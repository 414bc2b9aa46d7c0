"""``leadflow.auth``'s public names, the role table, the key format and the verified-key cache."""

from __future__ import annotations

import pytest

import leadflow.auth
from leadflow.auth import PERMISSIONS, KeyRing, Role, allows
from leadflow.auth import keyring as keyring_module
from leadflow.auth.keys import (
    AGENTS_READ,
    AUDIT_READ,
    CAMPAIGNS_READ,
    CAMPAIGNS_WRITE,
    KEYS_MANAGE,
    LEADS_READ,
    LEADS_WRITE,
    OUTCOMES_WRITE,
    REPLIES_WRITE,
    SERVICE_READ,
    format_key,
    hash_secret,
    new_key_id,
    new_secret,
    parse_key,
    verify_secret,
)
from leadflow.exceptions import InvalidInput
from leadflow.state import MemoryStore


def test_public_names_are_pinned() -> None:
    assert leadflow.auth.__all__ == [
        "PERMISSIONS", "ApiKey", "AuditEntry", "AuthStore", "KeyRing", "Principal", "Role", "Verdict", "allows",
        "audit", "auth_store_for", "check_workspace", "cli_actor", "keyring_for",
    ]


def test_the_role_table() -> None:
    data = {LEADS_READ, LEADS_WRITE, REPLIES_WRITE, OUTCOMES_WRITE, AGENTS_READ, CAMPAIGNS_READ, CAMPAIGNS_WRITE}
    assert PERMISSIONS[Role.ADMIN] == data | {SERVICE_READ, KEYS_MANAGE, AUDIT_READ}
    assert PERMISSIONS[Role.MEMBER] == data | {SERVICE_READ}
    assert PERMISSIONS[Role.VIEWER] == {LEADS_READ, AGENTS_READ, SERVICE_READ, CAMPAIGNS_READ}
    assert PERMISSIONS[Role.INGEST] == {LEADS_WRITE, REPLIES_WRITE, SERVICE_READ}
    assert not allows(Role.INGEST, LEADS_READ) and not allows(Role.VIEWER, LEADS_WRITE)
    assert Role.parse(" Admin ") is Role.ADMIN
    with pytest.raises(InvalidInput, match="unknown role"):
        Role.parse("owner")


def test_key_format_and_hash() -> None:
    key_id, secret = new_key_id(), new_secret()
    key = format_key(key_id, secret)
    assert key.startswith("lf_") and parse_key(key) == (key_id, secret) and parse_key(f" {key}\n") == (key_id, secret)
    assert parse_key(key.replace("lf_", "sk_")) is None and parse_key(f"lf_{key_id}_short") is None
    stored = hash_secret(secret)
    assert stored.startswith("$argon2id$") and secret not in stored
    assert verify_secret(stored, secret) and not verify_secret(stored, secret + "x")
    assert not verify_secret("not a hash", secret)


def test_a_verified_key_is_cached_under_its_digest(monkeypatch: pytest.MonkeyPatch) -> None:
    ring = KeyRing(MemoryStore())
    _, key = ring.create("ws-a", "viewer", actor="tests")
    calls: list[str] = []
    real = keyring_module.verify_secret
    monkeypatch.setattr(keyring_module, "verify_secret", lambda h, s: calls.append(s) or real(h, s))
    for _ in range(5):
        assert ring.check(key).key is not None
    assert len(calls) == 1  # one argon2 verify, then the cache
    assert key not in repr(ring._cache) and all(len(d) == 32 for d in ring._cache)  # SHA-256 digests only
    for _ in range(3):
        assert ring.check(key[:-1] + ("A" if key[-1] != "A" else "B")).key is None
    assert len(calls) == 4  # wrong secrets are never cached as good
