"""Response agent: the first touch, on the campaign's channel, personalised and planned.

In the ``new_lead`` pipeline it runs after research (``state.signals``) and triage
(``state.tier``). The draft comes from :mod:`leadflow.agents.personalisation` (a template offline;
the strong model given every signal for tier A, the fast one given only the best signal for tier B,
never a model for tier C: the tier plans in :mod:`leadflow.agents.triage`) and passes its
validation gate; :func:`leadflow.agents.sequencing.plan_send` picks the send time in the lead's
time zone and the mailbox. Inbound leads (web forms, portals, referrals) are answered on any
weekday; cold list imports wait for a preferred day.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from leadflow.agents._compose import outbound, preferred_channel, send_plan
from leadflow.agents._template import choose, first_name, proof_point, topic
from leadflow.agents.base import AgentCard, AgentContext, Decision
from leadflow.agents.personalisation import (
    Draft,
    Personalised,
    best_signals,
    evidence_for,
    footer_for,
    personalise,
    validate,
)
from leadflow.agents.research import research
from leadflow.agents.sequencing import sender_for
from leadflow.agents.triage import assess, plan_for
from leadflow.campaigns.copy import first_touch as first_touch_copy
from leadflow.domain.events import Event
from leadflow.domain.models import Channel, LeadState, SenderIdentity
from leadflow.exceptions import LeadflowError

REJECTED = "draft.rejected"  # leadflow.drafts' event (not imported: drafts imports this module)
# a CSV export (Apollo, HubSpot, Salesforce, Sales Navigator: csv_formats) is cold outreach too
COLD_SOURCES = frozenset({"csv", "list", "import", "purchased", "scraped",
                          "apollo", "hubspot", "salesforce", "salesnav"})

# Consumer industries keep their own plain openers (no claims: the gate would reject them).
_OPENERS = {
    "real_estate": "thanks for reaching out about homes{where}. I'd love to help you find the right place.",
    "solar": "thanks for your interest in going solar. I can show you what a system would look like for your home.",
    "hvac": "thanks for getting in touch about your heating and cooling. We can usually get a tech out this week.",
    "insurance": "thanks for requesting a quote. I can compare options across carriers for you.",
}


# ... worded per lead (a hash of the lead id picks each part, so a rerun writes the same).
_INTROS = ("{rep} from {company} here", "this is {rep} at {company}", "{rep} with {company} here")
_CONSUMER_ASKS = (
    "Is now a good time for a few quick questions?",
    "Could I ask you a few quick questions?",
    "Do you have a minute for a couple of quick questions?",
)
_CONSUMER_SUBJECTS = ("{first}, quick question", "{first}, thanks for reaching out", "{first}, a couple of questions")


def _signals(state: LeadState) -> list[Mapping[str, Any]]:
    if state.signals:
        return list(state.signals)
    return [s.model_dump(mode="json") for s in research(state.lead, depth="none", fetcher=None).signals]


def _proof(ctx: AgentContext, state: LeadState) -> tuple[str | None, list[dict[str, object]]]:
    """A proof point from the campaign's knowledge for a tier A template draft (``None`` without one),
    and the passage it was quoted from (document, section, source: the action's ``kb_sources``)."""
    if ctx.kb is None or state.tier != "A":
        return None, []
    try:
        passages = ctx.kb.search(f"{ctx.campaign.offer} {topic(_signals(state))}", k=5, workspace_id=ctx.workspace_id,
                                 safe_only=True)
    except LeadflowError:  # the knowledge base is optional here: the draft goes without a proof point
        return None, []
    point = proof_point([p.text for p in passages])
    cited = [{"doc_id": p.citation.doc_id, "title": p.citation.title, "section": p.heading or p.citation.title,
              "source": p.citation.source} for p in passages if point and point in p.text and hasattr(p, "citation")][:1]
    return point, cited


def _consumer_draft(
    ctx: AgentContext,
    state: LeadState,
    channel: Channel,
    industry: str,
    signals: list[Mapping[str, Any]],
    mailbox: SenderIdentity | None,
) -> Draft:
    lead = state.lead
    campaign = ctx.campaign
    where = f" in {lead.attributes['area']}" if lead.attributes.get("area") else ""
    opener = _OPENERS[industry].format(where=where)
    inquiry = next((s for s in signals if str(s.get("source")) == "lead:inquiry"), None)
    mention = f' You mentioned: "{lead.inquiry[:80]}".' if lead.inquiry and channel is Channel.EMAIL else ""
    rep = mailbox.name.split()[0] if mailbox else campaign.rep_name
    intro = choose(_INTROS, state.lead_id, "intro").format(rep=rep, company=campaign.company_name)
    ask = choose(_CONSUMER_ASKS, state.lead_id, "ask")
    body = f"Hi {first_name(lead)}, {intro} - {opener}{mention} {ask}"
    used = inquiry or next((s for s in signals if str(s.get("source")) == "lead:industry"), None)
    return Draft(
        channel=channel,
        subject=choose(_CONSUMER_SUBJECTS, state.lead_id, "subject").format(first=first_name(lead))
        if channel is Channel.EMAIL
        else None,
        body=body,
        footer=footer_for(channel, campaign, mailbox),
        signal_used=str(used["text"]) if used else "",
        source="template",
    )


class ResponseAgent:
    card: ClassVar[AgentCard] = AgentCard(
        name="response",
        description="First touch after research and triage: personalised, gate-checked, sent in the lead's send window.",
        capabilities=["first_touch", "instant_response", "personalisation"],
        inputs=["lead.created"],
        outputs=["message.scheduled"],
        model_tier="fast",
        expected_latency_ms=20,
        concurrency=32,
    )

    def handle(self, ctx: AgentContext, state: LeadState, event: Event) -> Decision:
        # a draft a person rejected is written again in other words, not the same text again
        variant = int(event.payload.get("attempt") or 1) if event.type == REJECTED else 0
        return self._first_touch(ctx, state, writer=None, variant=variant)

    def handle_llm(self, ctx: AgentContext, state: LeadState, event: Event) -> Decision:
        tier = state.tier or assess(state.lead, ctx.campaign, state.signals).tier
        plan = plan_for(tier)
        if plan.writer == "template" or ctx.llm is None:
            return self._first_touch(ctx, state, writer=None)  # tier C never calls a model
        return self._first_touch(ctx, state, writer=plan.writer, max_signals=plan.signals)

    def _first_touch(
        self,
        ctx: AgentContext,
        state: LeadState,
        *,
        writer: str | None,
        max_signals: int | None = None,
        variant: int = 0,
    ) -> Decision:
        lead = state.lead
        campaign = ctx.campaign
        channel = preferred_channel(state, campaign)
        to = lead.phone if channel is Channel.SMS else (str(lead.email) if lead.email else None)
        if to is None:
            return Decision(result="no_channel", summary="no contactable address for first touch")
        plan = send_plan(ctx, state, channel, urgent=lead.source not in COLD_SOURCES)
        mailbox = sender_for(campaign, plan.mailbox) if channel is Channel.EMAIL else None
        signals = _signals(state)
        industry = campaign.industry_pack  # the campaign decides the opener, never the lead's field
        proof: str | None = None
        kb_sources: list[dict[str, object]] = []
        if writer is None and industry in _OPENERS:
            draft = _consumer_draft(ctx, state, channel, industry, signals, mailbox)
            result = Personalised(draft=draft)
            if validate(
                draft,
                campaign=campaign,
                signals=signals,
                evidence=evidence_for(state, None, "", ""),
                mailbox=mailbox,
            ):
                result = personalise(channel, state, campaign, signals, mailbox=mailbox)
        else:
            if writer and max_signals is not None:  # a cheaper tier's model sees only the best signal(s)
                signals = best_signals(signals, max_signals)
            evidence = evidence_for(state, ctx.kb, ctx.workspace_id, campaign.offer) if writer else []
            proof, kb_sources = (None, []) if writer else _proof(ctx, state)
            result = personalise(
                channel,
                state,
                campaign,
                signals,
                router=ctx.llm if writer else None,
                tier=writer,
                evidence=evidence,
                mailbox=mailbox,
                agent_name=self.card.name,
                proof=proof,
                variant=variant,
            )
        draft = result.draft
        own = first_touch_copy(campaign, state, channel, mailbox)  # the campaign file's own words win
        if own is not None:
            draft = own if own.subject or channel is not Channel.EMAIL else own.model_copy(update={"subject": draft.subject})
        action = outbound(
            state,
            ctx,
            channel=channel,
            key="response:first",
            body=draft.text,
            subject=draft.subject,
            agent=self.card.name,
            plan=plan,
            final=True,
            payload={
                "signal_used": draft.signal_used,
                "draft": draft.source,
                "tier": state.tier,
                "stop_on_reply": True,
                **({"kb_sources": kb_sources} if kb_sources and proof and proof in draft.text else {}),
            },
        )
        when = (
            f", planned {plan.local.strftime('%a %H:%M')} local ({', '.join(plan.reasons)})"
            if plan.deferred
            else ""
        )
        rejected = f", {len(result.rejections)} draft(s) rejected" if result.rejections else ""
        return Decision(
            result="first_touch",
            actions=[action],
            summary=f"first touch by {channel.value}, {draft.source} draft{rejected}{when}",
            model=result.model,
            tokens=result.tokens,
            cost_usd=result.cost_usd,
        )
