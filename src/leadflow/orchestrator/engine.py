"""The orchestrator: takes one inbox event, routes it to agents, and turns their decisions into a commit.

Agents never call each other: the orchestrator runs the agents a route names, threads the lead
state through a pipeline (or merges a parallel swarm), and records everything they decided,
events, actions, timers, traces and the handled mark, in one atomic commit. The events it
records are queued for the next round, which is how one agent's work reaches another.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from typing import Any

from leadflow.agents.base import AgentContext, Decision, EmitEvent
from leadflow.domain.events import Event, EventType, Performative, new_event
from leadflow.domain.models import AgentStep, Campaign, LeadState, Stage
from leadflow.exceptions import Conflict, DuplicateMessage, NotFound
from leadflow.orchestrator._isolate import apply_isolating
from leadflow.orchestrator.intake import Arrival
from leadflow.orchestrator.registry import AgentRegistry
from leadflow.orchestrator.routes import Route, RouteTable
from leadflow.orchestrator.runner import AgentRunner
from leadflow.state.base import Store
from leadflow.state.common import held_slot
from leadflow.state.patch import merge_parallel
from leadflow.state.records import Commit, InboxItem, TraceRecord

log = logging.getLogger(__name__)

#: Events after which a lead's route timeouts no longer apply.
ENGAGEMENT_EVENTS = frozenset(
    {
        EventType.LEAD_ENGAGED,
        EventType.LEAD_APPOINTMENT_BOOKED,
        EventType.LEAD_LOST,
        EventType.LEAD_CONVERTED,
        EventType.LEAD_QUALIFIED,
    }
)

ContextFactory = Callable[[str, Campaign], AgentContext]


def booking_change(before: LeadState, after: LeadState) -> tuple[str, datetime | None] | None:
    """The calendar slot a step takes or gives up, for the store's one-lead-per-slot check."""
    old, new = held_slot(before), held_slot(after)
    if new == old:
        return None
    if new is not None:
        return new
    return (old[0], None) if old is not None else None


def derived_id(*parts: object) -> str:
    """A stable event id from its cause, so a retried step records the same ids."""
    return hashlib.sha1(":".join(str(p) for p in parts).encode()).hexdigest()


