"""Review before send, end to end: a Runtime and its worker over SQLite with a fixed clock (issue 11).

Under review the dispatcher holds the agents' messages as drafts; a person reads them in full,
edits, approves (then they go through the same outbox, suppression check and send window as
any message) or rejects them (the first touch is written again, or the lead goes to a human).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from itertools import pairwise
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from leadflow.domain.actions import CONTACT_ACTIONS, ActionKind
from leadflow.domain.events import EventType
from leadflow.domain.models import Direction, Lead
from leadflow.drafts import Drafts, autonomy_of
from leadflow.exceptions import Conflict, InvalidInput
from leadflow.integrations.channels import TranscriptChannel
from leadflow.orchestrator.clock import FixedClock
from leadflow.runtime import Runtime
from leadflow.settings import Settings
from leadflow.sim.run import CAMPAIGN, demo_campaign
from leadflow.state.records import Commit
from leadflow.state.sql import SqlStore

WS = "default"
NOW = datetime(2026, 3, 3, 15, 0, tzinfo=UTC)  # a Tuesday, 09:00 in Chicago
CHICAGO = ZoneInfo("America/Chicago")


class Setup:
    def __init__(self, tmp_path: Path, autonomy: str, **settings: Any) -> None:
        url = f"sqlite:///{tmp_path / 'leadflow.db'}"
        self.channel = TranscriptChannel(":memory:")
        self.clock = FixedClock(NOW)
        self.rt = Runtime.build(
            Settings(db_url=url, transcript_path=":memory:", workspace=WS),
            store=SqlStore(url),
            clock=self.clock,
            channel=self.channel,
        )
        campaign = demo_campaign()
        self.rt.store.save_campaign(
            WS, campaign.model_copy(update={"autonomy": autonomy, "settings": {**campaign.settings, **settings}})
        )
        self.drafts = Drafts(store=self.rt.store, clock=self.clock)

    def lead(self, email: str = "ann.lee@acme.example") -> str:
        lead = Lead(first_name="Ann", last_name="Lee", email=email, company="Acme", industry="b2b_saas",
                    title="CTO", source="webform", inquiry="Send me pricing please.",
                    timezone="America/Chicago")  # fmt: skip
        state, _ = self.rt.intake.create_lead(WS, CAMPAIGN, lead)
        self.rt.worker.run_until_idle()
        return state.lead_id

    def delivered(self, lead_id: str) -> list[dict[str, str]]:
        """What reached the prospect (not the human notifications)."""
        kinds = {k.value for k in CONTACT_ACTIONS}
        return [d for d in self.channel.deliveries() if d["lead_id"] == lead_id and d["kind"] in kinds]

    def events(self, lead_id: str, type_: str) -> list[Any]:
        return [e for e in self.rt.store.lead_events(WS, lead_id) if e.type == type_]

    def close(self) -> None:
        self.rt.close()
        self.channel.close()


@pytest.fixture
def make(tmp_path: Path) -> Iterator[Any]:
    made: list[Setup] = []

    def build(autonomy: str, **settings: Any) -> Setup:
        s = Setup(tmp_path / str(len(made)), autonomy, **settings)
        made.append(s)
        return s

    (tmp_path / "0").mkdir()
    (tmp_path / "1").mkdir()
    yield build
    for s in made:
        s.close()


def test_autopilot_holds_nothing(make: Any) -> None:
    s = make("autopilot")
    lead = s.lead()
    assert s.drafts.list(WS) == []
    assert len(s.delivered(lead)) == 1


def test_review_first_touch_holds_it_and_a_person_reads_it_in_full(make: Any) -> None:
    s = make("review_first_touch")
    lead = s.lead()
    assert s.delivered(lead) == [], "nothing goes out before a person approved it"
    [draft] = s.drafts.list(WS)
    [row] = [r for r in s.rt.store.actions_for(WS, lead) if r.action.kind is ActionKind.SEND_EMAIL]
    assert (row.status, draft.id, draft.lead_id, draft.status) == ("held", row.seq, lead, "held")
    assert draft.body == row.action.body and "Ann" in draft.body and "unsubscribe" in draft.body
    assert draft.subject == row.action.subject and draft.to == "ann.lee@acme.example"
    assert draft.written_by == "template" and draft.agent == "response"
    assert draft.held_because and draft.held_because.startswith("review_first_touch")
    [held] = s.events(lead, "draft.held")
    assert held.payload["seq"] == row.seq
    assert s.drafts.list(WS, campaign="another") == []
    assert [d.id for d in s.drafts.list(WS, campaign=CAMPAIGN)] == [row.seq]


def test_an_edited_draft_is_delivered_as_edited_once_through_the_dispatcher(make: Any) -> None:
    s = make("review_first_touch")
    lead = s.lead()
    [draft] = s.drafts.list(WS)
    body = "Hi Ann,\n\nA person wrote this one.\n\nSam\n\nReply STOP or 'unsubscribe' to opt out."
    edited = s.drafts.edit(WS, draft.id, by="maria", subject="Pricing for Acme", body=body)
    assert (edited.status, edited.body, edited.subject, edited.written_by) == (
        "held", body, "Pricing for Acme", "person:maria")  # fmt: skip
    [ev] = s.events(lead, "draft.edited")
    assert ev.payload["by"] == "maria" and ev.payload["before"]["body"] == draft.body
    s.rt.worker.run_until_idle()
    assert s.delivered(lead) == [], "an edit is not an approval"

    approved = s.drafts.approve(WS, draft.id, by="maria")
    assert approved.status == "approved" and approved.decided_by == "maria"
    s.rt.worker.run_until_idle()
    s.rt.worker.run_until_idle()
    [sent] = s.delivered(lead)
    assert (sent["subject"], sent["body"]) == ("Pricing for Acme", body)
    assert s.drafts.get(WS, draft.id).delivery == "sent"
    assert len(s.events(lead, EventType.MESSAGE_SENT)) == 1
    state = s.rt.store.get_lead(WS, lead)
    [out] = [m for m in state.messages if m.direction is Direction.OUTBOUND]
    assert out.body == body
    with pytest.raises(Conflict):
        s.drafts.approve(WS, draft.id, by="maria")  # decided once
    assert len(s.delivered(lead)) == 1


def test_an_approved_draft_waits_for_the_leads_send_window(make: Any) -> None:
    s = make("review_first_touch")
    lead = s.lead()
    [draft] = s.drafts.list(WS)
    s.clock.advance_to(datetime(2026, 3, 4, 4, 0, tzinfo=UTC))  # 22:00 Tuesday in Chicago
    s.drafts.approve(WS, draft.id, by="maria")
    s.rt.worker.run_until_idle()
    assert s.delivered(lead) == [], "approved at night: it waits for the morning"
    s.rt.worker.run_until_idle(simulate=True, max_rounds=50)
    state = s.rt.store.get_lead(WS, lead)
    first = min(m.at for m in state.messages if m.direction is Direction.OUTBOUND)
    local = first.astimezone(CHICAGO)
    assert local.date() == datetime(2026, 3, 4).date() and 8 <= local.hour < 18, local


def test_an_approved_draft_to_a_lead_who_opted_out_meanwhile_is_not_sent(make: Any) -> None:
    s = make("review_first_touch")
    lead = s.lead()
    [draft] = s.drafts.list(WS)
    s.rt.store.apply([Commit(WS, "-", suppress=[("ann.lee@acme.example", "unsubscribed")], at=NOW)])
    s.drafts.approve(WS, draft.id, by="maria")
    s.rt.worker.run_until_idle()
    assert s.delivered(lead) == []
    assert s.drafts.get(WS, draft.id).delivery == "suppressed"


def test_follow_ups_are_not_held_under_review_first_touch(make: Any) -> None:
    s = make("review_first_touch")
    lead = s.lead()
    [draft] = s.drafts.list(WS)
    s.drafts.approve(WS, draft.id, by="maria")
    s.rt.worker.run_until_idle(simulate=True, max_rounds=400)
    assert len(s.delivered(lead)) >= 2, "the follow-ups went out on their own"
    assert [d.id for d in s.drafts.list(WS, status="all")] == [draft.id]


def test_follow_ups_are_held_under_review_all(make: Any) -> None:
    s = make("review_all")
    lead = s.lead()
    [draft] = s.drafts.list(WS)
    s.drafts.approve(WS, draft.id, by="maria")
    for _ in range(100):  # days pass until the first follow-up falls due
        s.rt.worker.run_until_idle(simulate=True, max_rounds=3)
        if s.drafts.list(WS):
            break
    held = s.drafts.list(WS)
    assert held and all(d.held_because and d.held_because.startswith("review_all") for d in held)
    assert all(d.lead_id == lead and d.id != draft.id for d in held)
    assert len(s.delivered(lead)) == 1, "only the approved one"
    s.rt.worker.run_until_idle(simulate=True, max_rounds=400)  # the drip ends unanswered: the lead is lost
    assert len(s.delivered(lead)) == 1
    assert s.drafts.list(WS) == [], "a lost lead's drafts are cancelled with its other pending messages"


def test_a_rejected_first_touch_is_written_again_then_the_lead_goes_to_a_human(make: Any) -> None:
    s = make("review_first_touch", max_redrafts=1)
    lead = s.lead()
    [first] = s.drafts.list(WS)
    rejected = s.drafts.reject(WS, first.id, reason="too generic", by="maria")
    assert (rejected.status, rejected.rejected_because, rejected.decided_by) == ("rejected", "too generic", "maria")
    s.rt.worker.run_until_idle()
    [second] = s.drafts.list(WS)
    assert second.id != first.id and second.agent == "response"
    row = s.rt.store.action_by_seq(WS, second.id)
    assert row.action.idempotency_key.endswith(":redraft1")
    assert row.action.payload["rejected_because"] == "too generic"
    assert s.delivered(lead) == []

    s.drafts.reject(WS, second.id, reason="still not right", by="maria")
    s.rt.worker.run_until_idle()
    assert s.drafts.list(WS) == [], "not written a third time"
    state = s.rt.store.get_lead(WS, lead)
    assert state.assigned_to == "human"
    assert any(e.reason == "draft_rejected" for e in state.escalations)
    notes = [d for d in s.channel.deliveries() if d["lead_id"] == lead and d["kind"] == ActionKind.NOTIFY_HUMAN.value]
    assert notes and "still not right" in notes[0]["body"]
    assert s.delivered(lead) == []


def test_draft_only_holds_everything_and_a_rejection_goes_to_a_human(make: Any) -> None:
    s = make("draft_only")
    lead = s.lead()
    [draft] = s.drafts.list(WS)
    assert draft.held_because and draft.held_because.startswith("draft_only")
    s.drafts.reject(WS, draft.id, reason="I will write it", by="maria")
    s.rt.worker.run_until_idle()
    assert s.rt.store.get_lead(WS, lead).assigned_to == "human", "not written again: the person writes"
    assert s.drafts.list(WS) == []
    s.rt.worker.run_until_idle(simulate=True, max_rounds=100)
    assert s.delivered(lead) == [], "nothing goes out on its own"


def test_a_decision_needs_what_it_needs(make: Any) -> None:
    s = make("review_all")
    s.lead()
    [draft] = s.drafts.list(WS)
    with pytest.raises(InvalidInput):
        s.drafts.reject(WS, draft.id, reason="  ", by="maria")
    with pytest.raises(InvalidInput):
        s.drafts.edit(WS, draft.id, by="maria")
    with pytest.raises(InvalidInput):
        s.drafts.edit(WS, draft.id, by="maria", body="")
    with pytest.raises(InvalidInput):
        s.drafts.list(WS, status="sent")
    assert s.drafts.get(WS, draft.id).status == "held"


def test_autonomy_reads_the_typed_field_or_the_older_setting() -> None:
    c = demo_campaign()
    assert autonomy_of(c) == "autopilot"
    assert autonomy_of(c.model_copy(update={"autonomy": "review_all"})) == "review_all"
    assert autonomy_of(c.model_copy(update={"settings": {"autonomy": "draft_only"}})) == "draft_only"
    with pytest.raises(InvalidInput):
        autonomy_of(c.model_copy(update={"settings": {"autonomy": "yolo"}}))


def test_a_draft_written_before_the_leads_reply_is_not_approved(make: Any) -> None:
    s = make("review_first_touch")
    lead = s.lead()
    [draft] = s.drafts.list(WS)
    assert s.rt.intake.receive_reply(WS, lead, message_id="r-1", text="Actually, can you call me tomorrow?")
    s.rt.worker.run_until_idle()
    with pytest.raises(Conflict, match="replied"):
        s.drafts.approve(WS, draft.id, by="maria")
    assert s.drafts.get(WS, draft.id).status == "held"
    assert s.drafts.reject(WS, draft.id, reason="she replied", by="maria").status == "rejected"


def test_follow_ups_wait_while_the_first_touch_is_with_a_person_then_go_on_their_own(make: Any) -> None:
    s = make("review_first_touch")
    lead = s.lead()
    [draft] = s.drafts.list(WS)
    s.rt.worker.run_until_idle(simulate=True, max_rounds=300)  # days pass: the follow-ups fall due
    assert [d.id for d in s.drafts.list(WS)] == [draft.id], "one draft: the first touch, not its follow-ups"
    waiting = [r for r in s.rt.store.actions_for(WS, lead) if r.status == "pending"]
    assert waiting and all(f"waits for draft {draft.id}" in (r.detail or "") for r in waiting)
    assert waiting[0].attempts == 0 and s.delivered(lead) == []

    s.drafts.approve(WS, draft.id, by="maria")
    s.rt.worker.run_until_idle(simulate=True, max_rounds=300)
    sent = s.delivered(lead)
    assert len(sent) >= 2, "the first touch, then the follow-ups on their own"
    assert [d.id for d in s.drafts.list(WS, status="all")] == [draft.id]


def test_a_lead_who_opts_out_leaves_no_draft_to_approve(make: Any) -> None:
    s = make("review_first_touch")
    lead = s.lead()
    [draft] = s.drafts.list(WS)
    assert s.rt.intake.receive_reply(WS, lead, message_id="r-stop", text="Please unsubscribe me from this list.")
    s.rt.worker.run_until_idle()
    assert s.drafts.list(WS) == []
    with pytest.raises(Conflict, match="cancelled"):
        s.drafts.approve(WS, draft.id, by="maria")
    assert s.drafts.get(WS, draft.id).status == "cancelled"
    assert s.delivered(lead) == []


def test_the_first_follow_up_is_timed_from_when_the_approved_first_touch_went_out(make: Any) -> None:
    s = make("review_first_touch")
    lead = s.lead()  # imported Tuesday; the first touch waits for a person
    [draft] = s.drafts.list(WS)
    s.clock.advance_to(datetime(2026, 3, 5, 16, 0, tzinfo=UTC))  # approved Thursday, 10:00 in Chicago
    s.drafts.approve(WS, draft.id, by="maria")
    s.rt.worker.run_until_idle()
    s.rt.worker.run_until_idle(simulate=True, max_rounds=300)  # the stall timer (Friday) fires, the drip goes on
    sent = [m.at.astimezone(CHICAGO) for m in s.rt.store.get_lead(WS, lead).messages if m.direction is Direction.OUTBOUND]
    assert len(sent) >= 2 and sent[0].date().isoformat() == "2026-03-05"
    for before, after in pairwise(sent):
        assert (after.date() - before.date()).days >= 3, f"{after} is too soon after {before}"
