"""The tier decides the spend: tier A gets deep research and the strong model, B one page and the
fast model shown one signal, C no page and no model call at all (research -> triage -> response).

The model is the scripted one (``leadflow.sim.scripted_model``) behind a real ``ModelRouter``;
the websites are simulated (``leadflow.sim.web``). Nothing leaves the process.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from pydantic_ai.messages import ModelMessage, ModelResponse
from pydantic_ai.models.function import AgentInfo, FunctionModel

from leadflow.agents.base import AgentContext
from leadflow.agents.research import ResearchAgent
from leadflow.agents.response import ResponseAgent
from leadflow.agents.triage import TriageAgent
from leadflow.domain.events import EventType, new_event
from leadflow.domain.models import Lead, LeadState
from leadflow.llm import ModelRouter
from leadflow.orchestrator.runner import AgentRunner
from leadflow.resilience import BreakerRegistry
from leadflow.sim.run import START, demo_campaign
from leadflow.sim.scripted_model import scripted_model
from leadflow.sim.web import SimWeb

LEADS = {
    # b2b_saas, a title in the profile, 80 people, US: fits on every count
    "A": Lead(first_name="Dana", last_name="Lee", email="dana@acme.example", company="Acme",
              company_domain="acme.example", industry="b2b_saas", title="VP of Sales", source="csv",
              timezone="America/New_York", attributes={"employees": 80, "region": "us", "city": "Boston"}),
    # the same, but a title outside the profile: 0.75, tier B under the demo's thresholds
    "B": Lead(first_name="Ravi", last_name="Shah", email="ravi@globex.example", company="Globex",
              company_domain="globex.example", industry="b2b_saas", title="Marketing Manager", source="csv",
              timezone="America/Chicago", attributes={"employees": 40, "region": "us", "city": "Austin"}),
    # a home buyer with an employer's site: real estate is outside the profile (a hard disqualifier)
    "C": Lead(first_name="Mia", last_name="Young", email="mia@initech.example", company="Initech",
              company_domain="initech.example", industry="real_estate", title="Nurse", source="web_form",
              timezone="America/Denver", attributes={"region": "us", "city": "Denver"}),
}  # fmt: skip


class Clock:
    def now(self) -> Any:
        return START


class Recorder:
    """Wraps the scripted model: every prompt it was sent, per model name."""

    def __init__(self, name: str) -> None:
        self.inner = scripted_model(name)
        self.prompts: list[str] = []
        self.model = FunctionModel(self._answer, model_name=name)

    def _answer(self, messages: list[ModelMessage], info: AgentInfo) -> ModelResponse:
        self.prompts.append(str(messages[-1].parts[-1].content) if messages[-1].parts else "")  # type: ignore[union-attr]
        return self.inner.function(messages, info)  # type: ignore[misc, return-value]


@dataclass
class Journey:
    state: LeadState
    models: list[tuple[str, str | None]]  # (agent, model that answered it)
    pages: list[str]
    draft: str
    calls: int
    fast: Recorder
    strong: Recorder


@pytest.fixture
def first_touch() -> Iterator[Any]:
    routers: list[ModelRouter] = []

    def go(tier: str) -> Journey:
        lead = LEADS[tier]
        web = SimWeb(LEADS.values())
        fast, strong = Recorder("fast-model"), Recorder("strong-model")
        router = ModelRouter(
            {"fast": fast.model, "strong": strong.model}, max_retries=0, sleep=lambda _s: None
        )
        routers.append(router)
        ctx = AgentContext(clock=Clock(), campaign=demo_campaign(), workspace_id="w", llm=router,
                           extras={"fetcher": web})  # fmt: skip
        state = LeadState(lead_id=f"lead-{tier}", workspace_id="w", campaign="demo", lead=lead,
                          created_at=START, updated_at=START)  # fmt: skip
        event = new_event(EventType.LEAD_CREATED, lead_id=state.lead_id, workspace_id="w", at=START)
        runner = AgentRunner(breakers=BreakerRegistry(), use_llm=True)
        models: list[tuple[str, str | None]] = []
        draft = ""
        for agent in (ResearchAgent(), TriageAgent(), ResponseAgent()):
            step = runner.run(agent, ctx, state, event)
            assert not step.decision.fallback_used, step.trace.error
            models.append((agent.card.name, step.decision.model))
            state = step.decision.state or state
            draft = next((str(a.payload["draft"]) for a in step.decision.actions), draft)
        calls = router.ledger.summary().total.calls
        return Journey(state, models, list(web.fetched), draft, calls, fast, strong)

    yield go
    for router in routers:
        router.close()


def test_tier_c_reads_no_page_and_calls_no_model(first_touch: Any) -> None:
    j = first_touch("C")
    assert j.state.tier == "C"
    assert j.pages == []
    assert j.calls == 0 and j.fast.prompts == [] and j.strong.prompts == []
    assert all(model is None for _, model in j.models)
    assert j.draft == "template"


def test_tier_a_reads_four_pages_and_the_strong_model_writes(first_touch: Any) -> None:
    j = first_touch("A")
    assert j.state.tier == "A"
    assert [p.removeprefix("https://acme.example") for p in j.pages] == ["/", "/about", "/careers", "/news"]
    assert dict(j.models) == {
        "research": "function:fast-model",
        "triage": "function:fast-model",
        "response": "function:strong-model",
    }
    assert j.calls == 3 and len(j.strong.prompts) == 1
    assert j.draft == "llm"
    # the strong model is shown every signal research found (several, from several pages)
    assert j.strong.prompts[0].count('"text"') == min(len(j.state.signals), 8) > 1


def test_tier_b_reads_the_home_page_and_the_fast_model_sees_one_signal(first_touch: Any) -> None:
    j = first_touch("B")
    assert j.state.tier == "B"
    assert j.pages == ["https://globex.example/"]
    assert dict(j.models) == {
        "research": "function:fast-model",
        "triage": "function:fast-model",
        "response": "function:fast-model",
    }
    assert j.strong.prompts == [] and j.draft == "llm"
    assert len(j.state.signals) > 1
    assert j.fast.prompts[-1].count('"text"') == 1
