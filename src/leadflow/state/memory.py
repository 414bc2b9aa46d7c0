"""The in-memory store: the reference backend, used by unit tests and as the model for the rest."""

from __future__ import annotations

import copy
import threading
from collections.abc import Collection, Iterator, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

from leadflow.domain.actions import CONTACT_ACTIONS, OutboundAction, TimerSpec
from leadflow.domain.events import Event
from leadflow.domain.identity import linked_event, match, suppression_key, suppression_keys
from leadflow.domain.models import Campaign, LeadState
from leadflow.exceptions import Conflict, DuplicateMessage, NotFound
from leadflow.state import privacy
from leadflow.state.base import Store
from leadflow.state.common import held_slot, lead_updated_event, timer_matches
from leadflow.state.records import (
    ActionRow,
    Commit,
    DeadLetter,
    InboxItem,
    Reject,
    TimerRow,
    TraceRecord,
)
from leadflow.state.rejects import DEFAULT_LIMITS, RejectLimits, bound, counted_error
from leadflow.state.sends import COUNTED_STATUSES, SendCounts, check_keys, send_keys


@dataclass
class _Inbox:
    seq: int
    event: Event
    handled: bool = False
    dead: bool = False
    attempts: int = 0
    available_at: datetime | None = None
    published: bool = False


