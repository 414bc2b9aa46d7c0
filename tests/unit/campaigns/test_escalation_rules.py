"""A campaign file's escalation rules: added to the defaults, replacing a default of the same
name, or (``replace_defaults``) the only ones."""

from __future__ import annotations

from pathlib import Path

from tests.unit.agents.agent_helpers import T0, make_ctx, make_state

from leadflow.agents.escalation import EscalationAgent
from leadflow.campaigns import load_text, to_campaign
from leadflow.domain.events import new_event

EXAMPLE = Path(__file__).parents[3] / "examples" / "campaign.yaml"
OWN = """escalation:
  email: sales-desk@brightline.example
  replace_defaults: {replace}
  rules:
    - name: procurement
      check: keywords
      on: [reply.classified]
      priority: high
      cues: ["procurement", "security review"]
"""


def outcome(text: str, *, replace: str = "false") -> str:
    doc = EXAMPLE.read_text(encoding="utf-8")
    start, end = doc.index("escalation:\n"), doc.index("# Documents the agents")
    campaign = to_campaign(load_text(doc[:start] + OWN.format(replace=replace) + doc[end:]))
    state = make_state()
    event = new_event("reply.classified", lead_id=state.lead_id, workspace_id="w", at=T0, payload={"text": text})
    decision = EscalationAgent().handle(make_ctx(campaign), state, event)
    return decision.escalation.reason if decision.escalation else decision.result


def test_the_campaign_s_rule_fires_and_the_defaults_still_do() -> None:
    assert outcome("Our procurement team needs the paperwork first.") == "procurement"
    assert outcome("I want to speak to a human please") != "no_escalation"


def test_replace_defaults_keeps_only_the_campaign_s_rules() -> None:
    assert outcome("I want to speak to a human please", replace="true") == "no_escalation"
    assert outcome("Send it for a security review.", replace="true") == "procurement"
