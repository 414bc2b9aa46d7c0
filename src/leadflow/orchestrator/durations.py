"""Parse human durations from route files: ``90s``, ``5m``, ``24h``, ``7d``, ``5 minutes``, ``30 days``."""

from __future__ import annotations

import re
from datetime import timedelta

from leadflow.exceptions import ConfigError

_UNITS = {
    "s": 1,
    "sec": 1,
    "second": 1,
    "seconds": 1,
    "m": 60,
    "min": 60,
    "minute": 60,
    "minutes": 60,
    "h": 3600,
    "hour": 3600,
    "hours": 3600,
    "d": 86400,
    "day": 86400,
    "days": 86400,
    "w": 604800,
    "week": 604800,
    "weeks": 604800,
}
_RE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([a-z]+)\s*$")


def parse_duration(text: str | int | float) -> timedelta:
    if isinstance(text, int | float):
        return timedelta(seconds=float(text))
    match = _RE.match(text.lower())
    if not match or match.group(2) not in _UNITS:
        raise ConfigError(f"not a duration: {text!r} (use e.g. 90s, 5m, 24h, 7d, '30 days')")
    return timedelta(seconds=float(match.group(1)) * _UNITS[match.group(2)])
