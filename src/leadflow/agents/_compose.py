"""Shared helpers for composing outbound messages: addresses, footers, length limits, keys."""

from __future__ import annotations

from datetime import datetime

from leadflow.domain.actions import ActionKind, OutboundAction
from leadflow.domain.models import Campaign, Channel, LeadState, SenderIdentity

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


def outbound(
    state: LeadState,
    campaign: Campaign,
    *,
    channel: Channel,
    key: str,
    body: str,
    subject: str | None,
    agent: str,
    not_before: datetime | None = None,
    mailbox: SenderIdentity | None = None,
    final: bool = False,
    payload: dict[str, object] | None = None,
) -> OutboundAction:
    """An outbound message with the right recipient, footer and limits for its channel.

    ``final`` marks a body that already carries its footer and passed the personalisation
    gate (it is sent as is); ``mailbox`` is the sender identity chosen by sequencing.
    """
    lead = state.lead
    extra: dict[str, object] = dict(payload or {})
    if mailbox is not None:
        extra["from"] = str(mailbox.email)
    if channel is Channel.SMS:
        return OutboundAction(
            kind=ActionKind.SEND_SMS,
            idempotency_key=f"{state.lead_id}:{key}",
            to=lead.phone,
            body=fit_sms(body if final else body + " Reply STOP to opt out."),
            agent=agent,
            not_before=not_before,
            payload=extra,
        )
    return OutboundAction(
        kind=ActionKind.SEND_EMAIL,
        idempotency_key=f"{state.lead_id}:{key}",
        to=str(lead.email) if lead.email else None,
        subject=subject,
        body=body if final else clip_words(body) + email_footer(campaign, mailbox),
        agent=agent,
        not_before=not_before,
        payload={"thread_id": f"lf-{state.lead_id}", **extra},
    )
