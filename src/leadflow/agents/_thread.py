"""The thread rule: which mailbox and subject a follow-up in a conversation goes with.

A conversation with a lead starts with the first e-mail we send it (the response agent's first
touch, or whichever agent writes first). Every later e-mail to that lead, whoever writes it
(qualification, appointment, nurture, closing, post-sale), is a follow-up in the same thread:

* it goes from the mailbox that sent the first one (the rule for a mailbox that is over its
  cap, paused or removed is :func:`leadflow.agents.sequencing.plan_send`'s: wait for its next
  slot up to ``thread_wait_hours``, then hand over to another mailbox of the campaign, with the
  reason in the plan and so in the trace);
* its subject is ``Re: <first subject>``, whatever the agent proposed (never ``Re: Re:``);
* it carries the first message's thread id, and ``in_reply_to`` / ``references`` naming the
  messages before it, so a mail client files it under the same conversation.

:func:`thread_of` reads the thread from the lead's messages; :func:`follow_up` is the one
function that decides a follow-up's sender and subject. ``leadflow.agents._compose.outbound``
calls it for every e-mail, so no agent can start a second thread by accident.

The first message's mailbox is its recorded sender, or else the campaign address its footer
names (every e-mail footer carries ``<address>``, see ``_compose.email_footer``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from leadflow.domain.models import Campaign, Channel, Direction, LeadState, Message

MAX_REFERENCES = 10
_RE = re.compile(r"^\s*(?:(?:re|aw|sv|fw|fwd)\s*(?:\[\d+\])?\s*:\s*)+", re.I)
_ADDRESS = re.compile(r"<([^<>@\s]+@[^<>\s]+)>")


@dataclass(frozen=True)
class Thread:
    """A conversation with one lead, as its first e-mail set it up.

    Attributes:
        id: The thread id every message of it carries (``payload["thread_id"]``).
        subject: The first e-mail's subject, without any ``Re:``.
        mailbox: The address the first e-mail went from (``None`` when it cannot be told).
        message_ids: The ids of its messages, oldest first (outbound and inbound).
    """

    id: str
    subject: str | None
    mailbox: str | None
    message_ids: tuple[str, ...] = field(default=())


def default_thread_id(state: LeadState) -> str:
    """The thread id of a lead's conversation before any message exists."""
    return f"lf-{state.lead_id}"


def base_subject(subject: str | None) -> str:
    """``subject`` without its ``Re:`` / ``Fwd:`` prefixes (however many)."""
    return _RE.sub("", subject or "").strip()


def reply_subject(subject: str | None) -> str | None:
    """``Re: <subject>``, once: ``Re: Re: x`` and ``RE: x`` become ``Re: x``."""
    base = base_subject(subject)
    return f"Re: {base}" if base else None


def _mailbox(message: Message, campaign: Campaign) -> str | None:
    if message.sender:
        return message.sender
    found = _ADDRESS.findall(message.body or "")
    known = {str(s.email).lower(): str(s.email) for s in campaign.senders}
    for address in reversed(found):  # the footer comes last
        if address.lower() in known:
            return known[address.lower()]
    return found[-1] if found else None


def thread_of(state: LeadState, campaign: Campaign) -> Thread | None:
    """The lead's e-mail conversation, or ``None`` before the first e-mail went out."""
    first = next(
        (m for m in state.messages if m.channel is Channel.EMAIL and m.direction is Direction.OUTBOUND), None
    )
    if first is None:
        return None
    tid = first.thread_id or default_thread_id(state)
    ids = [
        m.id
        for m in state.messages
        if m.channel is Channel.EMAIL
        and m.at >= first.at
        and (m.thread_id in (None, tid) or m.direction is Direction.INBOUND)
    ]
    return Thread(id=tid, subject=base_subject(first.subject) or None, mailbox=_mailbox(first, campaign),
                  message_ids=tuple(dict.fromkeys(ids)))


@dataclass(frozen=True)
class FollowUp:
    """What the thread rule decided for one e-mail.

    Attributes:
        subject: The subject to send with.
        mailbox: The mailbox the thread asks for (``None``: no thread yet, sequencing rotates).
        headers: The payload entries that keep the message in its thread.
    """

    subject: str | None
    mailbox: str | None
    headers: dict[str, object]


def follow_up(state: LeadState, campaign: Campaign, *, subject: str | None) -> FollowUp:
    """The sender and subject of an e-mail to this lead: the thread's, once there is one.

    Args:
        state: The lead, with the messages sent and received so far.
        campaign: Its senders (to recognise the first e-mail's mailbox).
        subject: What the writing agent proposed; used only to start a thread.
    """
    thread = thread_of(state, campaign)
    if thread is None:
        return FollowUp(subject=base_subject(subject) or subject, mailbox=None,
                        headers={"thread_id": default_thread_id(state)})
    headers: dict[str, object] = {"thread_id": thread.id}
    if thread.message_ids:
        refs = thread.message_ids
        if len(refs) > MAX_REFERENCES:  # the first and the latest, as RFC 5322 suggests when trimming
            refs = (refs[0], *refs[-(MAX_REFERENCES - 1):])
        headers["in_reply_to"] = thread.message_ids[-1]
        headers["references"] = list(refs)
    return FollowUp(
        subject=reply_subject(thread.subject) or reply_subject(subject),
        mailbox=thread.mailbox,
        headers=headers,
    )
