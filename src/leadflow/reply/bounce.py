"""Bounce detection (placeholder)."""
from __future__ import annotations
from typing import Literal
from pydantic import BaseModel
from leadflow.reply.mime import ParsedMessage
class Bounce(BaseModel):
    kind: Literal["hard", "soft"]
    recipients: list[str]
    status: str | None = None
    diagnostic: str | None = None
    detector: str
def detect_bounce(msg: ParsedMessage) -> Bounce | None:
    return None
