"""``leadflow.drafts`` exports exactly its public API, and the modes are the campaign's."""

from __future__ import annotations

from typing import get_args

import leadflow.drafts as drafts
from leadflow.domain.models import Autonomy


def test_all_is_pinned() -> None:
    assert drafts.__all__ == [
        "DRAFT_APPROVED", "DRAFT_EDITED", "DRAFT_EVENTS", "DRAFT_HELD", "DRAFT_REJECTED", "MODES", "STATUSES",
        "DraftView", "Drafts", "RedraftAgent", "approved", "autonomy_of", "hold_reason", "writer_of",
    ]  # fmt: skip
    assert all(hasattr(drafts, name) for name in drafts.__all__)


def test_the_modes_are_the_campaign_files() -> None:
    assert drafts.MODES == get_args(Autonomy) == ("autopilot", "review_first_touch", "review_all", "draft_only")
