"""Routes: YAML loading, matching on stage/score/intent, router stop, timers by name, bad files."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from leadflow.domain.events import new_event
from leadflow.domain.models import Lead, LeadState, Score, Stage
from leadflow.exceptions import ConfigError
from leadflow.orchestrator.durations import parse_duration
from leadflow.orchestrator.routes import RouteTable

NOW = datetime(2026, 3, 2, 14, tzinfo=UTC)

YAML = """
routes:
  new_lead:
    on: lead.created
    agents: [research, response]
    timeout: 3 days
  hot:
    on: lead.qualified
    when: {score: [hot]}
    agents: [appointment]
    stop: true
  any_qualified:
    on: lead.qualified
    agents: [crm_sync]
  swarm:
    on: lead.stalled
    agents: [nurture, closing]
    parallel: true
  objection:
    on: reply.classified
    when: {intent: [objection_price, objection_timing]}
    agents: [closing]
"""


def state(stage: Stage = Stage.NEW, score: Score | None = None) -> LeadState:
    return LeadState(lead_id="l1", workspace_id="w", campaign="c", lead=Lead(first_name="Ana"), stage=stage,
                     score=score, created_at=NOW, updated_at=NOW)


def event(type_: str, **payload: object) -> object:
    return new_event(type_, lead_id="l1", workspace_id="w", at=NOW, payload=dict(payload))


def test_bare_on_key_and_durations_load() -> None:
    table = RouteTable.from_yaml(YAML)
    new_lead = table.routes[0]
    assert new_lead.on == ["lead.created"]
    assert new_lead.timeout == timedelta(days=3)
    assert table.routes[3].parallel is True


def test_router_pattern_first_match_wins_with_stop() -> None:
    table = RouteTable.from_yaml(YAML)
    hot = table.match(state(Stage.QUALIFIED, Score.HOT), event("lead.qualified"))  # type: ignore[arg-type]
    assert [r.name for r in hot] == ["hot"]
    warm = table.match(state(Stage.NURTURING, Score.WARM), event("lead.qualified"))  # type: ignore[arg-type]
    assert [r.name for r in warm] == ["any_qualified"]


def test_intent_condition_and_terminal_leads_are_not_routed() -> None:
    table = RouteTable.from_yaml(YAML)
    assert [r.name for r in table.match(state(Stage.CLOSING), event("reply.classified", intent="objection_price"))] == [  # type: ignore[arg-type]
        "objection"
    ]
    assert table.match(state(Stage.CLOSING), event("reply.classified", intent="interested")) == []  # type: ignore[arg-type]
    assert table.match(state(Stage.DO_NOT_CONTACT), event("lead.created")) == []  # type: ignore[arg-type]


def test_timer_events_go_to_the_agent_that_set_them() -> None:
    table = RouteTable.from_yaml(YAML)
    routes = table.match(state(Stage.NURTURING), event("timer.fired", agent="nurture"))  # type: ignore[arg-type]
    assert [r.agents for r in routes] == [["nurture"]]
    assert table.match(state(Stage.LOST), event("timer.fired", agent="nurture")) == []  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "text",
    ["routes: [1, 2]", "nope: {}", "routes:\n  x:\n    on: a\n    agents: [b]\n    timeout: soon\n",
     "routes:\n  x:\n    agents: [b]\n", "routes:\n  x:\n    on: a\n    agents: [b]\n    colour: red\n", "routes: {x: [unclosed"],
)
def test_bad_route_files_are_config_errors(text: str) -> None:
    with pytest.raises(ConfigError):
        RouteTable.from_yaml(text)


def test_default_routes_load_and_name_known_agents() -> None:
    from leadflow.agents import default_agents
    from leadflow.orchestrator.registry import AgentRegistry

    table = RouteTable.load()
    AgentRegistry(default_agents()).check(table.agent_names())


@pytest.mark.parametrize(("text", "seconds"), [("90s", 90), ("5m", 300), ("24 hours", 86400), ("7d", 604800), (30, 30)])
def test_durations(text: str | int, seconds: int) -> None:
    assert parse_duration(text).total_seconds() == seconds
