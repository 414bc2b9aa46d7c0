"""The orchestrator with scripted agents: pipelines, swarms, fallbacks, escalation, timers, DLQ."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import ClassVar

import pytest

from leadflow.agents.base import AgentCard, AgentContext, Decision, EmitEvent
from leadflow.domain.actions import ActionKind, OutboundAction
from leadflow.domain.events import Event
from leadflow.domain.models import Campaign, Consent, Lead, LeadState, Stage
from leadflow.exceptions import ModelFailure
from leadflow.integrations.channels import TranscriptChannel
from leadflow.orchestrator.clock import FixedClock
from leadflow.orchestrator.dispatcher import Dispatcher
from leadflow.orchestrator.engine import Orchestrator
from leadflow.orchestrator.intake import Arrival, Intake
from leadflow.orchestrator.registry import AgentRegistry
from leadflow.orchestrator.routes import RouteTable
from leadflow.orchestrator.runner import AgentRunner
from leadflow.resilience import BreakerRegistry
from leadflow.state import MemoryStore
from leadflow.state.patch import fold

NOW = datetime(2026, 3, 2, 14, tzinfo=UTC)


class Stamp:
    """Appends its name to the lead's qualification dict; optionally emits or sends."""

    def __init__(self, name: str, *, emit: str | None = None, send: bool = False, fail: bool = False,
                 llm: str | None = None) -> None:
        self.card = AgentCard(name=name, description="test agent")  # type: ignore[misc]
        self.name, self.emit, self.send, self.fail, self.llm = name, emit, send, fail, llm

    def handle(self, ctx: AgentContext, state: LeadState, event: Event) -> Decision:
        if self.fail:
            raise RuntimeError(f"{self.name} broke")
        state.qualification[self.name] = sorted(state.qualification)
        actions = []
        if self.send:
            actions.append(OutboundAction(kind=ActionKind.SEND_EMAIL, idempotency_key=f"{state.lead_id}:{self.name}",
                                          to=str(state.lead.email), body="hello", agent=self.name))
        events = [EmitEvent(type=self.emit)] if self.emit else []
        return Decision(result="ok", state=state, actions=actions, events=events, summary=self.name)


class WithLLM(Stamp):
    def handle_llm(self, ctx: AgentContext, state: LeadState, event: Event) -> Decision:
        if self.llm == "fail":
            raise ModelFailure("malformed output")
        state.qualification["llm"] = True
        return Decision(result="llm", state=state, model="test:model", tokens=42)


ROUTES = """
routes:
  pipe:
    on: lead.created
    agents: [a, b]
    timeout: 1 day
  swarm:
    on: lead.engaged
    agents: [c, d]
    parallel: true
"""


def build(agents: list[object], *, use_llm: bool = False, routes: str = ROUTES) -> tuple[Orchestrator, MemoryStore, FixedClock, Intake]:
    store = MemoryStore()
    store.save_campaign("w", Campaign(name="c"))
    clock = FixedClock(NOW)
    table = RouteTable.from_yaml(routes)
    named = {a.card.name for a in agents}  # type: ignore[attr-defined]
    agents = agents + [Stamp(n) for n in sorted(table.agent_names() - named)]
    registry = AgentRegistry(agents)  # type: ignore[arg-type]
    runner = AgentRunner(breakers=BreakerRegistry(failure_threshold=2, clock=lambda: clock.now().timestamp()), use_llm=use_llm)
    orch = Orchestrator(store=store, registry=registry, routes=RouteTable.from_yaml(routes), runner=runner,
                        context_factory=lambda ws, c: AgentContext(clock=clock, campaign=c, workspace_id=ws), clock=clock)
    return orch, store, clock, Intake(store=store, clock=clock)


def lead(email: str = "ana@acme.example") -> Lead:
    return Lead(first_name="Ana", email=email, source="test", source_lead_id=email, consent=Consent(email=True))


def test_pipeline_threads_state_and_commits_once() -> None:
    orch, store, _, intake = build([Stamp("a"), Stamp("b", send=True)])
    state, _ = intake.create_lead("w", "c", lead())
    assert orch.process() == 1
    after = store.get_lead("w", state.lead_id)
    assert after.qualification["b"] == ["a"]  # b saw a's change
    assert [h.agent for h in after.agent_history] == ["a", "b"]
    assert after.version == 2
    assert [t.spec.name for t in store.timers_for("w", state.lead_id)] == ["route:pipe"]
    assert len(store.due_actions(NOW)) == 1
    assert orch.process() == 0  # handled exactly once
    assert fold(store.all_events())[state.lead_id] == after