class Orchestrator:
    """Routes inbox events through agents and commits the outcome."""

    def __init__(
        self,
        *,
        store: Store,
        registry: AgentRegistry,
        routes: RouteTable,
        runner: AgentRunner,
        context_factory: ContextFactory,
        clock: Any,
        max_attempts: int = 5,
        retry_base: timedelta = timedelta(seconds=2),
        after_batch: Sequence[Callable[[], None]] = (),
    ) -> None:
        registry.check(routes.agent_names())
        self.after_batch = list(after_batch)
        self.more = False
        """After ``process``: whether the inbox may hold more for now (so a worker asks again)."""
        """Called once a batch's commits are applied (or refused): e.g. the send ledger drops
        the plans it held for the batch, which are now in the store or will be made again."""
        self.store = store
        self.registry = registry
        self.routes = routes
        self.runner = runner
        self.context_factory = context_factory
        self.clock = clock
        self.max_attempts = max_attempts
        self.retry_base = retry_base
        self._listened = routes.listens_to()
        self._campaigns: dict[tuple[str, str], Campaign] = {}

    # -- one event ----------------------------------------------------------------------
    def campaign(self, workspace_id: str, name: str) -> Campaign:
        key = (workspace_id, name)
        if key not in self._campaigns:
            self._campaigns[key] = self.store.get_campaign(workspace_id, name)
        return self._campaigns[key]

    def step(self, event: Event, state: LeadState | None = None) -> Commit:
        """Decide what ``event`` does to its lead; nothing is written here.

        ``state`` is the lead as it will be when this commit applies (see ``process``); by
        default it is read from the store.
        """
        if state is None:
            state = self.store.get_lead(event.workspace_id, event.lead_id)
        routes = self.routes.match(state, event)
        now = self.clock.now()
        if not routes:
            return Commit(event.workspace_id, event.lead_id, handled=event.id, at=now)
        ctx = self.context_factory(event.workspace_id, self.campaign(event.workspace_id, state.campaign))
        current = state
        decisions: list[Decision] = []
        traces: list[TraceRecord] = []
        timers = []
        for route in routes:
            current, route_decisions, route_traces = self._run_route(route, ctx, current, event)
            decisions += route_decisions
            traces += route_traces
            if route.timeout is not None:
                from leadflow.domain.actions import TimerSpec

                timers.append(
                    TimerSpec(
                        name=f"route:{route.timer or route.name}",
                        fire_at=now + route.timeout,
                        route=route.name,
                        payload={"emit": route.on_timeout, "route": route.name},
                    )
                )
        return self._commit(event, state, current, decisions, traces, timers, now)

    def _run_route(
        self, route: Route, ctx: AgentContext, state: LeadState, event: Event
    ) -> tuple[LeadState, list[Decision], list[TraceRecord]]:
        decisions: list[Decision] = []
        traces: list[TraceRecord] = []
        if not route.parallel:
            for ref in route.agents:
                result = self.runner.run(self.registry.get(ref), ctx, state, event)
                decisions.append(result.decision)
                traces.append(result.trace)
                if result.decision.state is not None:
                    state = result.decision.state
            return state, decisions, traces
        base = state
        results: list[LeadState] = []
        for ref in route.agents:
            result = self.runner.run(self.registry.get(ref), ctx, base, event)
            decisions.append(result.decision)
            traces.append(result.trace)
            if result.decision.state is not None:
                results.append(result.decision.state)
        return merge_parallel(base, results), decisions, traces

    def _commit(
        self,
        cause: Event,
        before: LeadState,
        after: LeadState,
        decisions: list[Decision],
        traces: list[TraceRecord],
        timers: list[Any],
        now: datetime,
    ) -> Commit:
        events: list[Event] = []
        actions = []
        cancel: list[str] = []
        suppress: list[tuple[str, str]] = []
        # only the top-level fields and these two lists change below: a shallow copy with its own
        # lists leaves ``after`` (and whatever shares its nested objects) untouched, without the
        # cost of a deep copy
        new_state = after.model_copy(
            update={"agent_history": list(after.agent_history), "escalations": list(after.escalations)}
        )
        for n, (decision, trace) in enumerate(zip(decisions, traces, strict=True)):
            new_state.agent_history.append(
                AgentStep(agent=trace.agent, at=now, result=decision.result, event_id=cause.id)
            )
            for k, emit in enumerate(decision.events):
                events.append(self._event(emit, cause, now, f"{n}:{k}:{trace.agent}"))
            actions += decision.actions
            timers += decision.timers
            cancel += decision.cancel_timers
            suppress += [(address, f"{trace.agent}:{decision.result}") for address in decision.suppress]
            if decision.escalation is not None:
                new_state.escalations.append(decision.escalation)
                new_state.assigned_to = "human"
            # an escalation while handling an escalation is kept on the lead, not escalated again:
            # an agent that fails on this lead every time (its data, a bug) would otherwise escalate
            # its own failed escalations for ever and the worker never go idle
            if decision.escalation is not None and cause.type != EventType.AGENT_ESCALATED:
                events.append(
                    self._event(
                        EmitEvent(
                            type=EventType.AGENT_ESCALATED,
                            payload=decision.escalation.model_dump(mode="json"),
                            performative=Performative.REQUEST,
                            priority=8,
                        ),
                        cause,
                        now,
                        f"{n}:esc:{trace.agent}",
                    )
                )
            events.append(
                self._event(
                    EmitEvent(
                        type=EventType.AGENT_FAILED
                        if decision.fallback_used or trace.error
                        else EventType.AGENT_COMPLETED,
                        payload={
                            "agent": trace.agent,
                            "result": decision.result,
                            "latency_ms": trace.latency_ms,
                            "fallback_used": decision.fallback_used,
                        },
                        performative=Performative.FAILURE if trace.error else Performative.INFORM,
                    ),
                    cause,
                    now,
                    f"{n}:done:{trace.agent}",
                )
            )
        types = {e.type for e in events}
        if EventType.LEAD_OPTED_OUT in types or new_state.stage is Stage.DO_NOT_CONTACT:
            cancel.append("*")
            timers = []
        elif types & ENGAGEMENT_EVENTS:
            # the lead engaged, booked or was qualified: no route timeout applies any more,
            # not even one a route set in this very step
            cancel.append("route:*")
            timers = [t for t in timers if not t.name.startswith("route:")]
        new_state.updated_at = now
        ended = new_state.stage in (Stage.LOST, Stage.DO_NOT_CONTACT) and before.stage is not new_state.stage
        return Commit(
            booking=booking_change(before, new_state),
            drop_pending_contact=f"lead_{new_state.stage.value}" if ended else None,
            workspace_id=cause.workspace_id,
            lead_id=cause.lead_id,
            expected_version=before.version,
            state=new_state,
            events=events,
            actions=actions,
            timers=timers,
            cancel_timers=cancel,
            traces=traces,
            handled=cause.id,
            suppress=suppress,
            quiet={e.id for e in events if e.type not in self._listened},
            at=now,
        )

    def _event(self, emit: EmitEvent, cause: Event, now: datetime, salt: str) -> Event:
        return new_event(
            emit.type,
            lead_id=cause.lead_id,
            workspace_id=cause.workspace_id,
            at=now,
            cause=cause,
            payload=emit.payload,
            source="orchestrator",
            performative=emit.performative,
            priority=emit.priority,
            confidence=emit.confidence,
            event_id=derived_id(cause.id, salt, emit.type),
        )

    # -- a batch ------------------------------------------------------------------------
    def process(
        self, *, limit: int = 200, fired: Sequence[Commit] = (), arrived: Sequence[Arrival] = ()
    ) -> int:
        """Handle up to ``limit`` inbox events (one per lead) and commit them as one batch.

        When nothing else of a lead is pending, the events its step queues are handled in the
        same batch, in log order, each on the state the previous commit leaves: the same log
        and outcome as handling them round by round, for one transaction instead of several.

        ``arrived``: items the worker's sources took in (replies). Their commits are written
        first in this batch, as if each had been committed alone just before it, and each
        one's ``done`` is called with the store's answer once the batch is committed.
        ``fired``: the commits of the timers that fired this round (each records its event),
        written after the inbox's steps. Either way, a routed event whose lead has nothing
        else pending is handled in this batch too (after the inbox events, in the order they
        came), so an arrival or a timer costs no transaction of its own; any other stays
        queued for the next batch, as usual.
        """
        now = self.clock.now()
        self.more = False
        items = self.store.inbox(limit=limit, now=now)
        if not items and not fired and not arrived:
            return 0
        commits: list[Commit] = [a.commit for a in arrived]  # first: older than what this batch adds
        owners: list[InboxItem | None] = [None] * len(commits)
        recorded = set(range(len(commits)))  # the commits that record an event rather than handle one
        arriving = {a.commit.lead_id for a in arrived}
        for item in items:
            if item.error is not None:  # its stored event cannot be read: retried, then dead-lettered
                self._failed(item, item.error)
                continue
            try:
                commit = self.step(item.event)
            except Exception as exc:
                self._failed(item, exc)
                continue
            commits.append(commit)
            owners.append(item)
            if item.alone and item.event.lead_id not in arriving:
                follow = self._follow_ups(commit, item.event)
                commits += follow
                owners += [None] * len(follow)
        busy = {i.event.lead_id for i in items}
        stepped = self._step_recorded([a.commit for a in arrived], busy, commits, owners, recorded, placed=True)
        busy |= arriving
        stepped += self._step_recorded(fired, busy, commits, owners, recorded, placed=False)
        try:
            results = self._apply(commits)
        finally:
            for hook in self.after_batch:
                hook()
        for arrival, result in zip(arrived, results, strict=False):
            if result is not None and not isinstance(result, DuplicateMessage | NotFound):
                log.warning("arrival for lead %s refused: %s", arrival.commit.lead_id, result)
            arrival.done(result)

        for n, (owner, result) in enumerate(zip(owners, results, strict=True)):
            if result is None or isinstance(result, DuplicateMessage) or n < len(arrived):
                continue
            if n in recorded:
                log.warning("timer commit refused: %s", result)
                if commits[n].fire_timer is not None and not isinstance(result, Conflict | NotFound):
                    self._drop_timer(commits[n], result)
                continue
            if isinstance(result, Conflict | NotFound) or owner is None:
                # still unhandled (a follow-up stays queued): the next round reloads the state
                log.debug("retrying %s after %s", owner.event.id if owner else "a follow-up", result)
                continue
            self._failed(owner, result)
        # a lead with more waiting, anything this batch queued and did not handle itself, or a
        # refusal: go again
        queued = sum(1 for c in commits for e in c.events if e.id not in c.quiet)
        chained = sum(1 for n, owner in enumerate(owners) if owner is None and n not in recorded)
        self.more = (
            len(items) >= limit
            or any(not i.alone for i in items)
            or queued > chained
            or any(r is not None for r in results)
        )
        return len(items) + stepped

    def _step_recorded(
        self,
        recorded: Sequence[Commit],
        busy: set[str],
        commits: list[Commit],
        owners: list[InboxItem | None],
        positions: set[int],
        *,
        placed: bool,
    ) -> int:
        """Handle the events of commits that record one (an arrival, a fired timer) in this batch:
        each step (and the steps it chains) follows when its lead has nothing else pending (and,
        with several workers, when this one claims the lead, as ``inbox`` claims its leads).
        With ``placed`` the recorded commits are in the batch already; otherwise each goes in
        just before its step. Returns how many were stepped; ``busy`` gains the stepped leads."""
        if not recorded:
            return 0
        pending = self.store.with_pending({c.lead_id for c in recorded} - busy)
        waiting = busy | pending
        # several workers: only a lead this one claims (another may be firing the same timer)
        claimed = self.store.claim_leads({(c.workspace_id, c.lead_id) for c in recorded if c.lead_id not in waiting})
        stepped = 0
        for rec in recorded:
            if not placed:
                positions.add(len(commits))
                commits.append(rec)
                owners.append(None)
            if len(rec.events) != 1:
                continue
            event = rec.events[0]
            if event.id in rec.quiet or event.lead_id in busy or event.lead_id in pending:
                continue  # not routed, or behind the lead's other events: left queued
            if claimed is not None and (event.workspace_id, event.lead_id) not in claimed:
                continue  # another worker holds the lead: it stays queued, for whoever has it next
            busy.add(event.lead_id)  # one such event of a lead per batch
            try:
                commit = self.step(event)
            except Exception:
                continue  # left queued: the next batch handles it (and its retries) the usual way
            follow = [commit, *self._follow_ups(commit, event)]
            commits += follow
            owners += [None] * len(follow)
            stepped += 1
        return stepped

    MAX_FOLLOW_UPS = 16

    def _follow_ups(self, first: Commit, cause: Event) -> list[Commit]:
        """The commits of the events ``first`` queues for its lead, and theirs, breadth first."""
        out: list[Commit] = []
        state = self._state_after(first, None)
        queue = [e for e in first.events if e.id not in first.quiet and e.lead_id == cause.lead_id]
        while queue and state is not None and len(out) < self.MAX_FOLLOW_UPS:
            event = queue.pop(0)
            try:
                commit = self.step(event, state)
            except Exception:
                break  # left queued: the next round handles it (and its retries) the usual way
            out.append(commit)
            state = self._state_after(commit, state)
            queue += [e for e in commit.events if e.id not in commit.quiet and e.lead_id == cause.lead_id]
        return out

    @staticmethod
    def _state_after(commit: Commit, before: LeadState | None) -> LeadState | None:
        """The lead as ``commit`` leaves it: its new state one version on, or ``before`` unchanged."""
        if commit.state is None:
            return before
        if commit.expected_version is None:
            return None
        return commit.state.model_copy(update={"version": commit.expected_version + 1})

    def _apply(self, commits: list[Commit]) -> list[Exception | None]:
        """``store.apply(commits)``, one commit's bad data failing only its own event (``apply_isolating``)."""
        return apply_isolating(self.store, commits)

    def _drop_timer(self, commit: Commit, exc: Exception) -> None:
        """A fired timer whose commit the store cannot write (not a refusal): marked fired without
        its event, so it does not fire, and fail, again every round."""
        log.warning("timer %s of lead %s dropped: %s: %s", commit.fire_timer, commit.lead_id, type(exc).__name__, exc)
        self.store.apply([Commit(commit.workspace_id, commit.lead_id, fire_timer=commit.fire_timer, at=self.clock.now())])

    def _failed(self, item: InboxItem, exc: Exception | str) -> None:
        now = self.clock.now()
        error = exc if isinstance(exc, str) else f"{type(exc).__name__}: {exc}"
        log.warning("event %s (%s) failed: %s", item.event.id, item.event.type, error)
        if item.attempts + 1 >= self.max_attempts:
            self.store.dead_letter(item.seq, consumer="orchestrator", error=error, at=now)
            return
        delay = self.retry_base * (2**item.attempts)
        self.store.defer(item.seq, error=error, until=now + delay)
