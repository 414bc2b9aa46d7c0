"""Fakes at the transport: local servers that speak real protocols over loopback."""

from __future__ import annotations

from fakes.openai_server import FakeLLMServer, RecordedRequest, Reply

__all__ = ["FakeLLMServer", "RecordedRequest", "Reply"]