def test_swarm_agents_see_the_same_state_and_merge() -> None:
    orch, store, _, intake = build([Stamp("a", emit="lead.engaged"), Stamp("b"), Stamp("c"), Stamp("d")])
    state, _ = intake.create_lead("w", "c", lead())
    orch.process()
    orch.process()  # lead.engaged
    after = store.get_lead("w", state.lead_id)
    assert after.qualification["c"] == ["a", "b"]
    assert after.qualification["d"] == ["a", "b"]  # d did not see c's change: parallel
    # the engagement cancelled the route timeout
    assert store.timers_for("w", state.lead_id) == []


def test_llm_failure_falls_back_offline_and_is_traced() -> None:
    orch, store, _, intake = build([WithLLM("a", llm="fail"), WithLLM("b")], use_llm=True)
    state, _ = intake.create_lead("w", "c", lead())
    orch.process()
    traces = store.traces_for("w", state.lead_id)
    assert [(t.agent, t.fallback_used, t.model) for t in traces] == [("a", True, None), ("b", False, "test:model")]
    assert "ModelFailure" in (traces[0].error or "")
    after = store.get_lead("w", state.lead_id)
    assert after.qualification["llm"] is True and "a" in after.qualification
    types = [e.type for e in store.lead_events("w", state.lead_id)]
    assert "agent.failed" in types and "agent.completed" in types


def test_both_modes_failing_escalates_to_a_human() -> None:
    orch, store, _, intake = build([Stamp("a", fail=True), Stamp("b")])
    state, _ = intake.create_lead("w", "c", lead())
    orch.process()
    after = store.get_lead("w", state.lead_id)
    assert after.assigned_to == "human"
    assert after.escalations[0].agent == "a" and "a broke" in after.escalations[0].summary
    assert "agent.escalated" in [e.type for e in store.lead_events("w", state.lead_id)]


class Poison:
    card: ClassVar[AgentCard] = AgentCard(name="a", description="x")

    def handle(self, ctx: AgentContext, state: LeadState, event: Event) -> Decision:
        return Decision(state=state.model_copy(update={"stage": "not-a-stage"}))  # fails validation in the engine


def test_poison_event_is_retried_with_backoff_then_dead_lettered() -> None:
    orch, store, clock, intake = build([Poison(), Stamp("b")])
    intake.create_lead("w", "c", lead())
    for _ in range(orch.max_attempts):
        orch.process()
        clock.advance_to(clock.now() + timedelta(hours=1))
    dead = store.list_dead("w")
    assert [d.event.type for d in dead] == ["lead.created"]
    assert store.inbox(now=clock.now()) == []
    store.retry_dead(dead[0].id)
    assert [i.event.type for i in store.inbox(now=clock.now())] == ["lead.created"]


def test_dispatch_checks_opt_out_at_send_time() -> None:
    orch, store, clock, intake = build([Stamp("a"), Stamp("b", send=True)])
    state, _ = intake.create_lead("w", "c", lead())
    orch.process()
    # the prospect opts out before the scheduled send goes out
    current = store.get_lead("w", state.lead_id)
    from leadflow.state.records import Commit

    store.apply([Commit("w", state.lead_id, expected_version=current.version,
                        state=current.model_copy(update={"stage": Stage.DO_NOT_CONTACT}), at=NOW)])
    channel = TranscriptChannel()
    dispatcher = Dispatcher(store=store, channels={ActionKind.SEND_EMAIL: channel}, clock=clock)
    dispatcher.dispatch()
    assert channel.deliveries() == []
    [row] = store.actions_for("w", state.lead_id)
    assert row.status == "suppressed" and row.detail == "do_not_contact"
    assert "message.failed" in [e.type for e in store.lead_events("w", state.lead_id)]


def test_dispatch_sends_once_and_records_the_message() -> None:
    orch, store, clock, intake = build([Stamp("a"), Stamp("b", send=True)])
    state, _ = intake.create_lead("w", "c", lead())
    orch.process()
    channel = TranscriptChannel()
    dispatcher = Dispatcher(store=store, channels={ActionKind.SEND_EMAIL: channel}, clock=clock)
    assert dispatcher.dispatch() == 1
    assert dispatcher.dispatch() == 0
    assert [d["recipient"] for d in channel.deliveries()] == ["ana@acme.example"]
    after = store.get_lead("w", state.lead_id)
    assert after.stage is Stage.CONTACTED and after.touches == 1 and after.messages[0].body == "hello"


@pytest.mark.parametrize("dupe_source", [True, False])
def test_intake_is_idempotent(dupe_source: bool) -> None:
    _, store, _, intake = build([Stamp("a"), Stamp("b")])
    first, created = intake.create_lead("w", "c", lead())
    again, created_again = intake.create_lead("w", "c", lead())
    assert created and not created_again and again.lead_id == first.lead_id
    assert intake.receive_reply("w", first.lead_id, message_id="<m1@x>", text="hi") is True
    assert intake.receive_reply("w", first.lead_id, message_id="<m1@x>", text="hi") is False
    assert [e.type for e in store.lead_events("w", first.lead_id)].count("reply.received") == 1


