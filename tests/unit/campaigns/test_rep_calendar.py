"""``rep.calendar`` names the rep's calendar in the built-in one: campaigns naming the same
calendar share its slots; without it, the rep's name does (as before)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from leadflow.campaigns import load_text, to_campaign
from leadflow.domain.models import Campaign
from leadflow.orchestrator.clock import FixedClock
from leadflow.runtime import Runtime
from leadflow.settings import Settings
from leadflow.state import MemoryStore

NOW = datetime(2026, 3, 3, 15, 0, tzinfo=UTC)
EXAMPLE = Path(__file__).parents[3] / "examples" / "campaign.yaml"


def test_campaigns_naming_one_calendar_share_it(tmp_path: Path) -> None:
    text = EXAMPLE.read_text(encoding="utf-8").replace("  name: Maya Chen\n  timezone", "  name: Maya Chen\n"
                                                         "  calendar: maya-work\n  timezone")
    a = to_campaign(load_text(text))
    b = to_campaign(load_text(text.replace("name: pipeline-pilot", "name: second-pilot")
                              .replace("  name: Maya Chen\n  calendar", "  name: M. Chen\n  calendar")))
    assert a.rep_calendar == b.rep_calendar == "maya-work"
    assert Campaign(name="x", rep_name="Sam").rep_calendar == "Sam"
    rt = Runtime.build(Settings(db_url="memory://", transcript_path=str(tmp_path / "t.db")), store=MemoryStore(),
                       clock=FixedClock(NOW))
    try:
        calendar_a = rt.orchestrator.context_factory("w", a).calendar
        assert calendar_a is rt.orchestrator.context_factory("w", b).calendar
        assert calendar_a is not rt.orchestrator.context_factory("w", Campaign(name="x", rep_name="Sam")).calendar
    finally:
        rt.close()
