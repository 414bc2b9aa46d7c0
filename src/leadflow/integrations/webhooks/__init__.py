"""Signed webhooks: verifiers of documented signature formats, the secrets they use, and the guard.

``LeadflowSignature`` checks the generic ``X-Leadflow-Signature: t=...,v1=...`` header and
``sign`` makes one; ``WebhookGuard`` applies the policy (secrets per workspace and source, a
tolerance window, replays refused); ``secret_store_for`` finds where a lead store's secrets
are kept. ``leadflow webhooks secret create|list|revoke`` manages them; the API checks them
on ``POST /v1/leads`` and ``POST /v1/replies`` (``leadflow.api.signatures``).
"""

from __future__ import annotations

from leadflow.integrations.webhooks._backends import secret_store_for
from leadflow.integrations.webhooks.base import (
    SecretStore,
    Verified,
    WebhookRefused,
    WebhookSecret,
    WebhookVerifier,
)
from leadflow.integrations.webhooks.generic import HEADER, LeadflowSignature, sign
from leadflow.integrations.webhooks.guard import SOURCES, VERIFIERS, WebhookGuard, check_source, create_secret

__all__ = [
    "HEADER",
    "SOURCES",
    "VERIFIERS",
    "LeadflowSignature",
    "SecretStore",
    "Verified",
    "WebhookGuard",
    "WebhookRefused",
    "WebhookSecret",
    "WebhookVerifier",
    "check_source",
    "create_secret",
    "secret_store_for",
    "sign",
]
