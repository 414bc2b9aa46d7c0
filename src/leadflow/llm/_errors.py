"""Translate pydantic-ai and provider exceptions into leadflow's exception tree.

::

    pydantic-ai / provider                         leadflow            retried?
    ModelAuthenticationError, HTTP 401/403         AuthFailed          no
    ModelRateLimitError, HTTP 429                  RateLimited         yes
    ModelServerError, ModelUnavailableError, 5xx   ModelFailure        yes
    ModelConnectionError, ModelTimeoutError        ModelFailure        yes
    ModelRequestTimeout, RunTimedOut, TimeoutError ModelFailure        yes
    ModelQuotaExceededError                        ModelFailure        no (waiting will not help)
    ModelRequestRejectedError, other HTTP 4xx      ModelFailure        no
    UnexpectedModelBehavior (malformed, refusal)   ModelFailure        no (pydantic-ai retried it)
    UserError                                      ConfigError         no
    anything else                                  ModelFailure        no
"""

from __future__ import annotations

from collections.abc import Sequence

from pydantic_ai.exceptions import (
    ModelAPIError,
    ModelAuthenticationError,
    ModelConnectionError,
    ModelHTTPError,
    ModelQuotaExceededError,
    ModelRateLimitError,
    ModelRequestRejectedError,
    ModelRequestTimeout,
    ModelServerError,
    ModelTimeoutError,
    ModelUnavailableError,
    UnexpectedModelBehavior,
    UsageLimitExceeded,
    UserError,
)

from leadflow.exceptions import AuthFailed, ConfigError, LeadflowError, ModelFailure, RateLimited, Unavailable

__all__ = ["Translated", "redact", "translate"]

Translated = tuple[LeadflowError, bool]
"""A leadflow exception and whether another attempt may succeed."""

_MAX_DETAIL = 300


def redact(text: str, secrets: Sequence[str]) -> str:
    """Replace every secret in ``text`` with ``***`` and cut it to a readable length."""
    for secret in secrets:
        if secret:
            text = text.replace(secret, "***")
    return text if len(text) <= _MAX_DETAIL else text[: _MAX_DETAIL - 1] + "…"


def translate(exc: BaseException, *, where: str, timeout: float, secrets: Sequence[str] = ()) -> Translated:
    """Map ``exc`` (raised while ``where`` was calling a model) to a leadflow exception.

    Args:
        exc: What the model call raised.
        where: ``"agent_name via provider:model"``, the prefix of every message.
        timeout: The timeout in force, quoted when the call timed out.
        secrets: Strings to blank out of provider messages (the API key).

    Returns:
        The exception to raise and whether the call is worth retrying.
    """
    status = exc.status_code if isinstance(exc, ModelHTTPError) else None
    detail = redact(f"{type(exc).__name__}: {exc}", secrets)
    if isinstance(exc, LeadflowError):
        return exc, isinstance(exc, Unavailable)
    if isinstance(exc, ModelAuthenticationError) or status in (401, 403):
        # The provider's message may echo part of the key: keep only the status.
        return AuthFailed(f"{where}: the provider rejected our credentials (HTTP {status or 401})"), False
    if isinstance(exc, ModelRateLimitError) or status == 429:
        return RateLimited(f"{where}: rate limited by the provider ({detail})"), True
    if isinstance(exc, ModelQuotaExceededError):
        return ModelFailure(f"{where}: provider quota or billing exhausted ({detail})"), False
    if isinstance(exc, ModelRequestTimeout | ModelTimeoutError | TimeoutError):
        return ModelFailure(f"{where}: timed out after {timeout:g}s"), True
    if isinstance(exc, ModelServerError | ModelUnavailableError | ModelConnectionError) or (
        status is not None and status >= 500
    ):
        return ModelFailure(f"{where}: provider error ({detail})"), True
    if isinstance(exc, ModelRequestRejectedError) or (
        status is not None and 400 <= status < 500 and status != 408
    ):
        return ModelFailure(f"{where}: request rejected ({detail})"), False
    if isinstance(exc, UnexpectedModelBehavior | UsageLimitExceeded):
        return ModelFailure(f"{where}: unusable answer ({detail})"), False
    if isinstance(exc, ModelAPIError):
        return ModelFailure(f"{where}: provider error ({detail})"), True
    if isinstance(exc, UserError):
        return ConfigError(f"{where}: {redact(exc.message, secrets)}"), False
    return ModelFailure(f"{where}: model call failed ({detail})"), False
