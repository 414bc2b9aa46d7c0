"""Delivery channels: where outbound actions go. An interface, a transcript backend, a factory.

Every channel's ``deliver`` is idempotent on the action's idempotency key: delivering the
same key twice delivers once (a provider's idempotency key; for SMTP, the Message-ID derived
from the key, looked up in the Sent folder before a resend). The dispatcher relies on this
to survive a crash between delivering and recording the delivery.
"""

from leadflow.integrations.channels.base import DeliveryChannel, Receipt
from leadflow.integrations.channels.transcript import TranscriptChannel

__all__ = ["DeliveryChannel", "Receipt", "TranscriptChannel"]
