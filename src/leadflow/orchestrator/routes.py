"""Routing rules: which agents handle an event, in the YAML form the design documents use.

A route names the event types it listens to (``on``), optional conditions on the lead's
stage, score and the event's payload (``when``), the agents it runs, whether they run in
parallel, and a timeout. The timeout is a durable timer: if the lead has not engaged,
opted out or booked by then, the route's ``on_timeout`` event fires (``lead.stalled`` by
default). Patterns:

* pipeline: one route, ``parallel: false``: agents run in order, each seeing the last one's state;
* swarm: ``parallel: true``: agents see the same state and their decisions are merged;
* router: several routes on one event with ``when`` conditions (``stop: true`` = first match wins);
* hybrid: any mix of the above.

Agents are named directly or by capability (``capability:book_meeting``).
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from leadflow.domain.events import Event, EventType
from leadflow.domain.models import TERMINAL_STAGES, LeadState
from leadflow.exceptions import ConfigError
from leadflow.orchestrator.durations import parse_duration

DEFAULT_ROUTES = Path(__file__).with_name("routes.yaml")

HUMAN = "human"
"""``LeadState.assigned_to`` once an escalation handed the lead to a person."""


class When(BaseModel):
    model_config = ConfigDict(extra="forbid")

    stage: list[str] | None = None
    not_stage: list[str] | None = None
    score: list[str] | None = None
    intent: list[str] | None = None
    payload: dict[str, Any] | None = None
    terminal: bool = False  # also route leads that are won, lost or do-not-contact
    human: bool = False  # also route leads a human has taken over (``assigned_to: human``)

    def matches(self, state: LeadState, event: Event) -> bool:
        if not self.terminal and state.stage in TERMINAL_STAGES:
            return False
        if not self.human and state.assigned_to == HUMAN:
            return False  # handed over: the agents stop talking to the lead unless a route says so
        if self.stage is not None and state.stage.value not in self.stage:
            return False
        if self.not_stage is not None and state.stage.value in self.not_stage:
            return False
        if self.score is not None and (state.score is None or state.score.value not in self.score):
            return False
        if self.intent is not None and event.payload.get("intent") not in self.intent:
            return False
        if self.payload is not None:
            for key, want in self.payload.items():
                if event.payload.get(key) != want:
                    return False
        return True


class Route(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    name: str = ""
    on: list[str]
    when: When = Field(default_factory=When)
    agents: list[str]
    parallel: bool = False
    timeout: timedelta | None = None
    on_timeout: str = EventType.LEAD_STALLED.value
    timer: str | None = None  # timer name; routes sharing one restart the same clock
    stop: bool = False

    @field_validator("on", "agents", mode="before")
    @classmethod
    def _listify(cls, value: Any) -> Any:
        return [value] if isinstance(value, str) else value

    @field_validator("timeout", mode="before")
    @classmethod
    def _duration(cls, value: Any) -> Any:
        if value is None or isinstance(value, timedelta):
            return value
        return parse_duration(value)


class RouteTable:
    """The routes, in file order."""

    def __init__(self, routes: list[Route]) -> None:
        self.routes = routes

    @classmethod
    def from_yaml(cls, text: str, *, origin: str = "<routes>") -> RouteTable:
        try:
            doc = yaml.safe_load(text) or {}
        except yaml.YAMLError as exc:
            raise ConfigError(f"{origin}: not valid YAML: {exc}") from exc
        if not isinstance(doc, dict) or not isinstance(doc.get("routes"), dict):
            raise ConfigError(f"{origin}: expected a top-level 'routes:' mapping")
        routes = []
        for name, body in doc["routes"].items():
            try:
                # YAML 1.1 reads a bare ``on:`` key as the boolean True
                fields = {("on" if key is True else key): value for key, value in (body or {}).items()}
                routes.append(Route.model_validate({"name": name, **fields}))
            except ValidationError as exc:
                raise ConfigError(f"{origin}: route {name!r}: {exc}") from exc
        return cls(routes)

    @classmethod
    def load(cls, path: str | Path | None = None) -> RouteTable:
        p = Path(path) if path else DEFAULT_ROUTES
        return cls.from_yaml(p.read_text(encoding="utf-8"), origin=str(p))

    def listens_to(self) -> set[str]:
        return {t for r in self.routes for t in r.on} | {EventType.TIMER_FIRED.value}

    def match(self, state: LeadState, event: Event) -> list[Route]:
        out: list[Route] = []
        if event.type == EventType.TIMER_FIRED and event.payload.get("agent"):
            out.append(
                Route(
                    name=f"timer:{event.payload['agent']}",
                    on=[event.type],
                    agents=[event.payload["agent"]],
                    when=When(
                        terminal=bool(event.payload.get("terminal")), human=bool(event.payload.get("human"))
                    ),
                )
            )
            if not out[0].when.matches(state, event):
                return []
            return out
        for route in self.routes:
            if event.type in route.on and route.when.matches(state, event):
                out.append(route)
                if route.stop:
                    break
        return out

    def agent_names(self) -> set[str]:
        return {a for r in self.routes for a in r.agents}
