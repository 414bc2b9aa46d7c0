"""Shared builders for agent tests: a fixed clock, a campaign, a lead state, an event."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from leadflow.agents.base import AgentContext
from leadflow.domain.events import Event, EventType, new_event
from leadflow.domain.models import Campaign, Lead, LeadState, SenderIdentity

T0 = datetime(2026, 3, 3, 15, 0, tzinfo=UTC)  # Tuesday 10:00 in New York


class FixedClock:
    def __init__(self, at: datetime = T0) -> None:
        self.at = at

    def now(self) -> datetime:
        return self.at


def make_campaign(**kwargs: Any) -> Campaign:
    values: dict[str, Any] = {
        "name": "c",
        "offer": "Leadflow",
        "company_name": "Northwind",
        "ideal_customer_profile": {"industries": ["b2b_saas"], "titles": ["vp sales", "head of sales"],
                                   "min_team_size": 20, "regions": ["america", "us"]},
        "senders": [SenderIdentity(name="Sam Rivera", email="sam@northwind.example",
                                   postal_address="1 Market St, San Francisco, CA 94105")],
    }
    values.update(kwargs)
    return Campaign(**values)


def make_state(**lead: Any) -> LeadState:
    fields: dict[str, Any] = {"first_name": "Dana", "last_name": "Lee", "email": "dana@acme.com",
                              "company": "Acme", "company_domain": "acme.com", "industry": "b2b_saas",
                              "title": "VP Sales", "timezone": "America/New_York", "source": "web_form",
                              "attributes": {"team_size": 80, "region": "US"}}
    fields.update(lead)
    return LeadState(lead_id="lead-1", workspace_id="w", campaign="c", lead=Lead(**fields), created_at=T0,
                     updated_at=T0)


def make_ctx(campaign: Campaign | None = None, **kwargs: Any) -> AgentContext:
    return AgentContext(clock=FixedClock(), campaign=campaign or make_campaign(), workspace_id="w", **kwargs)


def created(state: LeadState) -> Event:
    return new_event(EventType.LEAD_CREATED, lead_id=state.lead_id, workspace_id="w", at=T0)
