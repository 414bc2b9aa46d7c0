"""Engine invariants under any interleaving: hypothesis draws the operations, the log must stay sound.

A runtime with the default agents and routes runs on ``MemoryStore`` with a hand-advanced
clock and a transcript channel that fails on scripted calls. Hypothesis draws a sequence of
replies (duplicates included; some accepted at once through intake, some left in a mailbox the
worker takes them from and commits with its next batch), clock jumps, timer firings,
orchestrator and dispatcher rounds, worker ticks and re-applied commits. After every operation: nothing goes out after an
opt-out, no key is delivered twice, and replaying the log gives the live state. After a
final drain: every event handled, nothing dead, every action closed.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any

from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from leadflow.domain.actions import OutboundAction
from leadflow.domain.events import EventType
from leadflow.domain.models import Consent, Lead
from leadflow.exceptions import DuplicateMessage, Unavailable
from leadflow.integrations.channels import TranscriptChannel
from leadflow.integrations.channels.base import Receipt
from leadflow.orchestrator.clock import FixedClock
from leadflow.orchestrator.intake import Arrival
from leadflow.runtime import Runtime
from leadflow.settings import Settings
from leadflow.sim.run import CAMPAIGN, demo_campaign
from leadflow.state import MemoryStore
from leadflow.state.patch import fold
from leadflow.state.records import Commit

START = datetime(2026, 3, 2, 14, tzinfo=UTC)
WS = "demo"
LEADS = 3

REPLIES = {
    "interested": "Yes, I'm interested. Could you tell me more about how it works?",
    "question": "How much does it cost per month?",
    "unsubscribe": "Please unsubscribe me from this list.",
    "stop": "STOP",
    "ooo": "I am out of the office until March 20 with limited access to email. I will reply when I am back.",
    "answers": "We have 25 reps, we use HubSpot, budget is about $3k a month and we want to start next month. It's my call.",
    "times": "Tuesday at 2pm works for me.",
    "not_now": "Not interested right now, thanks.",
}


class FlakyChannel:
    """A transcript channel that raises ``Unavailable`` on the scripted call numbers."""

    name = "flaky"

    def __init__(self, inner: TranscriptChannel, fail_on: set[int]) -> None:
        self.inner = inner
        self.fail_on = fail_on
        self.calls = 0
        self.fresh: dict[str, int] = {}  # key -> deliveries that were not duplicates

    def deliver(self, action: OutboundAction, *, workspace_id: str, lead_id: str) -> Receipt:
        n = self.calls
        self.calls += 1
        if n in self.fail_on:
            raise Unavailable(f"scripted outage on call {n}")
        receipt = self.inner.deliver(action, workspace_id=workspace_id, lead_id=lead_id)
        if not receipt.duplicate:
            self.fresh[action.idempotency_key] = self.fresh.get(action.idempotency_key, 0) + 1
        return receipt


class RecordingStore(MemoryStore):
    """Keeps every commit that applied, so a test can apply it again."""

    def __init__(self) -> None:
        super().__init__()
        self.applied: list[Commit] = []

    def apply(self, commits: Sequence[Commit]) -> list[Exception | None]:
        results = super().apply(commits)
        self.applied += [c for c, r in zip(commits, results, strict=True) if r is None]
        return results


class Mailbox:
    """An inbound source: replies wait here until a worker batch has committed them."""

    def __init__(self, w: World) -> None:
        self.w = w
        self.waiting: dict[str, tuple[str, str]] = {}  # message id -> (lead, text)

    def take(self, now: datetime) -> list[Arrival]:
        intake = self.w.rt.intake
        return [
            Arrival(intake.reply_commit(WS, lead, message_id=mid, text=text), partial(self._done, mid))
            for mid, (lead, text) in self.waiting.items()
        ]

    def _done(self, mid: str, result: Exception | None) -> None:
        assert result is None or isinstance(result, DuplicateMessage), result
        self.waiting.pop(mid, None)

    def next_arrival(self) -> datetime | None:
        return self.w.clock.now() if self.waiting else None


class World:
    def __init__(self, fail_on: set[int]) -> None:
        self.store = RecordingStore()
        self.clock = FixedClock(START)
        self.mailbox = Mailbox(self)
        self.channel = FlakyChannel(TranscriptChannel(":memory:"), fail_on)
        self.rt = Runtime.build(
            Settings(db_url="memory://", transcript_path=":memory:", workspace=WS),
            store=self.store,
            clock=self.clock,
            channel=self.channel,
            inbound=[self.mailbox],
        )
        self.store.save_campaign(WS, demo_campaign())
        self.leads: list[str] = []
        for i in range(LEADS):
            lead = Lead(
                first_name=f"Pat{i}",
                last_name="Lee",
                email=f"pat{i}@acme{i}.example",
                phone=f"+1415555010{i}",
                company=f"Acme {i}",
                industry="b2b_saas",
                title="Head of Sales",
                source="test",
                source_lead_id=f"l{i}",
                consent=Consent(email=True, sms=True),
                inquiry="We want more meetings for our sales team.",
            )
            state, _ = self.rt.intake.create_lead(WS, CAMPAIGN, lead, lead_id=f"lead-{i}")
            self.leads.append(state.lead_id)
        self.message_ids: list[tuple[str, str, str]] = []  # (lead, message id, text)

    def close(self) -> None:
        self.channel.inner.close()
        self.rt.close()


# -- invariants ------------------------------------------------------------------------------
def check_log(w: World) -> None:
    events = list(w.store.all_events())
    opted_out: set[str] = set()
    suppressed: set[str] = set()
    sent_keys: dict[str, int] = {}
    for e in events:
        if e.type == EventType.LEAD_OPTED_OUT:
            opted_out.add(e.lead_id)
            state = w.store.get_lead(e.workspace_id, e.lead_id)
            suppressed |= {str(x).lower() for x in (state.lead.email, state.lead.phone) if x}
        elif e.type == EventType.MESSAGE_SENT:
            action = str(e.payload.get("action"))
            if action.startswith("send_"):
                assert e.lead_id not in opted_out, f"{action} to {e.lead_id} after its opt-out"
                to = e.payload.get("to")
                assert not to or str(to).lower() not in suppressed, f"{action} to suppressed {to}"
            key = str(e.payload["key"])
            sent_keys[key] = sent_keys.get(key, 0) + 1
    assert all(n == 1 for n in sent_keys.values()), {k: n for k, n in sent_keys.items() if n > 1}
    assert all(n == 1 for n in w.channel.fresh.values()), "a key was delivered twice"
    live = {s.lead_id: s.model_dump(mode="json") for s in w.store.list_leads(WS)}
    for lead in w.store.list_leads(WS):
        ids = [m.id for m in lead.messages if m.direction.value == "outbound"]
        assert len(ids) == len(set(ids)), f"{lead.lead_id} records a message twice"
    assert {k: v.model_dump(mode="json") for k, v in fold(events).items()} == live


def check_drained(w: World) -> None:
    far = w.clock.now() + timedelta(days=3650)
    assert w.store.inbox(limit=1000, now=far) == [], "events left unhandled"
    assert w.store.list_dead() == [], w.store.list_dead()
    for lead in w.leads:
        stuck = [
            a
            for a in w.store.actions_for(WS, lead)
            if a.status not in ("sent", "suppressed", "failed", "cancelled")
        ]
        assert not stuck, stuck
    replies = [e for e in w.store.all_events() if e.type == EventType.REPLY_RECEIVED]
    assert len({e.payload["message_id"] for e in replies}) == len(replies)
    assert {e.payload["message_id"] for e in replies} == {m for _, m, _ in w.message_ids}


# -- operations ------------------------------------------------------------------------------
def op_reply(w: World, lead: int, kind: str) -> None:
    mid = f"<m{len(w.message_ids)}@prospect.example>"
    w.message_ids.append((w.leads[lead], mid, REPLIES[kind]))
    assert w.rt.intake.receive_reply(WS, w.leads[lead], message_id=mid, text=REPLIES[kind])


def op_mail(w: World, lead: int, kind: str) -> None:
    """A reply lands in the mailbox: recorded only when the worker's next batch commits."""
    mid = f"<m{len(w.message_ids)}@prospect.example>"
    w.message_ids.append((w.leads[lead], mid, REPLIES[kind]))
    w.mailbox.waiting[mid] = (w.leads[lead], REPLIES[kind])