class MemoryStore(Store):
    """Everything in dicts behind one lock. Not durable; otherwise behaves like ``SqlStore``."""

    def __init__(self) -> None:
        self._lock = threading.RLock()
        self._campaigns: dict[tuple[str, str], Campaign] = {}
        self._leads: dict[str, LeadState] = {}
        self._dedupe: dict[tuple[str, str], str] = {}  # identities: (workspace, key) -> lead id
        self._events: list[Event] = []
        self._event_ids: set[str] = set()
        self._inbox: list[_Inbox] = []
        self._actions: list[ActionRow] = []
        self._action_keys: set[str] = set()
        self._timers: list[TimerRow] = []
        self._traces: list[TraceRecord] = []
        self._suppressed: dict[tuple[str, str], str] = {}
        self._keys: set[tuple[str, str]] = set()
        self._dead: list[DeadLetter] = []
        self._rejects: list[Reject] = []
        self._meta: dict[str, str] = {}
        self._bookings: dict[tuple[str, str, datetime], str] = {}  # (workspace, calendar, start) -> lead
        self._seq = 0

    def _next(self) -> int:
        self._seq += 1
        return self._seq

    # campaigns
    def save_campaign(self, workspace_id: str, campaign: Campaign) -> None:
        with self._lock:
            self._campaigns[(workspace_id, campaign.name)] = campaign.model_copy(deep=True)

    def get_campaign(self, workspace_id: str, name: str) -> Campaign:
        with self._lock:
            try:
                return self._campaigns[(workspace_id, name)].model_copy(deep=True)
            except KeyError:
                raise NotFound(f"no campaign {name!r} in workspace {workspace_id!r}") from None

    def list_campaigns(self, workspace_id: str) -> list[Campaign]:
        with self._lock:
            return [
                c.model_copy(deep=True)
                for (ws, _), c in sorted(self._campaigns.items())
                if ws == workspace_id
            ]

    # leads
    def create_lead(
        self,
        state: LeadState,
        created: Event,
        *,
        dedupe_key: str | None = None,
        identity_keys: Sequence[str] = (),
    ) -> tuple[LeadState, bool]:
        ws = state.workspace_id
        keys = list(dict.fromkeys([*identity_keys, *([dedupe_key] if dedupe_key else [])]))
        with self._lock:
            owners = {k: o for k in keys if (o := self._dedupe.get((ws, k))) is not None and o in self._leads}
            found = match(keys, owners)
            if found is not None:
                for key in found.new:
                    self._dedupe[(ws, key)] = found.lead_id
                if found.new:
                    self._record_event(linked_event(found, state.lead, workspace_id=ws, at=created.at), queue=False)
                return self._leads[found.lead_id].model_copy(deep=True), False
            if state.lead_id in self._leads:
                raise Conflict(f"lead {state.lead_id} exists")
            for key in keys:
                self._dedupe[(ws, key)] = state.lead_id
            self._leads[state.lead_id] = state.model_copy(deep=True)
            self._record_event(created, queue=True)
            return state.model_copy(deep=True), True

    def _record_event(self, event: Event, *, queue: bool) -> None:
        self._events.append(event)
        self._event_ids.add(event.id)
        self._inbox.append(_Inbox(seq=self._next(), event=event, handled=not queue))

    def get_lead(self, workspace_id: str, lead_id: str) -> LeadState:
        with self._lock:
            state = self._leads.get(lead_id)
            if state is None or state.workspace_id != workspace_id:
                raise NotFound(f"no lead {lead_id!r} in workspace {workspace_id!r}")
            return state.model_copy(deep=True)

    def list_leads(
        self, workspace_id: str, *, stage: str | None = None, limit: int = 1000
    ) -> list[LeadState]:
        with self._lock:
            out = [
                s.model_copy(deep=True)
                for s in self._leads.values()
                if s.workspace_id == workspace_id and (stage is None or s.stage == stage)
            ]
            return sorted(out, key=lambda s: (s.created_at, s.lead_id))[:limit]

    def count_leads(self, workspace_id: str | None = None) -> dict[str, int]:
        with self._lock:
            counts: dict[str, int] = {}
            for s in self._leads.values():
                if workspace_id is None or s.workspace_id == workspace_id:
                    counts[s.stage.value] = counts.get(s.stage.value, 0) + 1
            return counts

    def apply(self, commits: Sequence[Commit]) -> list[Exception | None]:
        results: list[Exception | None] = []
        with self._lock:
            for commit in commits:
                try:
                    self._check(commit)
                except (Conflict, NotFound) as exc:
                    results.append(exc)
                    continue
                self._apply_one(commit)
                results.append(None)
        return results

    def _check(self, c: Commit) -> None:
        if c.handled is not None:
            item = next((i for i in self._inbox if i.event.id == c.handled), None)
            if item is None:
                raise NotFound(f"no inbox event {c.handled}")
            if item.handled or item.dead:
                raise DuplicateMessage(f"event {c.handled} already handled")
        if c.state is not None or c.require_lead:
            current = self._leads.get(c.lead_id)
            if current is None or current.workspace_id != c.workspace_id:
                raise NotFound(f"no lead {c.lead_id}")
            if c.state is not None and current.version != c.expected_version:
                raise Conflict(f"lead {c.lead_id} is at version {current.version}, not {c.expected_version}")
        for event in c.events:
            if event.id in self._event_ids:
                raise DuplicateMessage(f"event {event.id} already recorded")
        if c.finish_action is not None:
            row = self._action(c.finish_action[0])
            if row.status != "pending":
                raise DuplicateMessage(f"action {row.action.idempotency_key} already {row.status}")
        if c.draft is not None:
            held = self._action(c.draft.seq)
            if held.status != "held" or held.workspace_id != c.workspace_id:
                raise DuplicateMessage(f"draft {c.draft.seq} is {held.status}, not held")
        if c.fire_timer is not None:
            timer = next((t for t in self._timers if t.seq == c.fire_timer), None)
            if timer is None or timer.status != "active":
                raise DuplicateMessage(f"timer {c.fire_timer} is not active")
        if c.booking is not None and c.booking[1] is not None:
            holder = self._bookings.get((c.workspace_id, c.booking[0], c.booking[1]))
            if holder is not None and holder != c.lead_id:
                raise Conflict(f"{c.booking[0]} at {c.booking[1].isoformat()} is booked by another lead")

    def _action(self, seq: int) -> ActionRow:
        for row in self._actions:
            if row.seq == seq:
                return row
        raise NotFound(f"no action {seq}")

    def _apply_one(self, c: Commit) -> None:
        if c.state is not None:
            old = self._leads[c.lead_id]
            new = c.state.model_copy(update={"version": old.version + 1}, deep=True)
            self._leads[c.lead_id] = new
            self._record_event(lead_updated_event(old, new, cause=c.handled), queue=False)
        for event in c.events:
            self._record_event(event, queue=event.id not in c.quiet)
        if c.handled is not None:
            for item in self._inbox:
                if item.event.id == c.handled:
                    item.handled = True
        if c.booking is not None:
            calendar, start = c.booking
            self._bookings = {
                k: v for k, v in self._bookings.items() if not (k[0] == c.workspace_id and v == c.lead_id)
            }
            if start is not None:
                self._bookings[(c.workspace_id, calendar, start)] = c.lead_id
        if c.drop_pending_contact is not None:
            self._actions = [
                replace(r, status="cancelled", detail=c.drop_pending_contact)
                if r.lead_id == c.lead_id and r.status in ("pending", "held") and r.action.kind in CONTACT_ACTIONS
                else r
                for r in self._actions
            ]
        for action in c.actions:
            if action.idempotency_key in self._action_keys:
                continue  # enqueueing is idempotent: this key is already recorded
            self._action_keys.add(action.idempotency_key)
            self._actions.append(
                ActionRow(
                    self._next(), c.workspace_id, c.lead_id, action, "pending", 0, c.at or datetime.now(UTC)
                )
            )
        if c.finish_action is not None:
            seq, status, detail = c.finish_action
            self._actions = [
                replace(r, status=status, detail=detail, attempts=r.attempts + 1) if r.seq == seq else r
                for r in self._actions
            ]
        if c.draft is not None:
            d = c.draft
            self._actions = [
                replace(r, status=d.status, action=d.action or r.action, detail=d.detail if d.detail is not None else r.detail)
                if r.seq == d.seq
                else r
                for r in self._actions
            ]
        if c.fire_timer is not None:
            self._timers = [replace(t, status="fired") if t.seq == c.fire_timer else t for t in self._timers]
        for name in c.cancel_timers:
            self._timers = [
                replace(t, status="cancelled")
                if t.lead_id == c.lead_id and t.status == "active" and timer_matches(t.spec.name, name)
                else t
                for t in self._timers
            ]
        for spec in c.timers:
            self._timers = [
                replace(t, status="replaced")
                if t.lead_id == c.lead_id and t.status == "active" and t.spec.name == spec.name
                else t
                for t in self._timers
            ]
            self._timers.append(TimerRow(self._next(), c.workspace_id, c.lead_id, spec, "active"))
        self._traces.extend(t.model_copy() for t in c.traces)
        for address, reason in c.suppress:
            self._suppressed.setdefault((c.workspace_id, suppression_key(address)), reason)

    # log
    def lead_events(self, workspace_id: str, lead_id: str) -> list[Event]:
        with self._lock:
            return [e for e in self._events if e.lead_id == lead_id and e.workspace_id == workspace_id]

    def all_events(self) -> Iterator[Event]:
        with self._lock:
            events = list(self._events)
        return iter(events)

    def replace_states(self, states: Sequence[LeadState]) -> None:
        with self._lock:
            for s in states:
                self._leads[s.lead_id] = s.model_copy(deep=True)

    def bookings(self) -> dict[tuple[str, str, datetime], str]:
        with self._lock:
            return dict(self._bookings)

    def replace_bookings(self, states: Sequence[LeadState]) -> None:
        with self._lock:
            leads = {(s.workspace_id, s.lead_id) for s in states}
            kept = {k: v for k, v in self._bookings.items() if (k[0], v) not in leads}
            for s in states:
                slot = held_slot(s)
                if slot is None:
                    continue
                key = (s.workspace_id, slot[0], slot[1])
                if key in kept:
                    raise Conflict(f"{slot[0]} at {slot[1].isoformat()} is held by {kept[key]} and {s.lead_id}")
                kept[key] = s.lead_id
            self._bookings = kept

    # inbox / relay
    def inbox(self, *, limit: int = 100, now: datetime | None = None) -> list[InboxItem]:
        with self._lock:
            seen: set[str] = set()
            out: list[InboxItem] = []
            for item in self._inbox:
                if item.handled or item.dead or item.event.lead_id in seen:
                    continue
                seen.add(item.event.lead_id)
                if item.available_at is not None and now is not None and item.available_at > now:
                    continue
                out.append(InboxItem(item.seq, item.event, item.attempts))
                if len(out) >= limit:
                    break
            pending: dict[str, int] = {}
            for item in self._inbox:
                if not item.handled and not item.dead:
                    pending[item.event.lead_id] = pending.get(item.event.lead_id, 0) + 1
            return [replace(i, alone=pending.get(i.event.lead_id) == 1) for i in out]

    def with_pending(self, lead_ids: Collection[str]) -> set[str]:
        wanted = set(lead_ids)
        with self._lock:
            return {
                i.event.lead_id for i in self._inbox if not i.handled and not i.dead and i.event.lead_id in wanted
            }

    def unpublished(self, *, limit: int = 500) -> list[tuple[int, Event]]:
        with self._lock:
            return [(i.seq, i.event) for i in self._inbox if not i.published][:limit]

    def mark_published(self, seqs: Sequence[int]) -> None:
        wanted = set(seqs)
        with self._lock:
            for item in self._inbox:
                if item.seq in wanted:
                    item.published = True

    def _inbox_item(self, seq: int) -> _Inbox:
        for item in self._inbox:
            if item.seq == seq:
                return item
        raise NotFound(f"no inbox item {seq}")

    def defer(self, seq: int, *, error: str, until: datetime) -> int:
        with self._lock:
            item = self._inbox_item(seq)
            item.attempts += 1
            item.available_at = until
            return item.attempts

    def dead_letter(self, seq: int, *, consumer: str, error: str, at: datetime) -> None:
        with self._lock:
            item = self._inbox_item(seq)
            item.dead = True
            self._dead.append(
                DeadLetter(
                    self._next(),
                    item.event.workspace_id,
                    item.event.lead_id,
                    item.event,
                    consumer,
                    error,
                    item.attempts,
                    at,
                    "dead",
                )
            )

    def list_dead(self, workspace_id: str | None = None) -> list[DeadLetter]:
        with self._lock:
            return [
                d
                for d in self._dead
                if d.status == "dead" and (workspace_id is None or d.workspace_id == workspace_id)
            ]

    def retry_dead(self, dead_id: int) -> None:
        with self._lock:
            for n, d in enumerate(self._dead):
                if d.id == dead_id and d.status == "dead":
                    self._dead[n] = replace(d, status="retried")
                    for item in self._inbox:
                        if item.event.id == d.event.id:
                            item.dead = False
                            item.attempts = 0
                            item.available_at = None
                    return
            raise NotFound(f"no dead letter {dead_id}")

    # actions
    def postpone_action(self, seq: int, *, until: datetime, error: str, count_attempt: bool = True) -> int:
        with self._lock:
            row = self._action(seq)
            new = replace(
                row,
                attempts=row.attempts + (1 if count_attempt else 0),
                detail=error,
                action=row.action.model_copy(update={"not_before": until}),
            )
            self._actions = [new if r.seq == seq else r for r in self._actions]
            return new.attempts

    def due_actions(self, now: datetime, *, limit: int = 100) -> list[ActionRow]:
        with self._lock:
            due = [
                r
                for r in self._actions
                if r.status == "pending" and (r.action.not_before is None or r.action.not_before <= now)
            ]
            return due[:limit]

    def actions_for(self, workspace_id: str, lead_id: str) -> list[ActionRow]:
        with self._lock:
            return [r for r in self._actions if r.lead_id == lead_id and r.workspace_id == workspace_id]

    def actions_in(self, workspace_id: str, statuses: Collection[str]) -> list[ActionRow]:
        wanted = set(statuses)
        with self._lock:
            return [r for r in self._actions if r.workspace_id == workspace_id and r.status in wanted]

    def action_by_seq(self, workspace_id: str, seq: int) -> ActionRow:
        with self._lock:
            row = self._action(seq)
            if row.workspace_id != workspace_id:
                raise NotFound(f"no action {seq}")
            return row

    def send_counts(
        self,
        workspace_id: str,
        *,
        mailbox: str | None = None,
        domain: str | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
    ) -> SendCounts:
        check_keys(mailbox, domain, since, until)
        sent = scheduled = 0
        first: datetime | None = None
        with self._lock:
            for r in self._actions:
                if r.workspace_id != workspace_id or r.status not in COUNTED_STATUSES:
                    continue
                box, dom = send_keys(r.action)
                if (mailbox and box != mailbox.lower()) or (domain and dom != domain.lower()):
                    continue
                when = r.action.not_before or r.created_at
                if (since is not None and when < since) or (until is not None and when >= until):
                    continue
                sent += r.status == "sent"
                scheduled += r.status == "pending"
                first = when if first is None or when < first else first
        return SendCounts(sent, scheduled, first)

    # timers
    def due_timers(self, now: datetime, *, limit: int = 100) -> list[TimerRow]:
        with self._lock:
            due = sorted(
                (t for t in self._timers if t.status == "active" and t.spec.fire_at <= now),
                key=lambda t: (t.spec.fire_at, t.seq),
            )
            return due[:limit]

    def timers_for(self, workspace_id: str, lead_id: str, *, active_only: bool = True) -> list[TimerRow]:
        with self._lock:
            return [
                t
                for t in self._timers
                if t.lead_id == lead_id
                and t.workspace_id == workspace_id
                and (t.status == "active" or not active_only)
            ]

    def next_wakeup(self) -> datetime | None:
        with self._lock:
            times = [t.spec.fire_at for t in self._timers if t.status == "active"]
            times += [
                r.action.not_before for r in self._actions if r.status == "pending" and r.action.not_before
            ]
            times += [i.available_at for i in self._inbox if not i.handled and not i.dead and i.available_at]
            return min(times) if times else None

    def suppression_for(self, workspace_id: str, *addresses: str) -> str | None:
        with self._lock:
            salt = self._meta.get(privacy.salt_meta_key(workspace_id))
            keys = [k for a in addresses if a for k in suppression_keys(a, salt=salt)]
            return next((k for k in keys if (workspace_id, k) in self._suppressed), None)

    # a person's data (the rules: state.privacy)
    def _person(self, workspace_id: str, keys: Collection[str]) -> tuple[set[str], list[LeadState]]:
        """The person's keys (grown by their leads' keys) and their leads in the workspace."""
        wanted = set(keys)
        while True:
            linked = {lead for (ws, k), lead in self._dedupe.items() if ws == workspace_id and k in wanted}
            leads = [
                s
                for s in self._leads.values()
                if s.workspace_id == workspace_id and (s.lead_id in linked or privacy.lead_matches(s.lead, wanted))
            ]
            ids = {s.lead_id for s in leads}
            grown = wanted.union(*(privacy.lead_keys(s.lead) for s in leads))
            grown |= {k for (ws, k), lead in self._dedupe.items() if ws == workspace_id and lead in ids}
            if grown == wanted:
                return wanted, leads
            wanted = grown

    def person_records(self, workspace_id: str, keys: Collection[str]) -> dict[str, list[dict[str, Any]]]:
        with self._lock:
            keys, leads = self._person(workspace_id, keys)
            ids = {s.lead_id for s in leads}
            red = privacy.Redactor(keys, [s.lead for s in leads])
            mine = privacy.personal_addresses(keys, [s.lead for s in leads])
            return {
                "leads": [s.model_dump(mode="json") for s in leads],
                "events": [e.model_dump(mode="json") for e in self._events if e.workspace_id == workspace_id and e.lead_id in ids],
                "traces": [t.model_dump(mode="json") for t in self._traces if t.workspace_id == workspace_id and t.lead_id in ids],
                "actions": [privacy.action_json(r) for r in self._actions if r.workspace_id == workspace_id and r.lead_id in ids],
                "timers": [privacy.timer_json(t) for t in self._timers if t.workspace_id == workspace_id and t.lead_id in ids],
                "dead_letters": [privacy.dead_json(d) for d in self._dead if d.workspace_id == workspace_id and d.lead_id in ids],
                "rejects": [privacy.reject_json(r) for r in self._rejects if r.workspace_id == workspace_id and red.mentions(r.raw)],
                "suppressions": [
                    privacy.suppression_json(a, why) for (ws, a), why in self._suppressed.items() if ws == workspace_id and a in mine
                ],
                "bookings": [
                    privacy.booking_json(cal, start, lead)
                    for (ws, cal, start), lead in self._bookings.items()
                    if ws == workspace_id and lead in ids
                ],
                "identities": [
                    {"key": k, "lead_id": lead} for (ws, k), lead in self._dedupe.items() if ws == workspace_id and lead in ids
                ],
            }

    def erase_person(
        self, workspace_id: str, keys: Collection[str], *, salt: str, at: datetime | None = None
    ) -> privacy.ErasureReport:
        when = at or datetime.now(UTC)
        report = privacy.ErasureReport(workspace_id)
        with self._lock:  # one lock: nothing sees the person half erased
            keys, leads = self._person(workspace_id, keys)
            ids = {s.lead_id for s in leads}
            red = privacy.Redactor(keys, [s.lead for s in leads])
            counts = report.counts
            steps: list[Event] = []
            for s in leads:
                redacted = LeadState.model_validate(red.state(s.model_dump(mode="json")))
                final, updated = privacy.erased_state(redacted, at=when)
                self._leads[s.lead_id] = final
                steps.append(updated)
                report.lead_ids.append(s.lead_id)
            kept_keys = {k: v for k, v in self._dedupe.items() if k[0] != workspace_id or v not in ids}
            counts["identities"] = len(self._dedupe) - len(kept_keys)
            self._dedupe = kept_keys
            counts["leads"] = len(leads)
            for n, e in enumerate(self._events):
                if e.workspace_id == workspace_id and e.lead_id in ids:
                    self._events[n] = Event.model_validate(red.event(e.model_dump(mode="json")))
                    counts["events"] += 1
            for updated in steps:  # the erasure itself, in the log: a replay ends do-not-contact too
                self._record_event(updated, queue=False)
            by_id = {e.id: e for e in self._events if e.lead_id in ids}
            for item in self._inbox:
                if item.event.id in by_id:
                    item.event = by_id[item.event.id]
                    item.handled = item.handled or not item.dead  # nothing acts on an erased lead any more
            for n, t in enumerate(self._traces):
                if t.workspace_id == workspace_id and t.lead_id in ids:
                    self._traces[n] = TraceRecord.model_validate(red.trace(t.model_dump(mode="json")))
                    counts["traces"] += 1
            for n, r in enumerate(self._actions):
                if r.workspace_id == workspace_id and r.lead_id in ids:
                    action = OutboundAction.model_validate(red.action(r.action.model_dump(mode="json")))
                    status, detail = ("cancelled", "erased") if r.status in ("pending", "held") else (r.status, r.detail)
                    self._actions[n] = replace(r, action=action, status=status, detail=detail and red.text(detail))
                    counts["actions"] += 1
            for n, tm in enumerate(self._timers):
                if tm.workspace_id == workspace_id and tm.lead_id in ids:
                    spec = TimerSpec.model_validate(red.timer(tm.spec.model_dump(mode="json")))
                    self._timers[n] = replace(tm, spec=spec, status="cancelled" if tm.status == "active" else tm.status)
                    counts["timers"] += 1
            for n, d in enumerate(self._dead):
                if d.workspace_id == workspace_id and d.lead_id in ids:
                    self._dead[n] = replace(d, event=by_id.get(d.event.id, d.event), error=red.text(d.error))
                    counts["dead_letters"] += 1
            kept = [r for r in self._rejects if r.workspace_id != workspace_id or not red.mentions(r.raw)]
            counts["rejects"] = len(self._rejects) - len(kept)
            self._rejects = kept
            mine = privacy.personal_addresses(keys, [s.lead for s in leads])
            gone = [k for k in self._suppressed if k[0] == workspace_id and k[1] in mine]
            for k in gone:
                del self._suppressed[k]
            for hashed in privacy.erasure_suppressions(salt, keys, [s.lead for s in leads]):
                self._suppressed.setdefault((workspace_id, hashed), "erased")
            counts["suppressions"] = len(gone)
        return report

    def claim_key(self, scope: str, key: str) -> bool:
        with self._lock:
            if (scope, key) in self._keys:
                return False
            self._keys.add((scope, key))
            return True

    def release_key(self, scope: str, key: str) -> None:
        with self._lock:
            self._keys.discard((scope, key))

    def forget_keys(self, scope_from: str, scope_to: str) -> int:
        with self._lock:
            gone = {k for k in self._keys if scope_from <= k[0] < scope_to}
            self._keys -= gone
            return len(gone)

    def traces_for(self, workspace_id: str, lead_id: str) -> list[TraceRecord]:
        with self._lock:
            return [
                copy.copy(t) for t in self._traces if t.lead_id == lead_id and t.workspace_id == workspace_id
            ]

    def add_reject(
        self, workspace_id: str, source: str, raw: str, error: str, at: datetime, *, limits: RejectLimits | None = None
    ) -> int:
        lim = limits or DEFAULT_LIMITS
        with self._lock:
            since = at - lim.window
            mine = [r for r in self._rejects if r.workspace_id == workspace_id and r.source == source and r.at >= since]
            if sum(r.count is None for r in mine) >= lim.burst:
                counting = next((r for r in reversed(mine) if r.count is not None), None)
                if counting is not None and counting.count is not None:
                    n = counting.count + 1
                    i = self._rejects.index(counting)
                    self._rejects[i] = replace(counting, count=n, at=at, error=counted_error(n, source, lim, error))
                    return counting.id
                rid = self._next()
                self._rejects.append(Reject(rid, workspace_id, source, "", counted_error(1, source, lim, error), at,
                                            size=len(raw.encode()), count=1))
            else:
                kept = bound(raw, lim)
                rid = self._next()
                self._rejects.append(Reject(rid, workspace_id, source, kept.text, error, at, size=kept.size,
                                            sha256=kept.sha256))
            # retention: the workspace's newest ``keep``, none older than ``max_age``
            cutoff = at - lim.max_age
            theirs = [r for r in self._rejects if r.workspace_id == workspace_id]
            drop = {r.id for r in theirs[: max(0, len(theirs) - lim.keep)]} | {r.id for r in theirs if r.at < cutoff}
            if drop:
                self._rejects = [r for r in self._rejects if r.workspace_id != workspace_id or r.id not in drop]
            return rid

    def list_rejects(self, workspace_id: str) -> list[Reject]:
        with self._lock:
            return [r for r in self._rejects if r.workspace_id == workspace_id]

    def get_meta(self, key: str) -> str | None:
        with self._lock:
            return self._meta.get(key)

    def set_meta(self, key: str, value: str, *, lazy: bool = False) -> None:
        with self._lock:
            self._meta[key] = value

    def add_meta(self, key: str, value: str) -> str:
        with self._lock:
            return self._meta.setdefault(key, value)
