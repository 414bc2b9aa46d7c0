"""The campaign file's own copy for the first touch: filled in per lead, with the sender's
signature and footer; a lead missing a value the template needs gets the agents' draft."""

from __future__ import annotations

from pathlib import Path

from tests.unit.agents.agent_helpers import created, make_ctx, make_state

from leadflow.agents.response import ResponseAgent
from leadflow.campaigns import load_text, to_campaign

EXAMPLE = Path(__file__).parents[3] / "examples" / "campaign.yaml"


def first_touch(**lead: object) -> tuple[str | None, str, str]:
    campaign = to_campaign(load_text(EXAMPLE.read_text(encoding="utf-8")))
    state = make_state(**lead)
    decision = ResponseAgent().handle(make_ctx(campaign), state, created(state))
    [action] = decision.actions
    return action.subject, action.body, str(action.payload["draft"])


def test_the_first_touch_is_the_campaign_s_own_copy_filled_in() -> None:
    subject, body, source = first_touch(first_name="Dana", company="Acme")
    assert source == "campaign_copy"
    assert subject == "Acme's pipeline, a quick question"
    assert body.startswith("Hi Dana,\n\nMost revenue teams")
    assert "Would a 20-minute look at where your pipeline leaks between demo and close be useful?" in body
    assert "Brightline Analytics shows where yours leak" in body
    assert "{" not in body and "Reply STOP" in body  # no unfilled variable; the opt-out footer
    assert "500 Howard Street" in body  # the sending mailbox's postal address


def test_a_lead_without_a_value_the_copy_needs_gets_the_agents_draft() -> None:
    subject, body, source = first_touch(first_name="Dana", company=None, company_domain=None)
    assert source != "campaign_copy" and "{company}" not in (subject or "") + body


def test_a_follow_up_with_its_own_copy_uses_it_and_the_others_are_the_agents() -> None:
    from leadflow.agents.nurture import NurtureAgent
    from leadflow.domain.events import EventType, new_event

    doc = EXAMPLE.read_text(encoding="utf-8").replace(
        "  - after: 3 days\n    channel: email\n",
        "  - after: 3 days\n    channel: email\n    subject: \"Still worth a look, {first_name}?\"\n"
        "    body: \"Hi {first_name}, one number: teams like {company} find a week's warning on slipping deals.\"\n")
    campaign = to_campaign(load_text(doc))
    state = make_state(first_name="Dana", company="Acme")
    stalled = new_event(EventType.LEAD_STALLED, lead_id=state.lead_id, workspace_id="w", at=state.created_at)
    first = NurtureAgent().handle(make_ctx(campaign), state, stalled)
    [action] = first.actions
    assert action.subject == "Still worth a look, Dana?"
    assert action.body.startswith("Hi Dana, one number: teams like Acme find") and "Reply STOP" in action.body
    assert first.state is not None and first.state.nurture_step == 1
    fired = new_event(EventType.TIMER_FIRED, lead_id=state.lead_id, workspace_id="w", at=state.created_at)
    second = NurtureAgent().handle(make_ctx(campaign), first.state, fired)
    assert "one number" not in second.actions[0].body  # step 3 has no own copy: the agent writes it


def test_a_sequence_of_the_first_touch_alone_has_no_follow_ups_and_none_keeps_the_pack_s() -> None:
    from leadflow.agents.nurture import NurtureAgent
    from leadflow.agents.qualification import load_pack, pack_for
    from leadflow.domain.events import EventType, new_event

    text = EXAMPLE.read_text(encoding="utf-8")
    start, end = text.index("  - after: 3 days"), text.index("# When a lead goes to a person")
    lone = to_campaign(load_text(text[:start] + "\n" + text[end:]))
    state = make_state()
    stalled = new_event(EventType.LEAD_STALLED, lead_id=state.lead_id, workspace_id="w", at=state.created_at)
    decision = NurtureAgent().handle(make_ctx(lone), state, stalled)
    assert decision.actions == [] and decision.result == "exhausted"
    seq_start = text.index("sequence:\n")
    without = to_campaign(load_text(text[:seq_start] + text[end:]))
    assert pack_for(without)["nurture"] == load_pack("b2b_saas")["nurture"]
