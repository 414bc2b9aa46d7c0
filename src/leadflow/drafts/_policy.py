"""Which messages a person reviews before they go: the campaign's autonomy mode.

The four modes (``Campaign.autonomy``, set from the campaign file):

``autopilot``
    The agents send on their own (the default).
``review_first_touch``
    A lead's first message (nothing has gone to them yet) is held as a draft; once a person
    approved one and it went out, the follow-ups are sent on their own.
``review_all``
    Every message the agents want to send to a prospect is held.
``draft_only``
    The agents only write drafts: every message is held, nothing ever goes out on its own, and
    approving a draft is what sends it. A rejected draft is not written again by an agent: the
    person who rejected it owns the lead (it is handed to a human).

Held means: the outbox row's status becomes ``held`` at dispatch (``Dispatcher``), after the
suppression check, and a ``draft.held`` event enters the lead's log. Only messages to the
prospect (e-mail, SMS, LinkedIn) are held, never a notification to a human.

Under ``review_first_touch`` a follow-up that falls due while the lead's first touch is still
waiting for a person (held, or approved and not yet sent) is neither held nor sent: it waits
(:data:`FIRST_TOUCH_WAIT` at a time, no attempt counted), and once the first touch went out it
goes on its own like any follow-up.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import timedelta
from typing import Final, get_args

from leadflow.domain.actions import CONTACT_ACTIONS
from leadflow.domain.models import Autonomy, Campaign, Direction, LeadState
from leadflow.exceptions import InvalidInput
from leadflow.state.records import ActionRow

MODES: Final[tuple[str, ...]] = get_args(Autonomy)
REVIEW_KEY: Final = "review"
"""The action payload key a draft's review record lives under (who approved or edited it)."""


def autonomy_of(campaign: Campaign) -> str:
    """The campaign's autonomy mode: its typed field, or ``settings["autonomy"]`` (older campaigns)."""
    typed = getattr(campaign, "autonomy", None)
    mode = typed if typed and typed != "autopilot" else campaign.settings.get("autonomy", "autopilot")
    if mode not in MODES:
        raise InvalidInput(f"autonomy: {mode!r} is not one of {', '.join(MODES)}")
    return str(mode)


def approved(row: ActionRow) -> bool:
    """Whether a person already approved this very message (it is not held again)."""
    review = row.action.payload.get(REVIEW_KEY)
    return isinstance(review, dict) and bool(review.get("approved_by"))


def hold_reason(campaign: Campaign, state: LeadState, row: ActionRow) -> str | None:
    """Why this outbox row waits for a person before it is sent, or None to send it."""
    if row.action.kind not in CONTACT_ACTIONS or approved(row):
        return None
    mode = autonomy_of(campaign)
    if mode == "autopilot":
        return None
    if mode == "review_first_touch":
        sent_before = any(m.direction is Direction.OUTBOUND for m in state.messages)
        return None if sent_before else "review_first_touch: the first message to this lead"
    if mode == "review_all":
        return "review_all: every message is reviewed"
    return "draft_only: the agents only write drafts"


FIRST_TOUCH_WAIT: Final = timedelta(hours=1)
"""How long a follow-up waits before it looks again at its lead's first touch under review."""


def awaited_draft(rows: Iterable[ActionRow], row: ActionRow) -> int | None:
    """The draft (its id) of this lead's first touch that ``row`` waits for, or None.

    ``rows`` are the lead's outbox rows: a contact row other than ``row`` still held, or
    approved and queued (pending) but not yet sent.
    """
    for other in rows:
        if other.seq == row.seq or other.action.kind not in CONTACT_ACTIONS:
            continue
        if other.status == "held":
            return other.seq
        if other.status == "pending" and approved(other):
            review = other.action.payload.get(REVIEW_KEY)
            draft = review.get("draft") if isinstance(review, dict) else None
            return int(draft) if isinstance(draft, int) else other.seq
    return None
