"""Tests for retry with backoff and the circuit breaker: states, cooldown, thread safety."""

from __future__ import annotations

import threading

import pytest

from leadflow.exceptions import CircuitOpen, ConfigError, ModelFailure, RateLimited, Unavailable
from leadflow.resilience import BreakerRegistry, BreakerState, CircuitBreaker, backoff_delay, retry


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def state_of(breaker: CircuitBreaker) -> BreakerState:
    # A function, so mypy does not narrow the property between two reads.
    return breaker.state


def fail() -> None:
    raise Unavailable("down")


def test_breaker_opens_after_threshold_and_fails_fast() -> None:
    clock = FakeClock()
    breaker = CircuitBreaker("svc", failure_threshold=3, recovery_timeout=10, clock=clock)
    for _ in range(2):
        with pytest.raises(Unavailable):
            breaker.call(fail)
    assert state_of(breaker) is BreakerState.CLOSED
    with pytest.raises(Unavailable):
        breaker.call(fail)
    assert state_of(breaker) is BreakerState.OPEN

    calls: list[int] = []
    with pytest.raises(CircuitOpen, match="svc"):
        breaker.call(lambda: calls.append(1))
    assert calls == []  # failed fast, never called
    assert breaker.retry_after() == pytest.approx(10)


def test_success_resets_the_consecutive_count() -> None:
    breaker = CircuitBreaker("svc", failure_threshold=2, clock=FakeClock())
    with pytest.raises(Unavailable):
        breaker.call(fail)
    assert breaker.call(lambda: 42) == 42
    with pytest.raises(Unavailable):
        breaker.call(fail)
    assert state_of(breaker) is BreakerState.CLOSED


def test_half_open_after_cooldown_lets_one_trial_through() -> None:
    clock = FakeClock()
    breaker = CircuitBreaker("svc", failure_threshold=1, recovery_timeout=30, clock=clock)
    breaker.record_failure()
    clock.now += 29.9
    assert state_of(breaker) is BreakerState.OPEN
    clock.now += 0.1
    assert state_of(breaker) is BreakerState.HALF_OPEN
    assert breaker.allow() is True
    assert breaker.allow() is False  # only one trial at a time
    breaker.record_success()
    assert state_of(breaker) is BreakerState.CLOSED


def test_failed_trial_reopens_for_a_full_cooldown() -> None:
    clock = FakeClock()
    breaker = CircuitBreaker("svc", failure_threshold=2, recovery_timeout=5, clock=clock)
    breaker.record_failure()
    breaker.record_failure()
    clock.now += 5
    with pytest.raises(Unavailable):
        breaker.call(fail)
    assert state_of(breaker) is BreakerState.OPEN
    clock.now += 4
    with pytest.raises(CircuitOpen):
        breaker.check()
    clock.now += 1
    assert breaker.allow()


def test_breaker_is_thread_safe() -> None:
    breaker = CircuitBreaker("svc", failure_threshold=10_000, clock=FakeClock())

    def hammer() -> None:
        for _ in range(1000):
            breaker.record_failure()

    threads = [threading.Thread(target=hammer) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert breaker.failures == 8000


def test_invalid_breaker_arguments() -> None:
    with pytest.raises(ValueError):
        CircuitBreaker("x", failure_threshold=0)


def test_registry_returns_one_breaker_per_name() -> None:
    registry = BreakerRegistry(failure_threshold=1, clock=FakeClock())
    a = registry.get("a")
    assert registry.get("a") is a
    assert registry.get("b") is not a
    a.record_failure()
    assert registry.states() == {"a": BreakerState.OPEN, "b": BreakerState.CLOSED}
    assert "a" in registry and "c" not in registry


def test_backoff_is_exponential_capped_and_jittered() -> None:
    full = [backoff_delay(n, base_delay=1, max_delay=5, jitter=lambda: 1.0) for n in range(1, 6)]
    assert full == [1, 2, 4, 5, 5]
    assert backoff_delay(3, base_delay=1, max_delay=5, jitter=lambda: 0.0) == 2  # half kept


def test_retry_succeeds_after_transient_failures() -> None:
    outcomes: list[Exception | str] = [RateLimited("slow down"), ModelFailure("500"), "ok"]
    sleeps: list[float] = []
    seen: list[int] = []

    def op() -> str:
        item = outcomes.pop(0)
        if isinstance(item, Exception):
            raise item
        return item

    result = retry(
        op,
        attempts=3,
        base_delay=0.5,
        max_delay=10,
        sleep=sleeps.append,
        jitter=lambda: 1.0,
        on_retry=lambda n, exc, delay: seen.append(n),
    )
    assert result == "ok"
    assert sleeps == [0.5, 1.0]
    assert seen == [1, 2]


def test_retry_gives_up_after_attempts() -> None:
    calls: list[int] = []

    def op() -> None:
        calls.append(1)
        raise Unavailable("down")

    with pytest.raises(Unavailable):
        retry(op, attempts=4, sleep=lambda _s: None)
    assert len(calls) == 4


def test_retry_does_not_retry_other_errors_or_open_circuits() -> None:
    calls: list[str] = []

    def config() -> None:
        calls.append("config")
        raise ConfigError("bad")

    def circuit() -> None:
        calls.append("circuit")
        raise CircuitOpen("open")

    with pytest.raises(ConfigError):
        retry(config, attempts=3, sleep=lambda _s: None)
    with pytest.raises(CircuitOpen):
        retry(circuit, attempts=3, sleep=lambda _s: None)
    assert calls == ["config", "circuit"]


def test_retry_through_a_breaker_stops_when_it_opens() -> None:
    breaker = CircuitBreaker("svc", failure_threshold=2, clock=FakeClock())
    calls: list[int] = []

    def op() -> None:
        calls.append(1)
        raise Unavailable("down")

    with pytest.raises(CircuitOpen):
        retry(lambda: breaker.call(op), attempts=5, sleep=lambda _s: None)
    assert len(calls) == 2
