"""Model mode of reply understanding: a pydantic-ai agent with a typed verdict.

The agent receives the reply wrapped as quoted data (``<reply>...</reply>``, built by
:func:`leadflow.llm.datablock.data_block`, so no tag inside the text survives) and the prompt in ``prompts/understand.md``. Its
output is a :class:`LlmVerdict`; nothing parses free text. Every failure (provider error,
timeout, refusal, malformed or out-of-schema output) is raised as
:class:`~leadflow.exceptions.ModelFailure` so the caller can fall back to offline mode.

The verdict is then checked against the text: a referral address must appear verbatim in
the reply, so an injected "send it to attacker@evil.com" cannot become a recipient.
"""

from __future__ import annotations

from datetime import datetime
from functools import cache
from importlib import resources
from zoneinfo import ZoneInfo

from pydantic import BaseModel, Field
from pydantic_ai import Agent
from pydantic_ai.models import Model

from leadflow.exceptions import ModelFailure
from leadflow.llm.datablock import data_block, one_line
from leadflow.reply.intent import IntentLabel
from leadflow.reply.referral import Referral
from leadflow.reply.times import TimeRange

REPLY_CHARS = 8000  # of a reply shown to the model (trimmed replies are far shorter)


class LlmTime(BaseModel):
    """A proposed slot as the model writes it: ISO 8601 strings."""

    start: str
    end: str


class LlmVerdict(BaseModel):
    """What the model must return."""

    intent: IntentLabel
    confidence: float = Field(ge=0.0, le=1.0)
    referral_name: str | None = None
    referral_email: str | None = None
    proposed_times: list[LlmTime] = Field(default_factory=list)


@cache
def prompt() -> str:
    """The instructions kept beside this module in ``prompts/understand.md``."""
    return resources.files("leadflow.reply").joinpath("prompts/understand.md").read_text("utf-8")


def build_agent(model: Model) -> Agent[None, LlmVerdict]:
    """An agent for ``model`` with the understanding prompt and typed output."""
    return Agent(model, output_type=LlmVerdict, instructions=prompt(), retries=1)


def quote_reply(text: str, *, now: datetime, tz: str) -> str:
    """The user message: context lines, then the reply as inert quoted data."""
    return f"now: {now.isoformat()}\nlead time zone: {one_line(tz, limit=64)}\n" + data_block("reply", text, limit=REPLY_CHARS)


def _aware(raw: str, tz: str) -> datetime:
    value = datetime.fromisoformat(raw)
    return value.replace(tzinfo=ZoneInfo(tz)) if value.tzinfo is None else value


def verdict_times(verdict: LlmVerdict, tz: str) -> list[TimeRange]:
    """The verdict's proposed times as :class:`TimeRange`; raises ``ModelFailure`` if invalid."""
    try:
        return [TimeRange(start=_aware(t.start, tz), end=_aware(t.end, tz)) for t in verdict.proposed_times]
    except ValueError as exc:
        raise ModelFailure(f"model gave unusable times: {exc}") from exc


def verdict_referral(verdict: LlmVerdict, text: str) -> Referral | None:
    """The verdict's referral, keeping an address only if the reply itself contains it."""
    email = verdict.referral_email
    if email and email.lower() not in text.lower():
        email = None
    if not (verdict.referral_name or email):
        return None
    return Referral(name=verdict.referral_name, email=email.lower() if email else None)


def ask_model(model: Model, text: str, *, now: datetime, tz: str, timeout: float = 30.0) -> LlmVerdict:
    """Run the agent once and return its verdict.

    Raises:
        ModelFailure: The model failed, timed out, refused or returned malformed output.
    """
    agent = build_agent(model)
    try:
        result = agent.run_sync(quote_reply(text, now=now, tz=tz), timeout=timeout)
    except Exception as exc:  # any provider, timeout or validation fault means "no usable answer"
        raise ModelFailure(f"reply understanding model failed: {type(exc).__name__}: {exc}") from exc
    return result.output
