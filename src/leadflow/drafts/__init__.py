"""Review before send: the campaign's autonomy mode, held drafts, and what a person does with them.

The dispatcher holds what a campaign's mode says a person reviews (:func:`hold_reason`); the
:class:`Drafts` service lists, shows, edits, approves and rejects them (``leadflow drafts``
and ``/v1/drafts``); :class:`RedraftAgent` answers a rejection.
"""

from leadflow.drafts._events import DRAFT_APPROVED, DRAFT_EDITED, DRAFT_EVENTS, DRAFT_HELD, DRAFT_REJECTED
from leadflow.drafts._policy import MODES, approved, autonomy_of, hold_reason
from leadflow.drafts._redraft import RedraftAgent
from leadflow.drafts._service import STATUSES, Drafts, DraftView, writer_of

__all__ = [
    "DRAFT_APPROVED",
    "DRAFT_EDITED",
    "DRAFT_EVENTS",
    "DRAFT_HELD",
    "DRAFT_REJECTED",
    "MODES",
    "STATUSES",
    "DraftView",
    "Drafts",
    "RedraftAgent",
    "approved",
    "autonomy_of",
    "hold_reason",
    "writer_of",
]
