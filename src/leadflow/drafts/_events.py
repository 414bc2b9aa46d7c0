"""The events of a draft's life in the lead's log (the trace and replay read them)."""

from __future__ import annotations

from typing import Final

DRAFT_HELD: Final = "draft.held"  # the dispatcher held a message for review; payload: seq, reason
DRAFT_EDITED: Final = "draft.edited"  # a person changed its subject or body; payload: by, before
DRAFT_APPROVED: Final = "draft.approved"  # a person approved it; it is queued as a pending send
DRAFT_REJECTED: Final = "draft.rejected"  # a person rejected it; routed: written again or handed to a human

DRAFT_EVENTS: Final = (DRAFT_HELD, DRAFT_EDITED, DRAFT_APPROVED, DRAFT_REJECTED)
