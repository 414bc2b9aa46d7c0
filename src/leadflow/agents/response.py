"""Response agent: the first touch, on the campaign's channel, within seconds of lead.created."""

from __future__ import annotations

from typing import ClassVar

from leadflow.agents._compose import outbound, preferred_channel
from leadflow.agents.base import AgentCard, AgentContext, Decision
from leadflow.domain.events import Event
from leadflow.domain.models import Channel, LeadState

_OPENERS = {
    "real_estate": "thanks for reaching out about homes{where}. I'd love to help you find the right place.",
    "solar": "thanks for your interest in going solar. Most homeowners near you cut their bill by 40-70%.",
    "hvac": "thanks for getting in touch about your heating and cooling. We can usually get a tech out this week.",
    "insurance": "thanks for requesting a quote. I can compare options across carriers for you.",
    "b2b_saas": "thanks for your interest in {offer}. Teams like {company} use it to cut manual work.",
}


class ResponseAgent:
    card: ClassVar[AgentCard] = AgentCard(
        name="response",
        description="First touch within seconds of a new lead, on the campaign's channel, aware of source and inquiry.",
        capabilities=["first_touch", "instant_response"],
        inputs=["lead.created"],
        outputs=["message.scheduled"],
        model_tier="fast",
        expected_latency_ms=20,
        concurrency=32,
    )

    def handle(self, ctx: AgentContext, state: LeadState, event: Event) -> Decision:
        lead = state.lead
        campaign = ctx.campaign
        channel = preferred_channel(state, campaign)
        industry = lead.industry or campaign.industry_pack
        where = f" in {lead.attributes['area']}" if lead.attributes.get("area") else ""
        opener = _OPENERS.get(industry, _OPENERS["b2b_saas"]).format(
            where=where, offer=campaign.offer, company=lead.company or "yours"
        )
        inquiry = (
            f' You mentioned: "{lead.inquiry[:80]}".' if lead.inquiry and channel is Channel.EMAIL else ""
        )
        body = f"Hi {lead.first_name}, {campaign.rep_name} from {campaign.company_name} here - {opener}{inquiry} Is now a good time for a few quick questions?"
        action = outbound(
            state,
            campaign,
            channel=channel,
            key="response:first",
            body=body,
            subject=f"{lead.first_name}, quick question" if channel is Channel.EMAIL else None,
            agent=self.card.name,
        )
        if action.to is None:
            return Decision(result="no_channel", summary="no contactable address for first touch")
        return Decision(result="first_touch", actions=[action], summary=f"first touch by {channel.value}")
