"""The message bus: an interface, the in-process default, Redis Streams, and a factory by URL.

``open_bus("memory://")`` is the embedded default; ``open_bus("redis://host:6379/0")`` (or
``rediss://``, ``unix://``) returns a ``leadflow.bus.redis_streams.RedisStreamsBus``, imported
lazily so the ``redis`` package is needed only when it is used (``pip install leadflow[redis]``).
"""

from __future__ import annotations

from leadflow.bus.base import Bus, Handler
from leadflow.bus.memory import InProcessBus
from leadflow.exceptions import ConfigError

REDIS_SCHEMES = ("redis", "rediss", "unix")


def open_bus(url: str = "memory://") -> Bus:
    """The bus a URL names; ``ConfigError`` for an unknown scheme or a missing driver."""
    scheme = url.split(":", 1)[0].lower() if ":" in url else ""
    if scheme == "memory":
        return InProcessBus()
    if scheme in REDIS_SCHEMES:
        try:
            from leadflow.bus.redis_streams import RedisStreamsBus
        except ImportError as exc:
            raise ConfigError(
                f"the Redis bus needs the redis package: pip install 'leadflow[redis]' ({exc})"
            ) from exc
        return RedisStreamsBus.from_url(url)
    raise ConfigError(f"unsupported bus URL scheme {scheme!r}: use memory:// or redis://host:port/db")


__all__ = ["Bus", "Handler", "InProcessBus", "open_bus"]
