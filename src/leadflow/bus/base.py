"""The bus interface: publish events, subscribe handlers by type pattern.

The bus carries committed events to whoever listens (metrics, notifications, CRM sync, the
dashboard, other workers). It is fed by the relay from the store's outbox, so an event is
published only after its state change is committed and is never lost: at-least-once, and
subscribers de-duplicate by event id. Every backend passes ``tests/contracts/bus_contract.py``.
"""

from __future__ import annotations

import abc
from collections.abc import Callable, Sequence

from leadflow.domain.events import Event

Handler = Callable[[Event], None]


class Bus(abc.ABC):
    @abc.abstractmethod
    def publish(self, events: Sequence[Event]) -> None:
        """Hand events to the bus, in order."""

    @abc.abstractmethod
    def subscribe(self, pattern: str, handler: Handler, *, group: str | None = None) -> None:
        """Call ``handler`` for events whose type matches ``pattern`` (glob: ``lead.*``, ``*``).

        Handlers in the same ``group`` share the work (one of them gets each event); handlers
        without a group each get every event.
        """

    @abc.abstractmethod
    def drain(self, *, timeout: float = 0.0) -> int:
        """Deliver what is pending to subscribers; returns how many deliveries were made."""

    def listening(self) -> bool:
        """Whether a published event can reach anyone. A bus that carries events to other
        processes always can; the in-process one only while something subscribes (the relay
        then marks committed events published without reading them)."""
        return True

    def close(self) -> None:  # noqa: B027 - optional hook
        """Release resources."""
