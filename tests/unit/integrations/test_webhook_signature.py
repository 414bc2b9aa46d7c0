"""The generic ``X-Leadflow-Signature`` verifier and its signing helper, without a store or an API."""

from __future__ import annotations

import hashlib
import hmac
from datetime import UTC, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from leadflow.integrations.webhooks import HEADER, LeadflowSignature, WebhookRefused, WebhookSecret, sign

NOW = 1_700_000_000
BODY = b'{"lead_id": "L-1", "text": "yes please"}'


def secret(value: str, secret_id: str = "whk_1") -> WebhookSecret:
    return WebhookSecret(secret_id=secret_id, workspace_id="ws", source="replies", secret=value,
                         created_at=datetime(2025, 1, 1, tzinfo=UTC))


def verify(header: str | None, *secrets: WebhookSecret, body: bytes = BODY, now: float = NOW) -> str:
    headers = {} if header is None else {HEADER.lower(): header}
    return LeadflowSignature().verify(headers, body, list(secrets), now=now, tolerance=300).secret_id


def test_the_documented_formula() -> None:
    expected = hmac.new(b"whsec_a", f"{NOW}.".encode() + BODY, hashlib.sha256).hexdigest()
    assert sign("whsec_a", BODY, NOW) == f"t={NOW},v1={expected}"
    assert sign(["whsec_a", "whsec_b"], BODY, NOW).count("v1=") == 2


def test_any_v1_matching_any_secret_is_accepted() -> None:
    old, new = secret("whsec_old", "whk_old"), secret("whsec_new", "whk_new")
    assert verify(sign(["whsec_old", "whsec_new"], BODY, NOW), old, new) == "whk_old"
    assert verify(sign("whsec_new", BODY, NOW), old, new) == "whk_new"
    assert verify(f" t={NOW}, v1={'f' * 64}, " + sign("whsec_new", BODY, NOW).split(",")[1], new) == "whk_new"
    assert verify(sign("whsec_new", BODY, NOW).upper().replace("T=", "t=").replace("V1=", "v1="), new) == "whk_new"


@pytest.mark.parametrize(("header", "reason"), [
    (None, "missing"),
    ("", "missing"),
    ("v1=" + "0" * 64, "malformed"),
    (f"t={NOW}", "malformed"),
    (f"t=-{NOW},v1=00", "malformed"),
    (f"t={NOW},t={NOW},v1=00", "malformed"),
    ("t=１７,v1=00", "malformed"),  # non-ASCII digits
    ("t=" + "9" * 40 + ",v1=00", "malformed"),
    (f"t={NOW}," + ",".join(["v1=00"] * 9), "malformed"),
    (f"t={NOW},v1=" + "a" * 3000, "malformed"),
    ("garbage", "malformed"),
    (f"t={NOW},v1={'0' * 64}", "mismatch"),
    (f"t={NOW},v1=zz\u00e9", "mismatch"),
    (sign("whsec_a", BODY, NOW - 301), "stale"),
    (sign("whsec_a", BODY, NOW + 301), "stale"),
    (sign("whsec_a", BODY + b" ", NOW), "mismatch"),
    (sign("whsec_b", BODY, NOW), "mismatch"),
])
def test_refusals_say_why(header: str | None, reason: str) -> None:
    with pytest.raises(WebhookRefused) as caught:
        verify(header, secret("whsec_a"))
    assert caught.value.reason == reason


def test_a_v0_or_v2_next_to_v1_is_ignored() -> None:
    header = sign("whsec_a", BODY, NOW) + ",v0=legacy,v2=future"
    assert verify(header, secret("whsec_a")) == "whk_1"


def test_the_public_names_are_pinned() -> None:
    import leadflow.integrations.webhooks as webhooks

    assert sorted(webhooks.__all__) == [
        "HEADER", "LeadflowSignature", "SOURCES", "SecretStore", "VERIFIERS", "Verified", "WebhookGuard",
        "WebhookRefused", "WebhookSecret", "WebhookVerifier", "check_source", "create_secret", "secret_store_for",
        "sign",
    ]
    assert all(hasattr(webhooks, name) for name in webhooks.__all__)
    assert set(webhooks.VERIFIERS) == {"leadflow"}  # one class per documented format; integrations add theirs


@settings(max_examples=300, deadline=None)
@given(header=st.text(max_size=300) | st.builds(lambda t, v: f"t={t},v1={v}", st.integers(-10, 10**13),
                                                  st.text(max_size=80)),
       body=st.binary(max_size=200))
def test_any_header_is_refused_with_a_reason_never_an_error(header: str, body: bytes) -> None:
    """Whatever a client sends in the header, the verifier answers WebhookRefused (401), not a crash."""
    with pytest.raises(WebhookRefused) as caught:
        verify(header, secret("whsec_a"), body=body)
    assert caught.value.reason in {"missing", "malformed", "mismatch", "stale"}
