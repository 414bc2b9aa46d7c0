"""A webhook secret's value never shows in its repr (a log line or a traceback that prints the
record), as an API key's hash does not."""

from __future__ import annotations

from datetime import UTC, datetime

from leadflow.integrations.webhooks import WebhookSecret


def test_the_secret_is_not_in_the_repr() -> None:
    s = WebhookSecret(secret_id="whk_1", workspace_id="default", source="leads", secret="whsec_TOPSECRET",
                      created_at=datetime(2024, 1, 1, tzinfo=UTC))
    assert "TOPSECRET" not in repr(s) and "TOPSECRET" not in str(s)
    assert "whk_1" in repr(s)
