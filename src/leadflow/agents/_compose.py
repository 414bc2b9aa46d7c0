"""Shared helpers for composing outbound messages: addresses, footers, length limits, keys, send plans.

Every message to a lead is built by :func:`outbound`, and every one gets its time and mailbox
from sequencing (:func:`send_plan`, which calls :func:`leadflow.agents.sequencing.plan_send`):
the recipient's send window, no weekends or campaign holidays, nothing before an out-of-office
return (``state.paused_until``), the mailbox daily and domain hourly caps counted in
``ctx.extras["send_ledger"]``, and rotation across the campaign's senders. The dispatcher
checks the same policy again when the send is due.

E-mails after the first are follow-ups in one thread (:mod:`leadflow.agents._thread`): they go
from the first e-mail's mailbox with ``Re: <first subject>`` and its thread headers, whatever
subject the writing agent proposed.
"""

from __future__ import annotations

from datetime import datetime

from leadflow.agents._thread import follow_up
from leadflow.agents.base import AgentContext
from leadflow.agents.send_ledger import ledger_for
from leadflow.agents.sequencing import SendPlan, plan_send, sender_for
from leadflow.domain.actions import ActionKind, OutboundAction
from leadflow.domain.models import Campaign, Channel, LeadState, SenderIdentity
from leadflow.domain.timezones import lead_zones

SMS_LIMIT = 160
EMAIL_WORD_LIMIT = 100


def sender(campaign: Campaign) -> tuple[str, str, str]:
    """(name, email, postal address) of the campaign's first sender identity."""
    if campaign.senders:
        s = campaign.senders[0]
        return s.name, str(s.email), s.postal_address
    return campaign.rep_name, "sales@leadflow.example", "1 Market Street, San Francisco, CA 94105"


def email_footer(campaign: Campaign, identity: SenderIdentity | None = None) -> str:
    """Signature, sender address and opt-out line; from ``identity`` when a mailbox was chosen."""
    if identity is not None:
        name, email, postal = identity.name, str(identity.email), identity.postal_address
    else:
        name, email, postal = sender(campaign)
    return f"\n\n{name}, {campaign.company_name} <{email}>\n{postal}\nReply STOP or 'unsubscribe' to opt out."


def fit_sms(text: str) -> str:
    text = " ".join(text.split())
    if len(text) <= SMS_LIMIT:
        return text
    return text[: SMS_LIMIT - 1].rstrip() + "…"


def clip_words(text: str, limit: int = EMAIL_WORD_LIMIT) -> str:
    words = text.split(" ")
    if len(words) <= limit:
        return text
    return " ".join(words[:limit]).rstrip(",;") + "…"


def preferred_channel(state: LeadState, campaign: Campaign) -> Channel:
    lead = state.lead
    for channel in campaign.channels:
        if channel is Channel.SMS and lead.phone and lead.consent.sms:
            return Channel.SMS
        if channel is Channel.EMAIL and lead.email and lead.consent.email:
            return Channel.EMAIL
    if lead.email and lead.consent.email:
        return Channel.EMAIL
    return Channel.SMS if lead.phone and lead.consent.sms else Channel.EMAIL


def send_plan(
    ctx: AgentContext,
    state: LeadState,
    channel: Channel,
    *,
    urgent: bool = True,
    earliest: datetime | None = None,
) -> SendPlan:
    """When, and from which mailbox, a message to this lead goes.

    Args:
        ctx: The clock, the campaign (senders, holidays, ``settings["sending"]``) and the ledger.
        state: The lead: its time zone, email domain and out-of-office return.
        channel: Emails count toward mailbox and domain caps; SMS only keeps to the window.
        urgent: Any allowed weekday (replies, inbound leads); ``False`` waits for a preferred day.
        earliest: Not before this (a drip step's day), when later than now.

    An e-mail in a lead's existing thread keeps the thread's mailbox (within the hand-over
    rule of :func:`leadflow.agents.sequencing.plan_send`).
    """
    lead = state.lead
    now = ctx.clock.now()
    email = channel is Channel.EMAIL
    return plan_send(
        now=max(now, earliest) if earliest is not None else now,
        campaign=ctx.campaign,
        recipient_tz=lead.timezone,
        recipient_zones=lead_zones(lead),
        recipient_domain=str(lead.email).rsplit("@", 1)[-1] if email and lead.email else None,
        lead_key=state.lead_id,
        urgent=urgent,
        paused_until=state.paused_until,
        thread_mailbox=follow_up(state, ctx.campaign, subject=None).mailbox if email else None,
        ledger=ledger_for(ctx.extras.get("send_ledger"), ctx.workspace_id) if email and lead.email else None,
    )


def outbound(
    state: LeadState,
    ctx: AgentContext,
    *,
    channel: Channel,
    key: str,
    body: str,
    subject: str | None,
    agent: str,
    not_before: datetime | None = None,
    plan: SendPlan | None = None,
    urgent: bool = True,
    final: bool = False,
    payload: dict[str, object] | None = None,
) -> OutboundAction:
    """An outbound message with the right recipient, footer, limits, send time and mailbox.

    The time and mailbox come from ``plan`` (an agent that needs the mailbox before drafting
    plans first with :func:`send_plan`), else from :func:`send_plan` with ``urgent`` and
    ``not_before`` as the earliest moment. ``final`` marks a body that already carries its
    footer and passed the personalisation gate (it is sent as is).

    For e-mail, ``subject`` only starts a thread: once the lead has had an e-mail, the thread
    rule (:func:`leadflow.agents._thread.follow_up`) sets the subject and the thread headers.
    """
    if not isinstance(ctx, AgentContext):
        raise TypeError(
            f"outbound() takes the AgentContext (sends are planned by sequencing), not {type(ctx).__name__}"
        )
    campaign = ctx.campaign
    plan = plan or send_plan(ctx, state, channel, urgent=urgent, earliest=not_before)
    at = plan.at if plan.at > ctx.clock.now() else None
    mailbox = sender_for(campaign, plan.mailbox) if channel is Channel.EMAIL else None
    lead = state.lead
    extra: dict[str, object] = dict(payload or {})
    thread = follow_up(state, campaign, subject=subject) if channel is Channel.EMAIL else None
    if thread is not None and thread.mailbox and plan.mailbox and thread.mailbox.lower() != plan.mailbox.lower():
        why = next((r for r in plan.reasons if r.startswith("thread mailbox")), "")
        extra["thread_handover"] = {"from": thread.mailbox, "to": plan.mailbox, "why": why}
    if mailbox is not None:
        extra["from"] = str(mailbox.email)
    if channel is Channel.SMS:
        return OutboundAction(
            kind=ActionKind.SEND_SMS,
            idempotency_key=f"{state.lead_id}:{key}",
            to=lead.phone,
            body=fit_sms(body if final else body + " Reply STOP to opt out."),
            agent=agent,
            not_before=at,
            payload=extra,
        )
    return OutboundAction(
        kind=ActionKind.SEND_EMAIL,
        idempotency_key=f"{state.lead_id}:{key}",
        to=str(lead.email) if lead.email else None,
        subject=thread.subject if thread is not None else subject,
        body=body if final else clip_words(body) + email_footer(campaign, mailbox),
        agent=agent,
        not_before=at,
        payload={**(thread.headers if thread is not None else {}), **extra},
    )
