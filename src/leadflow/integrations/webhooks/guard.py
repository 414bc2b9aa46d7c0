"""``WebhookGuard``: whether one webhook request may in, given its workspace's secrets and the policy.

The rule, for a request to source ``S`` of workspace ``W`` (``S`` is the endpoint: ``leads``
for ``POST /v1/leads``, ``replies`` for ``POST /v1/replies``):

* ``W`` holds an active secret for ``S``: the request must carry a valid signature in that
  secret's format, signed within ``tolerance`` seconds of now, not seen before;
* it holds none: the request is let in unsigned, unless ``require`` (``--require-signatures``,
  ``LEADFLOW_REQUIRE_SIGNATURES=1``) says every webhook must be signed.

A replay is the same signed timestamp and body again: each accepted one is claimed in the
store (``Store.claim_key``), so every API process on the database refuses it after the first.
A request outside the window is refused as stale, so a claim older than the window is never
needed again: claims are scoped by the hour of their timestamp, and the hours no window can
reach any more are forgotten (``Store.forget_keys``, once an hour per store and process).
"""

from __future__ import annotations

import hashlib
import re
import secrets as random
import threading
from collections.abc import Mapping, Sequence
from datetime import datetime
from weakref import WeakKeyDictionary

from leadflow.exceptions import InvalidInput
from leadflow.integrations.webhooks.base import (
    SecretStore,
    Verified,
    WebhookRefused,
    WebhookSecret,
    WebhookVerifier,
)
from leadflow.integrations.webhooks.generic import LeadflowSignature
from leadflow.state.base import Store

VERIFIERS: dict[str, WebhookVerifier] = {v.format: v for v in (LeadflowSignature(),)}
"""The signature formats leadflow checks, by name; an integration adds its own here."""

SOURCES = ("leads", "replies")
"""The API's webhook sources: one per endpoint."""

REPLAY_SCOPE = "webhook-signature"
BUCKET = 3600  # seconds of signed timestamps per replay scope; no tolerance is longer (Settings: le=3600)
_forgotten: WeakKeyDictionary[Store, int] = WeakKeyDictionary()  # the bucket below which a store forgot
_forgotten_lock = threading.Lock()
_SOURCE = re.compile(r"^[a-z0-9][a-z0-9_.-]{0,63}$")


def replay_scope(timestamp: int) -> str:
    """The ``claim_key`` scope of signatures made at ``timestamp``: one per hour, fixed width, so
    scopes sort as their hours do and old hours are forgotten with one range."""
    return f"{REPLAY_SCOPE}:{max(0, timestamp) // BUCKET:09d}"


def check_source(source: str) -> str:
    """``source`` when it is a valid source name (1-64 of a-z, 0-9, ``_ . -``); else ``InvalidInput``."""
    if not _SOURCE.match(source):
        raise InvalidInput(f"invalid webhook source {source!r}: use 1-64 of a-z, 0-9, '_', '.', '-'")
    return source


def create_secret(secrets: SecretStore, workspace_id: str, source: str, *, now: datetime,
                  format: str = "leadflow") -> WebhookSecret:
    """A new random secret for ``source`` of ``workspace_id``, kept in ``secrets`` and returned
    (the only time it is shown)."""
    check_source(source)
    if format not in VERIFIERS:
        raise InvalidInput(f"unknown signature format {format!r}; known: {', '.join(sorted(VERIFIERS))}")
    secret = WebhookSecret(secret_id="whk_" + random.token_hex(6), workspace_id=workspace_id, source=source,
                           secret="whsec_" + random.token_urlsafe(32), created_at=now, format=format)
    secrets.add_secret(secret)
    return secret


def _claim(workspace_id: str, source: str, verified: Verified, body: bytes) -> tuple[str, str]:
    """The ``claim_key`` (scope, key) of an accepted signed request."""
    digest = hashlib.sha256(body).hexdigest()
    return replay_scope(verified.timestamp), f"{workspace_id}:{source}:{verified.timestamp}:{digest}"


class WebhookGuard:
    """Checks webhook requests against the secrets in ``secrets`` and claims them in ``store``."""

    def __init__(self, store: Store, secrets: SecretStore, *, tolerance: float = 300.0, require: bool = False,
                 verifiers: Mapping[str, WebhookVerifier] | None = None) -> None:
        self.store = store
        self.secrets = secrets
        self.tolerance = tolerance
        self.require = require
        self.verifiers = VERIFIERS if verifiers is None else verifiers

    def check(self, workspace_id: str, source: str, headers: Mapping[str, str], body: bytes, *,
              now: datetime) -> Verified | None:
        """The accepted signature, ``None`` for an unsigned request the policy lets in, or
        ``WebhookRefused``."""
        held = self.secrets.list_secrets(workspace_id, source)
        if not held:
            if self.require:
                raise WebhookRefused(f"signatures are required and workspace {workspace_id!r} has no webhook "
                                     f"secret for source {source!r}: create one with `leadflow webhooks secret "
                                     f"create --workspace {workspace_id} --source {source}`", reason="no_secret")
            return None
        verified = self._verify(headers, body, held, now=now.timestamp())
        if not self.store.claim_key(*_claim(workspace_id, source, verified, body)):
            raise WebhookRefused("this signed request was accepted before (a replay)", reason="replayed")
        self._forget_old(now.timestamp())
        return verified

    def release(self, workspace_id: str, source: str, verified: Verified, body: bytes) -> None:
        """Forget the claim ``check`` made: the request failed, so the sender's retry is no replay."""
        self.store.release_key(*_claim(workspace_id, source, verified, body))

    def _forget_old(self, now: float) -> None:
        """Forget the claims of hours whose every timestamp is now stale (for any tolerance)."""
        below = int(now - BUCKET) // BUCKET  # a timestamp in an earlier bucket is over an hour old
        with _forgotten_lock:
            if _forgotten.get(self.store, -1) >= below:
                return
            _forgotten[self.store] = below
        self.store.forget_keys(replay_scope(0), replay_scope(below * BUCKET))

    def _verify(self, headers: Mapping[str, str], body: bytes, held: Sequence[WebhookSecret], *,
                now: float) -> Verified:
        refusal: WebhookRefused | None = None
        for name in dict.fromkeys(s.format for s in held):  # formats in the order their secrets came
            verifier = self.verifiers.get(name)
            if verifier is None:
                continue
            if not (headers.get(verifier.header) or headers.get(verifier.header.lower())):
                continue
            try:
                return verifier.verify(headers, body, [s for s in held if s.format == name], now=now,
                                       tolerance=self.tolerance)
            except WebhookRefused as exc:
                refusal = refusal or exc
        if refusal is not None:
            raise refusal
        wanted = " or ".join(sorted({self.verifiers[s.format].header for s in held if s.format in self.verifiers}))
        raise WebhookRefused(f"missing {wanted or 'signature'} header: this source's webhooks must be signed",
                             reason="missing")
