"""A campaign's own copy: the sequence step templates of its file, filled in for one lead.

Templates use ``{first_name}``-style variables from the fixed set
:data:`~leadflow.campaigns.spec.TEMPLATE_VARIABLES` (checked on apply). A lead that lacks a value
a template needs (no company for ``{company}``) gets the agents' own draft instead, so no
message goes out with a gap; the step's record says which copy went.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from leadflow.campaigns.spec import template_variables
from leadflow.domain.models import Campaign, Channel, LeadState, SenderIdentity

if TYPE_CHECKING:  # the agents import this module: personalisation is imported when it is called
    from leadflow.agents.personalisation import Draft

SOURCE = "campaign_copy"


def values(state: LeadState, campaign: Campaign, mailbox: SenderIdentity | None) -> dict[str, str]:
    """Each template variable's value for this lead ("" when unknown)."""
    lead = state.lead
    city = lead.attributes.get("city")
    return {
        "first_name": lead.first_name or "",
        "last_name": lead.last_name or "",
        "full_name": lead.full_name,
        "company": lead.company or "",
        "title": lead.title or "",
        "industry": lead.industry or "",
        "city": str(city) if city else "",
        "rep_name": campaign.rep_name,
        "sender_name": mailbox.name if mailbox is not None else campaign.rep_name,
        "company_name": campaign.company_name,
        "offer": campaign.offer,
    }


def render(template: str, known: dict[str, str]) -> str | None:
    """The template filled in, or ``None`` when a variable it uses has no value."""
    if any(not known.get(name) for name in template_variables(template)):
        return None
    return template.format(**known)


def step_copy(campaign: Campaign, index: int) -> dict[str, Any] | None:
    """Step ``index`` of the campaign file's sequence when it has its own body."""
    steps: list[dict[str, Any]] = campaign.settings.get("sequence") or []
    if index < len(steps) and steps[index].get("body"):
        return steps[index]
    return None


def first_touch(
    campaign: Campaign, state: LeadState, channel: Channel, mailbox: SenderIdentity | None
) -> Draft | None:
    """The first touch from the campaign's own copy, or ``None`` (no copy, another channel, or a
    value the template needs is missing for this lead)."""
    from leadflow.agents.personalisation import Draft, footer_for

    step = step_copy(campaign, 0)
    if step is None or step.get("channel", Channel.EMAIL.value) != channel.value:
        return None
    known = values(state, campaign, mailbox)
    body = render(str(step["body"]), known)
    subject = render(str(step["subject"]), known) if step.get("subject") else None
    if body is None or (step.get("subject") and subject is None):
        return None
    if mailbox is not None and mailbox.signature:
        signature = render(mailbox.signature, known)
        if signature:
            body = body.rstrip() + "\n\n" + signature
    return Draft(channel=channel, subject=subject, body=body.rstrip(), footer=footer_for(channel, campaign, mailbox),
                 source=SOURCE)


def follow_up(campaign: Campaign, state: LeadState, index: int, channel: Channel) -> tuple[str | None, str] | None:
    """(subject, body) of follow-up ``index`` (1 = the first follow-up) from the campaign's own
    copy, or ``None``. ``{sender_name}`` is the rep here: the mailbox is chosen when it is sent.
    The footer is added as for every follow-up."""
    step = step_copy(campaign, index)
    if step is None or step.get("channel", Channel.EMAIL.value) != channel.value:
        return None
    known = values(state, campaign, None)
    body = render(str(step["body"]), known)
    subject = render(str(step["subject"]), known) if step.get("subject") else None
    if body is None or (step.get("subject") and subject is None):
        return None
    return subject, body.rstrip()