def op_mail_again(w: World, pick: int) -> None:
    """The mailbox offers a reply again (its flag was lost): a repeat, recorded once."""
    if w.message_ids:
        lead, mid, text = w.message_ids[pick % len(w.message_ids)]
        w.mailbox.waiting[mid] = (lead, text)


def op_duplicate(w: World, pick: int) -> None:
    if w.message_ids:
        lead, mid, text = w.message_ids[pick % len(w.message_ids)]
        if mid not in w.mailbox.waiting:  # recorded already
            assert not w.rt.intake.receive_reply(WS, lead, message_id=mid, text=text)


def op_reapply(w: World, pick: int) -> None:
    if w.store.applied:
        commit = w.store.applied[pick % len(w.store.applied)]
        before = len(w.store.applied)
        result = w.store.apply([commit])[0]
        assert result is not None, "a commit applied twice"
        assert len(w.store.applied) == before


def run_op(w: World, op: tuple[Any, ...]) -> None:
    name = op[0]
    if name == "reply":
        op_reply(w, op[1], op[2])
    elif name == "duplicate":
        op_duplicate(w, op[1])
    elif name == "mail":
        op_mail(w, op[1], op[2])
    elif name == "mail_again":
        op_mail_again(w, op[1])
    elif name == "advance":
        w.clock.advance_to(w.clock.now() + timedelta(seconds=op[1]))
    elif name == "timers":
        w.rt.worker.fire_timers()
    elif name == "process":
        w.rt.orchestrator.process()
    elif name == "dispatch":
        w.rt.dispatcher.dispatch()
    elif name == "reapply":
        op_reapply(w, op[1])
    elif name == "tick":
        w.rt.worker.tick()
    else:  # pragma: no cover
        raise AssertionError(name)