def test_sequence_steps_stop_on_any_reply() -> None:
    from leadflow.domain.models import Channel, Direction, Message
    from leadflow.state.records import Commit

    store = MemoryStore()
    clock = FixedClock(NOW)
    intake = Intake(store=store, clock=clock)
    store.save_campaign("w", Campaign(name="c"))
    state, _ = intake.create_lead("w", "c", lead())
    later = OutboundAction(kind=ActionKind.SEND_EMAIL, idempotency_key="k:follow-up", to="ana@acme.example", body="b",
                           not_before=NOW + timedelta(days=2), payload={"stop_on_reply": True})
    store.apply([Commit("w", state.lead_id, actions=[later], at=NOW)])
    current = store.get_lead("w", state.lead_id)
    current.messages.append(Message(id="r1", channel=Channel.EMAIL, direction=Direction.INBOUND, body="thanks!",
                                    at=NOW + timedelta(hours=3)))
    store.apply([Commit("w", state.lead_id, expected_version=current.version, state=current, at=NOW)])
    clock.advance_to(NOW + timedelta(days=3))
    channel = TranscriptChannel()
    Dispatcher(store=store, channels={ActionKind.SEND_EMAIL: channel}, clock=clock).dispatch()
    assert channel.deliveries() == []
    assert store.actions_for("w", state.lead_id)[0].detail == "lead_replied"


STALL_ROUTES = ROUTES + """
  stalled:
    on: lead.stalled
    agents: [s]
  replied:
    on: reply.received
    agents: [r]
"""


def _fire(orch: Orchestrator, store: MemoryStore, clock: FixedClock) -> list[object]:
    from leadflow.bus import open_bus
    from leadflow.orchestrator.worker import Worker

    worker = Worker(store=store, bus=open_bus(), orchestrator=orch, dispatcher=None, clock=clock)  # type: ignore[arg-type]
    return worker.timer_commits()  # type: ignore[return-value]


def test_a_fired_timer_is_written_and_handled_in_one_batch() -> None:
    orch, store, clock, intake = build([], routes=STALL_ROUTES)
    state, _ = intake.create_lead("w", "c", lead())
    orch.process()  # lead.created: the pipe route sets its 1-day timer
    clock.advance_to(NOW + timedelta(days=1, minutes=1))
    fired = _fire(orch, store, clock)
    assert len(fired) == 1
    batches: list[int] = []
    apply = store.apply
    store.apply = lambda commits: batches.append(len(commits)) or apply(commits)  # type: ignore[method-assign]
    assert orch.process(fired=fired) == 1  # type: ignore[arg-type]
    assert len(batches) == 1  # the timer's commit and its event's step: one transaction
    assert "s" in store.get_lead("w", state.lead_id).qualification
    assert store.inbox() == [] and store.timers_for("w", state.lead_id) == []


def test_a_fired_timer_waits_behind_its_leads_pending_events() -> None:
    orch, store, clock, intake = build([], routes=STALL_ROUTES)
    state, _ = intake.create_lead("w", "c", lead())
    orch.process()
    clock.advance_to(NOW + timedelta(days=1, minutes=1))
    intake.receive_reply("w", state.lead_id, message_id="<m1@x>", text="Tell me more")  # pending, older
    fired = _fire(orch, store, clock)
    orch.process(fired=fired)  # type: ignore[arg-type]  # the reply is handled; the timer's event is queued
    after = store.get_lead("w", state.lead_id)
    assert "r" in after.qualification and "s" not in after.qualification
    assert [i.event.type for i in store.inbox()] == ["lead.stalled"]
    orch.process()
    steps = [h.agent for h in store.get_lead("w", state.lead_id).agent_history]
    assert steps.index("r") < steps.index("s")  # in log order


def test_the_relay_hands_events_to_subscribers_and_only_marks_them_for_nobody() -> None:
    from leadflow.bus import open_bus
    from leadflow.orchestrator.worker import Worker

    orch, store, clock, intake = build([])
    bus = open_bus()
    worker = Worker(store=store, bus=bus, orchestrator=orch, dispatcher=None, clock=clock)  # type: ignore[arg-type]
    intake.create_lead("w", "c", lead())
    publish = bus.publish
    published: list[int] = []
    bus.publish = lambda events: published.append(len(events)) or publish(events)  # type: ignore[method-assign]
    assert worker.relay() == 1 and published == []  # nobody listens: marked published, not handed over
    assert store.unpublished_seqs() == []
    seen: list[str] = []
    bus.subscribe("*", lambda e: seen.append(e.type))
    intake.create_lead("w", "c", lead("bo@acme.example"))
    assert worker.relay() == 1 and published == [1]
    assert seen == ["lead.created"]


