"""The agent team: one module per agent, each with an offline mode and (where useful) an LLM mode."""

from __future__ import annotations

from typing import Any

from leadflow.agents.appointment import AppointmentAgent
from leadflow.agents.base import Agent, AgentCard, AgentContext, Decision, EmitEvent
from leadflow.agents.nurture import NurtureAgent
from leadflow.agents.qualification import QualificationAgent
from leadflow.agents.reply_understanding import ReplyUnderstandingAgent
from leadflow.agents.response import ResponseAgent


def default_agents(*, llm: Any | None = None) -> list[Agent]:
    """Every built-in agent, ready for the registry."""
    return [ResponseAgent(), ReplyUnderstandingAgent(), QualificationAgent(), NurtureAgent(), AppointmentAgent()]


__all__ = [
    "Agent",
    "AgentCard",
    "AgentContext",
    "AppointmentAgent",
    "Decision",
    "EmitEvent",
    "NurtureAgent",
    "QualificationAgent",
    "ReplyUnderstandingAgent",
    "ResponseAgent",
    "default_agents",
]
