"""The ``SecretStore`` contract: webhook secrets per workspace and source, for every backend."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from leadflow.exceptions import Conflict
from leadflow.integrations.webhooks import SecretStore, WebhookSecret, create_secret, secret_store_for
from leadflow.state.base import Store

T0 = datetime(2025, 3, 3, 9, 0, tzinfo=UTC)


class SecretStoreContract:
    def make_store(self) -> Store:
        raise NotImplementedError

    @pytest.fixture
    def store(self) -> Iterator[Store]:
        s = self.make_store()
        yield s
        s.close()

    @pytest.fixture
    def secrets(self, store: Store) -> SecretStore:
        return secret_store_for(store)

    def test_one_store_per_lead_store(self, store: Store, secrets: SecretStore) -> None:
        assert secret_store_for(store) is secrets

    def test_created_secrets_are_listed_by_workspace_and_source(self, secrets: SecretStore) -> None:
        a = create_secret(secrets, "ws-a", "leads", now=T0)
        b = create_secret(secrets, "ws-a", "replies", now=T0 + timedelta(seconds=1))
        other = create_secret(secrets, "ws-b", "leads", now=T0)
        assert a.secret.startswith("whsec_") and len(a.secret) > 40 and a.secret != b.secret
        assert secrets.list_secrets("ws-a") == [a, b]
        assert secrets.list_secrets("ws-a", "leads") == [a]
        assert secrets.list_secrets("ws-b") == [other]
        assert secrets.list_secrets("ws-c") == []

    def test_revoked_secrets_are_not_active(self, secrets: SecretStore) -> None:
        a = create_secret(secrets, "ws-a", "leads", now=T0)
        b = create_secret(secrets, "ws-a", "leads", now=T0 + timedelta(seconds=1))
        assert not secrets.revoke_secret("ws-b", a.secret_id, T0)  # another workspace's: no
        assert secrets.revoke_secret("ws-a", a.secret_id, T0 + timedelta(hours=1))
        assert not secrets.revoke_secret("ws-a", a.secret_id, T0 + timedelta(hours=2))  # already revoked
        assert not secrets.revoke_secret("ws-a", "whk_unknown", T0)
        assert secrets.list_secrets("ws-a", "leads") == [b]
        [revoked, active] = secrets.list_secrets("ws-a", "leads", include_revoked=True)
        assert revoked.secret_id == a.secret_id and revoked.revoked_at == T0 + timedelta(hours=1)
        assert not revoked.active and active.active

    def test_a_taken_id_is_a_conflict(self, secrets: SecretStore) -> None:
        secret = WebhookSecret(secret_id="whk_1", workspace_id="ws-a", source="leads", secret="s", created_at=T0)
        secrets.add_secret(secret)
        with pytest.raises(Conflict):
            secrets.add_secret(secret)

    def test_forget_keys_drops_the_claims_of_a_range_of_scopes(self, store: Store) -> None:
        """What the webhook guard uses to forget replay claims older than any window."""
        for scope in ("webhook-signature:000000001", "webhook-signature:000000002", "webhook-signature:000000003",
                      "reply"):
            assert store.claim_key(scope, "k")
        assert store.forget_keys("webhook-signature:000000000", "webhook-signature:000000003") == 2
        assert store.claim_key("webhook-signature:000000001", "k")  # forgotten: claimable again
        assert not store.claim_key("webhook-signature:000000003", "k")  # the range's end is kept
        assert not store.claim_key("reply", "k")  # and other scopes are untouched
