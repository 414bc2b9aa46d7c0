"""The message bus: an interface, the in-process default, and a factory by URL."""

from __future__ import annotations

from leadflow.bus.base import Bus, Handler
from leadflow.bus.memory import InProcessBus
from leadflow.exceptions import ConfigError


def open_bus(url: str = "memory://") -> Bus:
    if url.startswith("memory:"):
        return InProcessBus()
    raise ConfigError(
        f"unsupported bus URL {url.split(':', 1)[0]!r}: the Redis Streams bus is not built yet; use memory://"
    )


__all__ = ["Bus", "Handler", "InProcessBus", "open_bus"]
