"""The store interface: shared lead state, the event log, the outbox, timers and the DLQ.

One abstract ``Store``; ``MemoryStore`` first, ``SqlStore`` (SQLite and PostgreSQL) beside it.
Every backend passes the same contract suite (``tests/contracts/store_contract.py``).

Guarantees every backend gives:

* ``apply`` is atomic per commit: state, events, outbox rows, timers, traces and the
  "handled" mark land together or not at all; a batch is made durable in one go.
* optimistic concurrency: a commit whose ``expected_version`` is stale raises ``Conflict``.
* an inbox event marked handled is never handed out again; an action key is unique.
* every read and write is scoped by workspace: one workspace never sees another's data.
"""

from __future__ import annotations

import abc
from collections.abc import Collection, Iterator, Sequence
from datetime import datetime, timedelta
from typing import Any

from leadflow.domain.events import Event
from leadflow.domain.models import Campaign, LeadState
from leadflow.state.privacy import ErasureReport
from leadflow.state.records import (
    ActionRow,
    Commit,
    DeadLetter,
    InboxItem,
    Reject,
    TimerRow,
    TraceRecord,
)
from leadflow.state.rejects import RejectLimits
from leadflow.state.sends import SendChange, SendCounts


class Store(abc.ABC):
    """Durable shared state. Methods are thread-safe; reads see committed data only."""

    # -- set-up -----------------------------------------------------------------
    def close(self) -> None:  # noqa: B027 - optional hook
        """Release connections."""

    # -- campaigns ----------------------------------------------------------------
    @abc.abstractmethod
    def save_campaign(self, workspace_id: str, campaign: Campaign) -> None: ...

    @abc.abstractmethod
    def get_campaign(self, workspace_id: str, name: str) -> Campaign:
        """Raise ``NotFound`` when the workspace has no such campaign. Treat the result as
        read-only: a backend may hand the same object to several callers."""

    @abc.abstractmethod
    def list_campaigns(self, workspace_id: str) -> list[Campaign]: ...

    # -- leads --------------------------------------------------------------------
    @abc.abstractmethod
    def create_lead(
        self,
        state: LeadState,
        created: Event,
        *,
        dedupe_key: str | None = None,
        identity_keys: Sequence[str] = (),
    ) -> tuple[LeadState, bool]:
        """Insert a new lead with its ``lead.created`` event (also queued for the orchestrator).

        One person, one lead: ``identity_keys`` (strongest first, as ``identity.identity_keys``
        gives them) and ``dedupe_key`` (one more key) are unique within the workspace and are
        written in the lead's transaction. When any of them is known, nothing is created: the
        lead the first known key leads to is returned with ``False``, the keys it did not have
        are linked to it, and a ``lead.linked`` event (recorded, not queued) says which key
        matched, what was linked and which keys stay with another lead (``identity.match``).
        """

    @abc.abstractmethod
    def get_lead(self, workspace_id: str, lead_id: str) -> LeadState:
        """Raise ``NotFound`` when absent or in another workspace."""

    @abc.abstractmethod
    def list_leads(
        self, workspace_id: str, *, stage: str | None = None, limit: int = 1000
    ) -> list[LeadState]: ...

    @abc.abstractmethod
    def count_leads(self, workspace_id: str | None = None) -> dict[str, int]:
        """Leads per stage."""

    @abc.abstractmethod
    def apply(self, commits: Sequence[Commit]) -> list[Exception | None]:
        """Apply each commit atomically; the whole batch is made durable together.

        Returns one entry per commit: ``None`` when applied, or the ``Conflict``/
        ``DuplicateMessage`` that refused it (others in the batch still apply).
        """

    # -- the log ------------------------------------------------------------------
    @abc.abstractmethod
    def lead_events(self, workspace_id: str, lead_id: str) -> list[Event]: ...

    @abc.abstractmethod
    def all_events(self) -> Iterator[Event]:
        """Every event in commit order (for replay)."""

    @abc.abstractmethod
    def replace_states(self, states: Sequence[LeadState]) -> None:
        """Overwrite the current-state table (replay)."""

    @abc.abstractmethod
    def bookings(self) -> dict[tuple[str, str, datetime], str]:
        """The calendar slots leads hold: ``(workspace, calendar, start)`` -> lead id (replay checks them)."""

    @abc.abstractmethod
    def replace_bookings(self, states: Sequence[LeadState]) -> None:
        """Make the slots these leads hold the ones their states hold (replay); ``Conflict`` if
        two leads would hold one slot, and then nothing changes."""

    # -- orchestrator inbox and the relay -------------------------------------------
    @abc.abstractmethod
    def inbox(self, *, limit: int = 100, now: datetime | None = None) -> list[InboxItem]:
        """Unhandled events, oldest first, at most one per lead (so a lead is served in order)."""

    @abc.abstractmethod
    def with_pending(self, lead_ids: Collection[str]) -> set[str]:
        """Which of ``lead_ids`` have an unhandled inbox event (deferred ones included)."""

    @abc.abstractmethod
    def unpublished(self, *, limit: int = 500) -> list[tuple[int, Event]]:
        """Events not yet handed to the bus."""

    def unpublished_seqs(self, *, limit: int = 500) -> list[int]:
        """The seqs of ``unpublished``, without reading the events (for a bus nobody listens to)."""
        return [seq for seq, _ in self.unpublished(limit=limit)]

    @abc.abstractmethod
    def mark_published(self, seqs: Sequence[int]) -> None: ...

    @abc.abstractmethod
    def defer(self, seq: int, *, error: str, until: datetime) -> int:
        """Count a failed attempt at an inbox event and hide it until ``until``; returns attempts."""

    @abc.abstractmethod
    def dead_letter(self, seq: int, *, consumer: str, error: str, at: datetime) -> None:
        """Move an inbox event to the DLQ (it stops being handed out)."""

    @abc.abstractmethod
    def list_dead(self, workspace_id: str | None = None) -> list[DeadLetter]: ...

    @abc.abstractmethod
    def retry_dead(self, dead_id: int) -> None:
        """Put a dead letter back in the inbox. ``NotFound`` if unknown or already retried."""

    # -- outbound actions -------------------------------------------------------------
    @abc.abstractmethod
    def postpone_action(self, seq: int, *, until: datetime, error: str, count_attempt: bool = True) -> int:
        """Count a failed delivery attempt and try again at ``until``; returns attempts.

        With ``count_attempt=False`` the action is only re-scheduled (a send window or a cap said
        "not now"): its attempts stay as they are.
        """

    @abc.abstractmethod
    def due_actions(self, now: datetime, *, limit: int = 100) -> list[ActionRow]: ...

    @abc.abstractmethod
    def actions_for(self, workspace_id: str, lead_id: str) -> list[ActionRow]: ...

    @abc.abstractmethod
    def actions_in(self, workspace_id: str, statuses: Collection[str]) -> list[ActionRow]:
        """The workspace's outbox rows in these statuses, by ``seq`` (the drafts: ``held``, ...)."""

    @abc.abstractmethod
    def action_by_seq(self, workspace_id: str, seq: int) -> ActionRow:
        """One outbox row of the workspace. ``NotFound`` if there is none."""

    @abc.abstractmethod
    def send_counts(
        self,
        workspace_id: str,
        *,
        mailbox: str | None = None,
        domain: str | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
    ) -> SendCounts:
        """Pending and sent emails from ``mailbox`` and/or to ``domain`` with a send time in [since, until).

        Keys are compared case-insensitively; see :mod:`leadflow.state.sends`. ``InvalidInput``
        when neither key is given or a bound is a naive datetime.
        """

    def send_generation(self, workspace_id: str, kind: str, key: str) -> int | None:
        """A number that changes whenever this process commits a change to the send counts of
        ``key`` (``kind`` "mailbox" or "domain"), so counts read earlier may be reused while it
        holds; ``None`` (the default) means "do not reuse"."""
        return None

    def try_worker_lease(self) -> bool:
        """Whether a worker loop may run on this store now: True when this store holds the
        database's worker lease (taken now or before; kept until ``close``), or needs none.
        SQLite, which has no per-lead claims, lets one worker loop in at a time; the default
        (one process, or PostgreSQL's claims) lets every one in."""
        return True

    def claim_leads(self, leads: Collection[tuple[str, str]]) -> set[tuple[str, str]] | None:
        """Claim ``(workspace, lead)`` pairs for work found outside the inbox (a fired timer's
        event, a reply taken in), as ``inbox`` claims the leads it hands out, and released with
        them. Returns the pairs now held by this store (another worker holds the rest), or
        ``None`` (the default) when the store has no other writers to keep out."""
        return None

    def claim_send_keys(self, keys: Collection[tuple[str, str, str]]) -> bool | None:
        """Claim ``(workspace, "mailbox"|"domain", key)`` send keys for the dispatcher's current pass,
        so no other worker process sends from that mailbox or to that domain until this one has
        committed what it sent (released with the store's lead claims, at its next ``inbox`` or
        ``due_actions``). True when claimed, False when another process holds one of them, ``None``
        (the default) when the store has no other writers to keep out."""
        return None

    def send_changes(
        self, workspace_id: str, kind: str, key: str, since_generation: int
    ) -> tuple[int, list[SendChange]] | None:
        """What this process committed to ``key``'s counts after ``since_generation``, in order, and
        the generation they bring counts read then up to (no need to count again); ``None`` (the
        default) when the store does not keep them, or no longer has them all: count again."""
        return None

    def first_send_time(self, workspace_id: str, mailbox: str) -> datetime | None:
        """The earliest send time of a mailbox's pending or sent emails (its ramp-up starts there)."""
        return self.send_counts(workspace_id, mailbox=mailbox).first

    def send_count_series(
        self,
        workspace_id: str,
        *,
        mailbox: str | None = None,
        domain: str | None = None,
        since: datetime,
        step: timedelta,
        buckets: int,
    ) -> list[SendCounts]:
        """:meth:`send_counts` for ``buckets`` consecutive ranges of ``step`` from ``since`` (a planner
        scanning day after day while caps bind asks them all at once). Backends may answer in
        one query; this default asks bucket by bucket. ``first`` is each bucket's own first send."""
        return [
            self.send_counts(
                workspace_id,
                mailbox=mailbox,
                domain=domain,
                since=since + step * i,
                until=since + step * (i + 1),
            )
            for i in range(buckets)
        ]

    # -- timers -----------------------------------------------------------------------
    @abc.abstractmethod
    def due_timers(self, now: datetime, *, limit: int = 100) -> list[TimerRow]: ...

    @abc.abstractmethod
    def timers_for(self, workspace_id: str, lead_id: str, *, active_only: bool = True) -> list[TimerRow]: ...

    @abc.abstractmethod
    def next_wakeup(self) -> datetime | None:
        """The earliest pending timer or scheduled action."""

    # -- suppression --------------------------------------------------------------------
    @abc.abstractmethod
    def suppression_for(self, workspace_id: str, *addresses: str) -> str | None:
        """The stored suppression key that holds for any of ``addresses`` (e-mail addresses or
        phone numbers, in any spelling), or None.

        Suppressions are stored under ``identity.suppression_key`` (normalised address, E.164
        number, ``domain:<domain>``); a lookup checks every key ``identity.suppression_keys``
        gives for each address, so a new form of key is added there, for every backend at once.
        """

    def is_suppressed(self, workspace_id: str, address: str) -> bool:
        """Whether ``address`` (or its number, or its domain) must never be contacted again."""
        return self.suppression_for(workspace_id, address) is not None

    # -- a person's data (GDPR export and erasure; the rules are in ``state.privacy``) -------
    @abc.abstractmethod
    def person_records(self, workspace_id: str, keys: Collection[str]) -> dict[str, list[dict[str, Any]]]:
        """Every row about the person with these identity keys (``privacy.person_keys``), as
        JSON, by table (``privacy.TABLES``): their leads (and the leads sharing any key with
        those) and those leads' events, traces, actions, timers, dead letters, bookings and
        identity rows; the rejects mentioning their address or number; their suppressions."""

    @abc.abstractmethod
    def erase_person(
        self, workspace_id: str, keys: Collection[str], *, salt: str, at: datetime | None = None
    ) -> ErasureReport:
        """Remove the person's data in one transaction, keeping the rows, redacted
        (``state.privacy``), so the log, the counts and a replay stay consistent: their leads
        end do-not-contact (a ``lead.updated`` in the log), pending work on them is dropped,
        matching rejects and identity rows are deleted, and their suppressions become
        ``hash:`` rows salted with ``salt`` (``privacy.workspace_salt``) that keep them
        suppressed. Erasing again finds nobody and changes nothing."""

    # -- dedupe of inbound things (reply message ids, webhook keys) ----------------------
    @abc.abstractmethod
    def claim_key(self, scope: str, key: str) -> bool:
        """Record ``key`` once; False when it was already recorded (durable)."""

    def forget_keys(self, scope_from: str, scope_to: str) -> int:
        """Forget every key claimed under a scope in ``[scope_from, scope_to)``: claims that can no
        longer matter (a webhook signature older than any window, see ``integrations.webhooks.guard``).
        Returns how many; the default keeps them all (0)."""
        return 0

    def release_key(self, scope: str, key: str) -> None:  # noqa: B027 - the default keeps the claim
        """Forget one claimed key (a signed webhook the server failed to record, so the sender's
        identical retry is not refused as a replay). The default keeps it."""

    # -- traces and rejects ----------------------------------------------------------------
    @abc.abstractmethod
    def traces_for(self, workspace_id: str, lead_id: str) -> list[TraceRecord]: ...

    @abc.abstractmethod
    def add_reject(
        self, workspace_id: str, source: str, raw: str, error: str, at: datetime, *, limits: RejectLimits | None = None
    ) -> int:
        """Keep bad input within ``limits`` (the defaults when None; see ``state.rejects``): at most its
        first bytes with its size and hash, the workspace's newest ``keep`` only, and past a source's
        burst only a count. Returns the id of the row that holds it."""

    @abc.abstractmethod
    def list_rejects(self, workspace_id: str) -> list[Reject]: ...

    # -- small key/value metadata (e.g. the simulated clock) --------------------------------
    @abc.abstractmethod
    def get_meta(self, key: str) -> str | None: ...

    @abc.abstractmethod
    def set_meta(self, key: str, value: str, *, lazy: bool = False) -> None:
        """Store ``value``; ``lazy`` lets it ride along with the next write (a crash may lose it,
        so only for values that are recomputed from durable state, like the simulated clock)."""
        ...

    def add_meta(self, key: str, value: str) -> str:
        """Store ``value`` unless ``key`` holds one already, and return what is stored: of
        writers racing, the first one's (a workspace's erasure salt is made once). This default
        is not atomic; backends with other writers override it."""
        current = self.get_meta(key)
        if current is None:
            self.set_meta(key, value)
            current = value
        return current

    def flush(self) -> None:
        """Write anything held for the next transaction now (called by ``close``)."""
        return None
