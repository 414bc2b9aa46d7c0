"""Bounded rejects: how much of a bad body the store keeps, for how long, and when only a count.

Rejects keep bad input so a person can see what was sent (a CSV row, a webhook body). Kept
whole and forever, they were a way to fill the disk from outside (issue 10: 20 requests of
990 KB grew the database by 24 MB). Every backend applies the same ``RejectLimits`` in
``add_reject``:

* **a cap per reject**: the first ``max_bytes`` of the body (cut on a character boundary), its
  whole size and the SHA-256 of the whole, so a cut body can still be matched to what was sent;
* **retention**: at most ``keep`` rejects per workspace and none older than ``max_age``; the
  oldest go on insert (one indexed delete, only when there is something to delete);
* **a burst limit**: past ``burst`` rejects from one source within ``window``, only a count:
  one row per source and window stands for them (``Reject.count``), its ``raw`` empty.

The limits are settings (``Settings.reject_limits``) passed in by the caller; a caller that
passes none gets the defaults, so no path stores an unbounded reject.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import timedelta


@dataclass(frozen=True)
class RejectLimits:
    max_bytes: int = 16 * 1024
    """Bytes of a body kept verbatim."""
    keep: int = 1000
    """Rejects kept per workspace (the newest)."""
    max_age: timedelta = timedelta(days=30)
    """Rejects older than this are dropped."""
    burst: int = 60
    """Rejects from one source within ``window`` kept with their bodies; the rest only counted."""
    window: timedelta = timedelta(minutes=1)


DEFAULT_LIMITS = RejectLimits()


@dataclass(frozen=True)
class BoundedBody:
    """What is kept of one rejected body."""

    text: str
    size: int
    sha256: str


def bound(raw: str, limits: RejectLimits) -> BoundedBody:
    """The first ``limits.max_bytes`` bytes of ``raw`` (UTF-8, never half a character), with the
    size and hash of the whole."""
    data = raw.encode("utf-8", errors="surrogatepass")
    kept = data[: limits.max_bytes].decode("utf-8", errors="ignore") if len(data) > limits.max_bytes else raw
    return BoundedBody(text=kept, size=len(data), sha256=hashlib.sha256(data).hexdigest())


def counted_error(count: int, source: str, limits: RejectLimits, last_error: str) -> str:
    """The error text of a row standing for ``count`` rejects past the burst limit."""
    seconds = int(limits.window.total_seconds())
    return (f"{count} more reject(s) from {source} past {limits.burst} per {seconds}s: bodies not kept; "
            f"last error: {last_error[:500]}")
