"""The generic format: ``X-Leadflow-Signature: t=<unix seconds>,v1=<hex>[,v1=<hex>...]``.

``v1`` is ``hex(hmac_sha256(secret, f"{t}.{raw body}"))``: the timestamp is signed with the
body, so a captured request cannot be re-dated. A sender rotating its secret sends one ``v1``
per secret it holds; a request is accepted when any ``v1`` matches any of the source's active
secrets. ``sign`` builds the header (senders and tests use it).
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterable, Mapping, Sequence

from leadflow.integrations.webhooks.base import Verified, WebhookRefused, WebhookSecret, WebhookVerifier

HEADER = "X-Leadflow-Signature"
MAX_HEADER = 2048  # a few signatures; anything longer is not one of ours
MAX_SIGNATURES = 8


def signature(secret: str, timestamp: int, body: bytes) -> str:
    """The ``v1`` value: hex HMAC-SHA256 of ``f"{timestamp}."`` followed by the raw body."""
    return hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()


def sign(secrets: str | Iterable[str], body: bytes, timestamp: int) -> str:
    """The ``X-Leadflow-Signature`` header value for ``body`` sent at ``timestamp``, signed with
    each of ``secrets`` (one ``v1`` each: old and new while rotating)."""
    keys = [secrets] if isinstance(secrets, str) else list(secrets)
    return ",".join([f"t={timestamp}", *(f"v1={signature(k, timestamp, body)}" for k in keys)])


def parse(value: str) -> tuple[int, list[str]]:
    """``(t, [v1, ...])`` from a header value; ``WebhookRefused("malformed")`` when it is not one."""
    if len(value) > MAX_HEADER:
        raise WebhookRefused(f"{HEADER} is longer than {MAX_HEADER} characters", reason="malformed")
    timestamp: int | None = None
    signatures: list[str] = []
    for part in value.split(","):
        key, sep, item = part.strip().partition("=")
        if not sep:
            raise WebhookRefused(f"{HEADER} must be t=<unix seconds>,v1=<hex>", reason="malformed")
        if key == "t":
            if timestamp is not None or not item.isascii() or not item.isdigit() or len(item) > 12:
                raise WebhookRefused(f"{HEADER} needs one t=<unix seconds>", reason="malformed")
            timestamp = int(item)
        elif key == "v1":
            signatures.append(item.lower())
        # other schemes (v0, v2, ...) are ignored, so senders can add one before we check it
    if timestamp is None or not signatures:
        raise WebhookRefused(f"{HEADER} must carry t=<unix seconds> and at least one v1=<hex>",
                             reason="malformed")
    if len(signatures) > MAX_SIGNATURES:
        raise WebhookRefused(f"{HEADER} carries more than {MAX_SIGNATURES} signatures", reason="malformed")
    return timestamp, signatures


class LeadflowSignature(WebhookVerifier):
    """Verifies the generic ``X-Leadflow-Signature`` header."""

    format = "leadflow"
    header = HEADER

    def verify(self, headers: Mapping[str, str], body: bytes, secrets: Sequence[WebhookSecret], *,
               now: float, tolerance: float) -> Verified:
        value = headers.get(self.header) or headers.get(self.header.lower())
        if not value:
            raise WebhookRefused(f"missing {HEADER} header: this source's webhooks must be signed",
                                 reason="missing")
        timestamp, given = parse(value)
        if abs(now - timestamp) > tolerance:
            raise WebhookRefused(f"{HEADER} timestamp is {int(now - timestamp)} s from now, outside the "
                                 f"{int(tolerance)} s tolerance", reason="stale")
        match: str | None = None
        for secret in secrets:
            expected = signature(secret.secret, timestamp, body).encode()
            for candidate in given:
                # every pair is compared, so the time taken does not say which one matched
                if hmac.compare_digest(expected, candidate.encode()) and match is None:
                    match = secret.secret_id
        if match is None:
            raise WebhookRefused(f"{HEADER} does not match the body with any of this source's secrets",
                                 reason="mismatch")
        return Verified(timestamp=timestamp, secret_id=match)
