"""Qualification answers a prospect's question from the campaign's own documents, citing them (issue 11)."""

from __future__ import annotations

import doctest

from tests.unit.agents.agent_helpers import T0, make_ctx, make_state

import leadflow.agents._kb_answer as kb_answer_module
from leadflow.agents._kb_answer import kb_answer
from leadflow.agents.qualification import QualificationAgent
from leadflow.domain.events import EventType, new_event
from leadflow.domain.models import Stage
from leadflow.kb import CampaignKnowledge, load_markdown
from leadflow.kb.memory import MemoryKnowledgeStore

INTEGRATIONS = ("# Acme Cloud integrations\n\n## CRMs\n\nAcme Cloud syncs contacts both ways with HubSpot and "
                "Salesforce every five minutes.\n")
QUESTION = "Sounds interesting. Does it sync with HubSpot and Salesforce?"


def _ctx(store: MemoryKnowledgeStore, campaign: str = "c"):  # type: ignore[no-untyped-def]
    return make_ctx(kb=CampaignKnowledge(store, "w", campaign))


def _reply(text: str):  # type: ignore[no-untyped-def]
    return new_event(EventType.REPLY_CLASSIFIED, lead_id="lead-1", workspace_id="w", at=T0,
                     payload={"intent": "question", "text": text})


def test_qualification_answers_from_the_campaigns_documents_and_cites_them() -> None:
    store = MemoryKnowledgeStore()
    store.put_document("w", "c", load_markdown(INTEGRATIONS, source="integrations.md"))
    state = make_state()
    state.stage = Stage.QUALIFYING
    decision = QualificationAgent().handle(_ctx(store), state, _reply(QUESTION))
    assert decision.result == "asked"
    [action] = decision.actions
    assert "syncs contacts both ways with HubSpot and Salesforce" in action.body
    assert '(from our "Acme Cloud integrations" notes)' in action.body
    sources = action.payload["kb_sources"]
    assert isinstance(sources, list)
    assert sources[0]["source"] == "integrations.md" and sources[0]["section"] == "Acme Cloud integrations > CRMs"
    assert "Acme Cloud integrations" in decision.summary


def test_no_answer_from_another_campaign_an_empty_kb_or_no_kb() -> None:
    store = MemoryKnowledgeStore()
    store.put_document("w", "other", load_markdown(INTEGRATIONS, source="integrations.md"))
    for ctx in (_ctx(store), make_ctx()):  # the campaign has no documents; a bare context has no kb at all
        state = make_state()
        state.stage = Stage.QUALIFYING
        decision = QualificationAgent().handle(ctx, state, _reply(QUESTION))
        [action] = decision.actions
        assert "HubSpot" not in action.body and "On your question" not in action.body
        assert "kb_sources" not in action.payload


def test_a_weak_match_or_no_question_answers_nothing() -> None:
    store = MemoryKnowledgeStore()
    store.put_document("w", "c", load_markdown(INTEGRATIONS, source="integrations.md"))
    ctx = _ctx(store)
    assert kb_answer(ctx, "We use HubSpot and Salesforce.").sentence == ""  # not a question
    assert kb_answer(ctx, "What are the next steps?").sentence == ""
    assert kb_answer(ctx, "Do you support Pipedrive for invoices?").sentence == ""


def test_the_module_example_runs() -> None:
    result = doctest.testmod(kb_answer_module)
    assert result.failed == 0 and result.attempted > 0


def test_a_tier_a_first_touch_cites_the_campaign_document_its_proof_point_came_from() -> None:
    from leadflow.agents.response import ResponseAgent

    proof = "Teams on Acme Cloud book 31% more first meetings in their first month of use."
    store = MemoryKnowledgeStore()
    store.put_document("w", "c", load_markdown(f"# Acme Cloud results\n\n## Customers\n\n{proof}\n",
                                               source="results.md"))
    state = make_state().model_copy(update={"tier": "A"})
    decision = ResponseAgent().handle(_ctx(store), state, new_event(EventType.LEAD_CREATED, lead_id="lead-1",
                                                                    workspace_id="w", at=T0))
    [action] = decision.actions
    assert proof in action.body
    assert action.payload["kb_sources"] == [{"doc_id": store.documents("w", "c")[0].doc_id,
                                             "title": "Acme Cloud results", "section": "Acme Cloud results > Customers",
                                             "source": "results.md"}]
    other = ResponseAgent().handle(_ctx(store, "other"), make_state().model_copy(update={"tier": "A"}),
                                   new_event(EventType.LEAD_CREATED, lead_id="lead-1", workspace_id="w", at=T0))
    assert proof not in other.actions[0].body and "kb_sources" not in other.actions[0].payload


def test_an_answer_from_a_table_or_emphasis_reads_as_plain_text() -> None:
    store = MemoryKnowledgeStore()
    doc = ("# Acme pricing\n\n| plan | price |\n|---|---|\n| Team | $39 per seat per month |\n\n"
           "**Every** plan includes [HubSpot sync](integrations.md).\n")
    store.put_document("w", "c", load_markdown(doc, source="pricing.md"))
    answer = kb_answer(_ctx(store), "Thanks. What is the Team plan price per seat?")
    assert "Team: $39 per seat per month" in answer.sentence
    assert not any(mark in answer.sentence for mark in ("|", "**", "](", "#"))
