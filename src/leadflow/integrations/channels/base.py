"""The delivery channel interface."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from leadflow.domain.actions import OutboundAction


@dataclass(frozen=True)
class Receipt:
    provider_id: str
    duplicate: bool = False  # the key had been delivered before; nothing new went out


class DeliveryChannel(Protocol):
    name: str

    def deliver(self, action: OutboundAction, *, workspace_id: str, lead_id: str) -> Receipt:
        """Deliver once per idempotency key. Raise ``Unavailable`` (retry) or ``Refused`` (give up)."""
        ...
