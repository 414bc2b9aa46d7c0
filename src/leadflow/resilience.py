"""Retry with exponential backoff and circuit breakers, for model providers and agents alike.

Two small tools that compose::

    breaker = registry.get("openai:gpt-4o-mini")
    result = retry(lambda: breaker.call(send), attempts=3, base_delay=0.5)

``retry`` re-runs a callable when it raises a retryable :class:`~leadflow.exceptions.Unavailable`
(but never :class:`~leadflow.exceptions.CircuitOpen`: retrying a breaker that refuses calls only
burns time). :class:`CircuitBreaker` counts consecutive failures; after ``failure_threshold`` of
them it *opens* and refuses calls with ``CircuitOpen`` until ``recovery_timeout`` seconds pass,
then *half-opens* and lets one trial call through: success closes it, failure opens it again.

Both take their clock, sleep and randomness as arguments so tests never wait. Everything here is
thread-safe: the orchestrator calls from worker threads.
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable
from enum import StrEnum
from typing import TypeVar

from leadflow.exceptions import CircuitOpen, Unavailable

__all__ = ["BreakerRegistry", "BreakerState", "CircuitBreaker", "backoff_delay", "retry"]

T = TypeVar("T")


class BreakerState(StrEnum):
    """The three states of a circuit breaker."""

    CLOSED = "closed"
    OPEN = "open"
    HALF_OPEN = "half_open"


class CircuitBreaker:
    """Fail fast after repeated failures, then probe again after a cooldown.

    Args:
        name: What the breaker guards, e.g. ``"openai:gpt-4o-mini"`` or ``"agent:closing"``; it is
            named in the ``CircuitOpen`` message.
        failure_threshold: Consecutive failures that open the breaker.
        recovery_timeout: Seconds the breaker stays open before it half-opens.
        half_open_max_calls: Trial calls let through at once while half-open.
        clock: A monotonic clock in seconds; inject a fake one in tests.
    """

    def __init__(
        self,
        name: str,
        *,
        failure_threshold: int = 5,
        recovery_timeout: float = 60.0,
        half_open_max_calls: int = 1,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if failure_threshold < 1:
            raise ValueError("failure_threshold must be at least 1")
        if recovery_timeout < 0:
            raise ValueError("recovery_timeout must not be negative")
        self.name = name
        self.failure_threshold = failure_threshold
        self.recovery_timeout = recovery_timeout
        self.half_open_max_calls = max(1, half_open_max_calls)
        self._clock = clock
        self._lock = threading.Lock()
        self._state = BreakerState.CLOSED
        self._failures = 0
        self._opened_at = 0.0
        self._trials = 0

    def __repr__(self) -> str:
        return f"CircuitBreaker({self.name!r}, state={self.state.value}, failures={self.failures})"

    @property
    def state(self) -> BreakerState:
        """The current state, half-opening an open breaker whose cooldown has passed."""
        with self._lock:
            self._maybe_half_open()
            return self._state

    @property
    def failures(self) -> int:
        """Consecutive failures counted since the last success."""
        with self._lock:
            return self._failures

    def retry_after(self) -> float:
        """Seconds until an open breaker half-opens; 0 when it is not open."""
        with self._lock:
            self._maybe_half_open()
            if self._state is not BreakerState.OPEN:
                return 0.0
            return max(0.0, self._opened_at + self.recovery_timeout - self._clock())

    def allow(self) -> bool:
        """Ask to make a call; a ``True`` answer must be followed by a ``record_*`` call.

        Returns:
            ``True`` when closed, or half-open with a trial slot free; ``False`` otherwise.
        """
        with self._lock:
            self._maybe_half_open()
            if self._state is BreakerState.CLOSED:
                return True
            if self._state is BreakerState.HALF_OPEN and self._trials < self.half_open_max_calls:
                self._trials += 1
                return True
            return False

    def check(self) -> None:
        """Like :meth:`allow`, but raise instead of answering ``False``.

        Raises:
            CircuitOpen: When the breaker refuses the call.
        """
        if not self.allow():
            raise CircuitOpen(
                f"circuit {self.name!r} is open after {self.failure_threshold} consecutive failures; "
                f"retry in {self.retry_after():.1f}s"
            )

    def record_success(self) -> None:
        """Report a successful call: the breaker closes and the failure count resets."""
        with self._lock:
            self._state = BreakerState.CLOSED
            self._failures = 0
            self._trials = 0

    def record_failure(self) -> None:
        """Report a failed call: a failed trial or the threshold-th failure opens the breaker."""
        with self._lock:
            self._failures += 1
            if self._state is BreakerState.HALF_OPEN or self._failures >= self.failure_threshold:
                self._state = BreakerState.OPEN
                self._opened_at = self._clock()
                self._trials = 0

    def reset(self) -> None:
        """Close the breaker by hand (an operator's "try again now")."""
        self.record_success()

    def call(self, fn: Callable[[], T]) -> T:
        """Call ``fn`` through the breaker, counting any exception it raises as a failure.

        Raises:
            CircuitOpen: Without calling ``fn`` when the breaker is open.
        """
        self.check()
        try:
            result = fn()
        except BaseException:
            self.record_failure()
            raise
        self.record_success()
        return result

    def _maybe_half_open(self) -> None:
        # Called with the lock held: the open -> half-open move is lazy, on the next look.
        if self._state is BreakerState.OPEN and self._clock() - self._opened_at >= self.recovery_timeout:
            self._state = BreakerState.HALF_OPEN
            self._trials = 0


class BreakerRegistry:
    """One breaker per name, created on first use with shared defaults.

    Args:
        failure_threshold: Default for new breakers.
        recovery_timeout: Default for new breakers.
        clock: Shared by every breaker the registry creates.
    """

    def __init__(
        self,
        *,
        failure_threshold: int = 5,
        recovery_timeout: float = 60.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.failure_threshold = failure_threshold
        self.recovery_timeout = recovery_timeout
        self._clock = clock
        self._lock = threading.Lock()
        self._breakers: dict[str, CircuitBreaker] = {}

    def get(self, name: str) -> CircuitBreaker:
        """The breaker called ``name``, created closed if it does not exist yet."""
        with self._lock:
            breaker = self._breakers.get(name)
            if breaker is None:
                breaker = CircuitBreaker(
                    name,
                    failure_threshold=self.failure_threshold,
                    recovery_timeout=self.recovery_timeout,
                    clock=self._clock,
                )
                self._breakers[name] = breaker
            return breaker

    def states(self) -> dict[str, BreakerState]:
        """Each known breaker's current state, for health pages and traces."""
        with self._lock:
            breakers = list(self._breakers.values())
        return {b.name: b.state for b in breakers}

    def __contains__(self, name: object) -> bool:
        with self._lock:
            return name in self._breakers


def backoff_delay(
    attempt: int,
    *,
    base_delay: float,
    max_delay: float,
    jitter: Callable[[], float] = random.random,
) -> float:
    """The pause before retry number ``attempt`` (1-based): exponential, capped, with equal jitter.

    The raw delay is ``base_delay * 2 ** (attempt - 1)`` capped at ``max_delay``; half of it is
    kept and the other half scaled by ``jitter()`` (a number in [0, 1]), so concurrent callers
    spread out but nobody retries immediately.
    """
    raw = min(max_delay, base_delay * 2.0 ** (attempt - 1))
    return raw / 2 + raw / 2 * min(1.0, max(0.0, jitter()))


def retry(
    fn: Callable[[], T],
    *,
    attempts: int = 3,
    base_delay: float = 0.5,
    max_delay: float = 30.0,
    retry_on: tuple[type[BaseException], ...] = (Unavailable,),
    give_up_on: tuple[type[BaseException], ...] = (CircuitOpen,),
    sleep: Callable[[float], None] = time.sleep,
    jitter: Callable[[], float] = random.random,
    on_retry: Callable[[int, BaseException, float], None] | None = None,
) -> T:
    """Call ``fn`` until it succeeds, retrying ``retry_on`` errors with exponential backoff.

    Args:
        fn: The operation; it is called up to ``attempts`` times.
        attempts: Total calls, first one included (1 means no retry).
        base_delay: Seconds before the first retry.
        max_delay: Cap on any single pause.
        retry_on: Exception types worth another try.
        give_up_on: Types re-raised at once even if they match ``retry_on`` (an open circuit).
        sleep: How to wait; inject a recorder in tests.
        jitter: Source of numbers in [0, 1] that spread the pauses.
        on_retry: Called as ``on_retry(attempt, error, delay)`` before each pause.

    Returns:
        What ``fn`` returned.

    Raises:
        BaseException: The last error when attempts run out, or the first non-retryable one.
    """
    if attempts < 1:
        raise ValueError("attempts must be at least 1")
    attempt = 1
    while True:
        try:
            return fn()
        except give_up_on:
            raise
        except retry_on as exc:
            if attempt >= attempts:
                raise
            delay = backoff_delay(attempt, base_delay=base_delay, max_delay=max_delay, jitter=jitter)
            if on_retry is not None:
                on_retry(attempt, exc, delay)
            sleep(delay)
            attempt += 1