def _arrival(intake: Intake, lead_id: str, mid: str, seen: list[Exception | None]) -> Arrival:
    commit = intake.reply_commit("w", lead_id, message_id=mid, text="Tell me more")
    return Arrival(commit, seen.append)


def test_an_arrival_is_written_and_handled_in_one_batch() -> None:
    orch, store, _, intake = build([], routes=STALL_ROUTES)
    state, _ = intake.create_lead("w", "c", lead())
    orch.process()
    seen: list[Exception | None] = []
    batches: list[int] = []
    apply = store.apply
    store.apply = lambda commits: batches.append(len(commits)) or apply(commits)  # type: ignore[method-assign,func-returns-value]
    assert orch.process(arrived=[_arrival(intake, state.lead_id, "<m1@x>", seen)]) == 1
    assert batches == [2]  # the reply's commit and its step: one transaction
    assert seen == [None]  # told only after that transaction
    assert "r" in store.get_lead("w", state.lead_id).qualification
    assert store.inbox() == []


def test_an_arrival_waits_behind_its_leads_pending_events_in_log_order() -> None:
    orch, store, _, intake = build([], routes=STALL_ROUTES)
    state, _ = intake.create_lead("w", "c", lead())  # lead.created is pending
    seen: list[Exception | None] = []
    orch.process(arrived=[_arrival(intake, state.lead_id, "<m1@x>", seen)])
    assert seen == [None]
    after = store.get_lead("w", state.lead_id)
    assert [h.agent for h in after.agent_history] == ["a", "b"] and "r" not in after.qualification
    log = [e.type for e in store.lead_events("w", state.lead_id)]
    # recorded as if committed alone before the batch: before what handling lead.created added
    assert log.index("reply.received") < log.index("agent.completed")
    assert [i.event.type for i in store.inbox()] == ["reply.received"]
    orch.process()
    assert [h.agent for h in store.get_lead("w", state.lead_id).agent_history] == ["a", "b", "r"]


def test_arrivals_report_repeats_and_unknown_leads_and_nothing_runs_for_them() -> None:
    orch, store, _, intake = build([], routes=STALL_ROUTES)
    state, _ = intake.create_lead("w", "c", lead())
    orch.process()
    assert intake.receive_reply("w", state.lead_id, message_id="<m1@x>", text="hi")
    orch.process()
    before = store.get_lead("w", state.lead_id)
    seen: list[Exception | None] = []
    orch.process(
        arrived=[_arrival(intake, state.lead_id, "<m1@x>", seen), _arrival(intake, "nobody", "<m2@x>", seen)]
    )
    assert [type(r).__name__ for r in seen] == ["DuplicateMessage", "NotFound"]
    assert store.get_lead("w", state.lead_id) == before
    assert store.inbox() == [] and store.lead_events("w", "nobody") == []


def test_a_failed_batch_reports_no_arrival_and_the_retry_records_it_once() -> None:
    orch, store, _, intake = build([], routes=STALL_ROUTES)
    state, _ = intake.create_lead("w", "c", lead())
    orch.process()
    seen: list[Exception | None] = []
    arrival = _arrival(intake, state.lead_id, "<m1@x>", seen)
    apply = store.apply

    def down(commits: object) -> list[Exception | None]:
        raise ConnectionError("database restarting")

    store.apply = down  # type: ignore[method-assign]
    with pytest.raises(ConnectionError):
        orch.process(arrived=[arrival])
    assert seen == []  # not acknowledged: the source offers it again
    store.apply = apply  # type: ignore[method-assign]
    orch.process(arrived=[arrival])
    assert seen == [None]
    assert [e.type for e in store.lead_events("w", state.lead_id)].count("reply.received") == 1
    assert "r" in store.get_lead("w", state.lead_id).qualification


def test_a_fired_timer_of_a_lead_another_worker_holds_is_written_but_not_handled() -> None:
    orch, store, clock, intake = build([], routes=STALL_ROUTES)
    state, _ = intake.create_lead("w", "c", lead())
    orch.process()
    clock.advance_to(NOW + timedelta(days=1, minutes=1))
    fired = _fire(orch, store, clock)
    asked: list[set[tuple[str, str]]] = []
    store.claim_leads = lambda leads: asked.append(set(leads)) or set()  # type: ignore[method-assign,func-returns-value]
    assert orch.process(fired=fired) == 0  # type: ignore[arg-type]
    assert asked == [{("w", state.lead_id)}]
    assert "s" not in store.get_lead("w", state.lead_id).qualification  # no agent ran for it here
    assert [i.event.type for i in store.inbox()] == ["lead.stalled"]  # recorded, queued for its holder
    assert orch.more
    del store.claim_leads  # the lead is free again: the usual inbox path handles it
    orch.process()
    assert "s" in store.get_lead("w", state.lead_id).qualification
