"""The agent team: one module per agent, each with an offline mode and (where useful) an LLM mode."""

from __future__ import annotations

from typing import Any

from leadflow.agents.appointment import AppointmentAgent
from leadflow.agents.base import Agent, AgentCard, AgentContext, Decision, EmitEvent
from leadflow.agents.closing import ClosingAgent
from leadflow.agents.escalation import EscalationAgent
from leadflow.agents.nurture import NurtureAgent
from leadflow.agents.post_sale import PostSaleAgent
from leadflow.agents.qualification import QualificationAgent
from leadflow.agents.reply_understanding import ReplyUnderstandingAgent
from leadflow.agents.research import ResearchAgent
from leadflow.agents.response import ResponseAgent
from leadflow.agents.triage import TriageAgent


def default_agents(*, llm: Any | None = None) -> list[Agent]:
    """Every built-in agent, ready for the registry."""
    return [ResearchAgent(), TriageAgent(), ResponseAgent(), ReplyUnderstandingAgent(), QualificationAgent(), NurtureAgent(), AppointmentAgent(),
            ClosingAgent(), PostSaleAgent(), EscalationAgent(), _redraft()]


def _redraft() -> Agent:
    from leadflow.drafts._redraft import RedraftAgent  # drafts imports the agents: not at module load

    return RedraftAgent()


__all__ = [
    "Agent",
    "AgentCard",
    "AgentContext",
    "AppointmentAgent",
    "ClosingAgent",
    "Decision",
    "EmitEvent",
    "EscalationAgent",
    "NurtureAgent",
    "PostSaleAgent",
    "QualificationAgent",
    "ReplyUnderstandingAgent",
    "ResearchAgent",
    "ResponseAgent",
    "TriageAgent",
    "default_agents",
]
