"""leadflow's one exception tree: every error the package raises on purpose.

::

    LeadflowError
    ├── ConfigError            the caller's mistake in settings or wiring (not retryable)
    ├── InvalidInput           bad data from outside: a CSV row, a webhook body, a MIME part
    ├── NotFound               a lead, campaign, event or DLQ entry that does not exist
    ├── Conflict               optimistic-concurrency clash: reload and try again
    │   └── DuplicateMessage   an idempotency key or message id seen before ("already done")
    ├── Unreadable             a stored row (event, lead, action, timer) that cannot be read back
    ├── Refused                a policy says no (do-not-contact, suppression, cap reached)
    │   └── AuthFailed         credentials rejected by a provider
    └── Unavailable            a retryable fault: a server, provider or model is down
        ├── RateLimited        the other side asked us to slow down
        ├── CircuitOpen        a circuit breaker is refusing calls for a while
        └── ModelFailure       a model answered but not usefully (malformed, refused, timed out)

Foreign exceptions are translated at the boundary (``raise Unavailable(...) from exc``);
``leadflow.api.errors`` maps this tree to HTTP once.
"""

from __future__ import annotations


class LeadflowError(Exception):
    """Base of every error leadflow raises on purpose."""


class ConfigError(LeadflowError):
    """Settings or wiring are wrong; fix the configuration, do not retry."""


class InvalidInput(LeadflowError):
    """Data from outside failed validation. ``details`` lists field-level problems."""

    def __init__(self, message: str, *, details: list[dict[str, object]] | None = None) -> None:
        super().__init__(message)
        self.details = details or []


class NotFound(LeadflowError):
    """The thing asked for does not exist (in this workspace)."""


class Conflict(LeadflowError):
    """Someone else changed the record first; reload and try again."""


class DuplicateMessage(Conflict):
    """This message or idempotency key was handled before; treat as already done."""


class Unreadable(LeadflowError):
    """A stored row cannot be parsed or validated (written before a limit existed, or by hand):
    the worker dead-letters its event or fails its action; readers show it as unreadable."""


class Refused(LeadflowError):
    """A policy refused the operation (opt-out, suppression, sending cap)."""


class AuthFailed(Refused):
    """A provider rejected our credentials."""


class Unavailable(LeadflowError):
    """A retryable fault: try again later, with backoff."""


class RateLimited(Unavailable):
    """The other side throttled us."""


class CircuitOpen(Unavailable):
    """A circuit breaker is open; calls fail fast until it half-opens."""


class ModelFailure(Unavailable):
    """A model call failed: malformed output, refusal, timeout or provider error."""