lead_ix = st.integers(0, LEADS - 1)
replies = st.tuples(st.just("reply"), lead_ix, st.sampled_from(sorted(REPLIES)))
opt_outs = st.tuples(st.just("reply"), lead_ix, st.sampled_from(["unsubscribe", "stop"]))
mails = st.tuples(st.just("mail"), lead_ix, st.sampled_from(sorted(REPLIES)))
operations = st.one_of(
    replies,
    replies,
    opt_outs,
    mails,
    st.tuples(st.just("mail_again"), st.integers(0, 1000)),
    st.tuples(st.just("duplicate"), st.integers(0, 1000)),
    st.tuples(st.just("advance"), st.sampled_from([1, 30, 600, 3600, 6 * 3600, 86400, 3 * 86400, 6 * 86400])),
    st.tuples(st.just("timers")),
    st.tuples(st.just("process")),
    st.tuples(st.just("dispatch")),
    st.tuples(st.just("reapply"), st.integers(0, 10_000)),
    st.tuples(st.just("tick")),
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(ops=st.lists(operations, min_size=1, max_size=40), fail_on=st.sets(st.integers(0, 40), max_size=12))
def test_invariants_hold_under_any_ordering(ops: list[tuple[Any, ...]], fail_on: set[int]) -> None:
    w = World(fail_on)
    try:
        for op in ops:
            run_op(w, op)
            check_log(w)
        w.rt.worker.run_until_idle(simulate=True)
        check_log(w)
        check_drained(w)
        types = {e.type for e in w.store.all_events()}
        for t in (
            EventType.LEAD_OPTED_OUT,
            EventType.MESSAGE_FAILED,
            EventType.LEAD_QUALIFIED,
            EventType.LEAD_APPOINTMENT_BOOKED,
        ):
            event(f"{t} {'seen' if t in types else 'not seen'}")
        event(f"postponed deliveries: {'some' if w.channel.calls > len(w.channel.fresh) else 'none'}")
    finally:
        w.close()
