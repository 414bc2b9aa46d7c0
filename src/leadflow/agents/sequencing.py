"""Sequencing: when and from which mailbox each outbound message goes.

:func:`plan_send` is called for every outbound message. It picks the first moment that is

* inside the send window in the *recipient's* time zone (09:00–17:00 local by default), on a
  weekday that is not one of ``campaign.holidays``; cold outreach waits for a preferred day
  (Tue–Thu), a reply or an inbound lead's first touch may go on any weekday;
* after the lead's out-of-office return (``state.paused_until``);
* within every cap: a mailbox's daily cap with ramp-up (a new mailbox sends 20 on its first day,
  5 more each day after, up to its ``mailbox_daily_cap``) and an hourly cap per recipient domain;

and rotates across ``campaign.senders`` (the least-used mailbox that still has room). Caps need
counts across leads, so they live behind a small port, :class:`SendLedger`, passed in as
``ctx.extras["send_ledger"]``; :class:`MemorySendLedger` is the in-memory version and
:class:`leadflow.agents.send_ledger.StoreSendLedger` the durable one the runtime wires. Without a
ledger only the windows apply and the mailbox is chosen by a stable hash of the lead.

Agents do not call :func:`plan_send` themselves: ``leadflow.agents._compose.outbound`` plans every
message to a lead. Plans are made ahead, so the dispatcher checks again when a send is due
(:func:`dispatch_plan`, from ``leadflow.orchestrator.send_gate``) and re-schedules a send that a
window, an out-of-office or a cap holds back.

Local times are built from calendar dates and wall-clock times (``datetime.combine`` with a
``ZoneInfo``), never by adding hours to an aware datetime, so DST switches and half-hour zones
(Asia/Kolkata, Australia/Lord_Howe, America/St_Johns) land on the right instant.

A thread keeps its mailbox (``thread_mailbox``, from :mod:`leadflow.agents._thread`): a follow-up in
a conversation goes from the mailbox that started it, even when another has more room. If that
mailbox is over its cap, the follow-up waits for its next slot, but never more than
``SendPolicy.thread_wait_hours`` (48 by default, ``settings["sending"]["thread_wait_hours"]``) past
the moment another mailbox of the campaign could send it; beyond that, or at once when the
mailbox was removed from the campaign or paused (``settings["sending"]["paused_mailboxes"]``),
the follow-up is handed over to the campaign's other mailboxes, and the plan's reasons say so
(the trace shows them). A campaign with that one mailbox only keeps waiting for it.

Stop rules: a reply stops the sequence (:func:`stop_on_reply` names the follow-up timers to
cancel; the dispatcher already suppresses contact after an opt-out).
"""

from __future__ import annotations

import threading
import zlib
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, Protocol, runtime_checkable
from zoneinfo import ZoneInfo

from leadflow.domain.models import Campaign, LeadState, SenderIdentity, zone
from leadflow.domain.timezones import common_hours
from leadflow.exceptions import InvalidInput

FOLLOW_UP_TIMERS = "sequence:*"
"""Timer names of pending follow-ups; cancelled when the lead replies."""


@runtime_checkable
class SendLedger(Protocol):
    """Counts of planned sends, shared by every lead of a workspace."""

    def sent_on(self, mailbox: str, day: date) -> int:
        """Sends planned from ``mailbox`` on UTC ``day``."""
        ...

    def sent_to_domain(self, domain: str, hour: datetime) -> int:
        """Sends planned to ``domain`` in the UTC hour starting at ``hour``."""
        ...

    def first_day(self, mailbox: str) -> date | None:
        """The UTC day of the mailbox's first planned send, ``None`` for a new mailbox."""
        ...

    def record(self, mailbox: str, domain: str, at: datetime) -> None:
        """Count one send planned from ``mailbox`` to ``domain`` at ``at`` (either may be empty)."""
        ...


def _hour(at: datetime) -> datetime:
    return at.astimezone(UTC).replace(minute=0, second=0, microsecond=0)


class MemorySendLedger:
    """The in-memory :class:`SendLedger` (one process; thread-safe)."""

    def __init__(self, *, first_days: Mapping[str, date] | None = None) -> None:
        self._lock = threading.Lock()
        self._mailbox: dict[tuple[str, date], int] = defaultdict(int)
        self._domain: dict[tuple[str, datetime], int] = defaultdict(int)
        self._first: dict[str, date] = dict(first_days or {})

    def sent_on(self, mailbox: str, day: date) -> int:
        with self._lock:
            return self._mailbox.get((mailbox.lower(), day), 0)

    def sent_to_domain(self, domain: str, hour: datetime) -> int:
        with self._lock:
            return self._domain.get((domain.lower(), _hour(hour)), 0)

    def first_day(self, mailbox: str) -> date | None:
        with self._lock:
            return self._first.get(mailbox.lower())

    def record(self, mailbox: str, domain: str, at: datetime) -> None:
        utc = at.astimezone(UTC)
        with self._lock:
            if domain:
                self._domain[(domain.lower(), _hour(utc))] += 1
            if not mailbox:
                return
            self._mailbox[(mailbox.lower(), utc.date())] += 1
            first = self._first.get(mailbox.lower())
            if first is None or utc.date() < first:
                self._first[mailbox.lower()] = utc.date()


@dataclass(frozen=True)
class SendPolicy:
    """Send windows and caps; ``from_campaign`` reads overrides from ``settings["sending"]``."""

    start: time = time(9, 0)
    end: time = time(17, 0)
    allowed_days: frozenset[int] = frozenset({0, 1, 2, 3, 4})  # Monday = 0
    preferred_days: frozenset[int] = frozenset({1, 2, 3})
    ramp_start: int = 20
    ramp_step: int = 5
    domain_hourly_cap: int = 10
    horizon_days: int = 60
    thread_wait_hours: int = 48
    paused_mailboxes: frozenset[str] = frozenset()

    @classmethod
    def from_campaign(cls, campaign: Campaign) -> SendPolicy:
        raw: Mapping[str, Any] = campaign.settings.get("sending") or {}
        values: dict[str, Any] = {}
        key = ""
        try:
            for key in ("start", "end"):
                if key in raw:
                    values[key] = time.fromisoformat(str(raw[key]))
            for key in ("allowed_days", "preferred_days"):
                if key in raw:
                    values[key] = frozenset(int(d) for d in raw[key])
            for key in ("ramp_start", "ramp_step", "domain_hourly_cap", "horizon_days", "thread_wait_hours"):
                if key in raw:
                    values[key] = int(raw[key])
            key = "paused_mailboxes"
            if key in raw:
                boxes = raw[key]
                if isinstance(boxes, str) or not isinstance(boxes, Iterable):
                    raise TypeError("a list of mailbox addresses")
                values[key] = frozenset(str(b).strip().lower() for b in boxes)
        except (TypeError, ValueError) as exc:
            raise InvalidInput(f"campaign {campaign.name!r}: settings.sending.{key}: {exc}") from exc
        return cls(**values)


@dataclass(frozen=True)
class SendPlan:
    """When and from where one message goes.

    Attributes:
        at: The instant to send (UTC).
        local: The same instant in the recipient's zone (for traces and tests).
        mailbox: The sender identity's address, or ``None`` when the campaign has no senders.
        reasons: Why the send was moved from ``now`` (empty when it goes at once).
    """

    at: datetime
    local: datetime
    mailbox: str | None
    reasons: tuple[str, ...] = ()

    @property
    def deferred(self) -> bool:
        return bool(self.reasons)


def mailbox_cap(sender: SenderIdentity, day: date, ledger: SendLedger, policy: SendPolicy) -> int:
    """Today's cap for a mailbox: the ramp (20, 25, 30, …) up to its configured daily cap."""
    first = ledger.first_day(str(sender.email))
    days_in = 0 if first is None else max(0, (day - first).days)
    return min(sender.mailbox_daily_cap, policy.ramp_start + policy.ramp_step * days_in)


def _has_room(sender: SenderIdentity, used: int, day: date, ledger: SendLedger, policy: SendPolicy) -> bool:
    """``used < mailbox_cap(...)``, without asking the ledger for the first day when the answer
    does not depend on it: no cap is above the configured one, and while the ramp only goes up,
    none is below the ramp's start."""
    if used >= sender.mailbox_daily_cap:
        return False
    if used < policy.ramp_start and policy.ramp_step >= 0:
        return True
    return used < mailbox_cap(sender, day, ledger, policy)


def _holidays(campaign: Campaign) -> frozenset[date]:
    days: set[date] = set()
    for value in campaign.holidays:
        try:
            days.add(date.fromisoformat(str(value)))
        except ValueError:
            continue
    return frozenset(days)


def _window_starts(
    local: datetime, tz: ZoneInfo, days: frozenset[int], holidays: frozenset[date], policy: SendPolicy
) -> Iterable[tuple[datetime, datetime]]:
    """Yield (earliest, window end) per usable local day from ``local`` on, as aware datetimes."""
    day = local.date()
    for _ in range(policy.horizon_days + 1):
        if day.weekday() in days and day not in holidays:
            opens = datetime.combine(day, policy.start, tzinfo=tz)
            closes = datetime.combine(day, policy.end, tzinfo=tz)
            earliest = max(opens, local) if day == local.date() else opens
            if earliest < closes:
                yield earliest, closes
        day += timedelta(days=1)


def plan_send(
    *,
    now: datetime,
    campaign: Campaign,
    recipient_tz: str | None,
    recipient_zones: Sequence[str] = (),
    recipient_domain: str | None = None,
    lead_key: str = "",
    urgent: bool = False,
    paused_until: datetime | None = None,
    ledger: SendLedger | None = None,
    policy: SendPolicy | None = None,
    thread_mailbox: str | None = None,
) -> SendPlan:
    """Choose the send time and mailbox for one message, and count it in ``ledger``.

    Args:
        now: The current instant (from the clock port).
        campaign: Senders (for rotation and caps) and holidays (ISO dates, recipient-local).
        recipient_tz: The recipient's IANA zone.
        recipient_zones: When the zone is unknown, the zones the recipient may be in
            (``domain.timezones.plausible_zones``: the country's or the phone's): only the hours
            that are in the window in all of them are used. With none, the rep's zone
            (``settings["rep_timezone"]``), else UTC.
        recipient_domain: For the per-domain hourly cap (e.g. ``"acme.com"``).
        lead_key: A stable key (the lead id) for choosing a mailbox when there is no ledger.
        urgent: A reply or an inbound lead's first touch: any weekday, not only preferred days.
        paused_until: The out-of-office return; nothing goes before it.
        ledger: Where caps are counted; ``None`` applies windows only.
        policy: Windows and caps; from ``campaign.settings["sending"]`` when not given.
        thread_mailbox: The mailbox that started the conversation this message belongs to: it
            is kept, within the rule of the module docstring (wait, then hand over).

    Returns:
        The plan. If no slot within ``policy.horizon_days`` has room, the last window opening is
        returned with the reason ``"over capacity"`` (the dispatcher still enforces policy).
    """
    policy = policy or SendPolicy.from_campaign(campaign)
    if not recipient_tz:  # unknown: conservatively, hours that are business hours wherever it may be
        rep = campaign.settings.get("rep_timezone")
        zones = list(recipient_zones) or ([str(rep)] if rep else [])
        recipient_tz, opens, closes = common_hours(zones, policy.start, policy.end, at=now)
        policy = replace(policy, start=opens, end=closes)
    args: dict[str, Any] = {
        "now": now, "campaign": campaign, "recipient_tz": recipient_tz, "recipient_domain": recipient_domain,
        "lead_key": lead_key, "urgent": urgent, "paused_until": paused_until, "ledger": ledger, "policy": policy,
    }
    senders = [s for s in campaign.senders if str(s.email).lower() not in policy.paused_mailboxes]
    if thread_mailbox and campaign.senders:
        return _keep_thread(thread_mailbox, senders, args)
    return _plan(senders=senders, **args)


def _keep_thread(mailbox: str, senders: list[SenderIdentity], args: dict[str, Any]) -> SendPlan:
    """The plan of a follow-up in a thread: its own mailbox, or the documented hand-over."""
    policy: SendPolicy = args["policy"]
    own = next((s for s in senders if str(s.email).lower() == mailbox.lower()), None)
    others = [s for s in senders if s is not own]
    if own is None:
        gone = "paused" if mailbox.lower() in policy.paused_mailboxes else "no longer a sender of the campaign"
        plan = _plan(senders=others, **args)
        if not others:  # nothing to hand over to: as without senders
            return _with_reason(plan, f"thread mailbox {mailbox} {gone}: no other mailbox")
        return _with_reason(plan, f"thread mailbox {mailbox} {gone}: handed over to {plan.mailbox}")
    if not others:
        return _plan(senders=[own], **args)
    mine = _plan(senders=[own], record=False, **args)
    if "mailbox daily caps" not in mine.reasons:  # not held back by its cap: no other mailbox is sooner
        return _record(mine, args)
    if "over capacity" not in mine.reasons:
        anyone = _plan(senders=senders, record=False, **args)
        if mine.at <= anyone.at + timedelta(hours=policy.thread_wait_hours):
            return _with_reason(_record(mine, args), f"waiting for thread mailbox {mailbox} (over its daily cap)")
    plan = _plan(senders=others, **args)
    return _with_reason(
        plan,
        f"thread mailbox {mailbox} over its daily cap for more than {policy.thread_wait_hours}h:"
        f" handed over to {plan.mailbox}",
    )


def _record(plan: SendPlan, args: dict[str, Any]) -> SendPlan:
    """Count a plan made with ``record=False`` in the ledger, as :func:`_plan` would have."""
    ledger: SendLedger | None = args["ledger"]
    domain = (args["recipient_domain"] or "").lower()
    if ledger is not None and (plan.mailbox is not None or domain):
        ledger.record(plan.mailbox or "", domain, plan.at)
    return plan


def _with_reason(plan: SendPlan, reason: str) -> SendPlan:
    return SendPlan(at=plan.at, local=plan.local, mailbox=plan.mailbox, reasons=(*plan.reasons, reason))


def _plan(
    *,
    now: datetime,
    campaign: Campaign,
    senders: list[SenderIdentity],
    recipient_tz: str | None,
    recipient_domain: str | None,
    lead_key: str,
    urgent: bool,
    paused_until: datetime | None,
    ledger: SendLedger | None,
    policy: SendPolicy,
    record: bool = True,
) -> SendPlan:
    """:func:`plan_send` over ``senders``; ``record=False`` only looks (nothing is counted)."""
    tz = zone(recipient_tz)
    reasons: list[str] = []
    start = now
    if paused_until is not None and paused_until > now:
        start = paused_until
        reasons.append("out of office until return")
    local = start.astimezone(tz)
    days = (
        policy.allowed_days if urgent else policy.preferred_days & policy.allowed_days or policy.allowed_days
    )
    holidays = _holidays(campaign)
    domain = (recipient_domain or "").lower()
    last: datetime | None = None
    for earliest, closes in _window_starts(local, tz, days, holidays, policy):
        if last is None and earliest > local:
            reasons.insert(0, "send window")
        last = earliest
        slot = earliest
        while slot < closes:
            utc = slot.astimezone(UTC)
            if (
                ledger is not None
                and domain
                and ledger.sent_to_domain(domain, utc) >= policy.domain_hourly_cap
            ):
                slot = (_hour(utc) + timedelta(hours=1)).astimezone(tz)
                if "domain hourly cap" not in reasons:
                    reasons.append("domain hourly cap")
                continue
            room, mailbox = _pick_mailbox(senders, utc, lead_key, ledger, policy)
            if not room:
                if "mailbox daily caps" not in reasons:
                    reasons.append("mailbox daily caps")
                break  # every mailbox is full today: try the next day
            if record and ledger is not None and (mailbox is not None or domain):
                ledger.record(mailbox or "", domain, utc)
            return SendPlan(at=utc, local=slot, mailbox=mailbox, reasons=tuple(dict.fromkeys(reasons)))
    fallback = last or datetime.combine(local.date() + timedelta(days=1), policy.start, tzinfo=tz)
    mailbox = str(senders[0].email) if senders else None
    return SendPlan(
        at=fallback.astimezone(UTC),
        local=fallback,
        mailbox=mailbox,
        reasons=(*dict.fromkeys(reasons), "over capacity"),
    )


def _pick_mailbox(
    senders: list[SenderIdentity], utc: datetime, lead_key: str, ledger: SendLedger | None, policy: SendPolicy
) -> tuple[bool, str | None]:
    """(room left today, mailbox to send from); the mailbox is ``None`` without senders."""
    if not senders:
        return True, None
    if ledger is None:
        return True, str(senders[zlib.crc32(lead_key.encode()) % len(senders)].email)
    day = utc.date()
    room = []
    for i, s in enumerate(senders):
        email = str(s.email)
        used = ledger.sent_on(email, day)  # one read per mailbox: a store-backed ledger queries
        if _has_room(s, used, day, ledger, policy):
            room.append((used, i, email))
    if not room:
        return False, None
    return True, min(room)[2]


def dispatch_plan(
    *,
    now: datetime,
    campaign: Campaign,
    mailbox: str | None,
    recipient_tz: str | None,
    recipient_domain: str | None,
    paused_until: datetime | None,
    ledger: SendLedger | None,
    recipient_zones: Sequence[str] = (),
) -> SendPlan:
    """The dispatcher's check of a due send: may it go now, and if not, when next?

    The same rules as :func:`plan_send`, applied to the mailbox the message was composed for
    (its footer names it, so it is not switched here) on any allowed day (the preferred days are
    a planning choice, not a rule). ``plan.at > now`` means "not now, re-schedule to ``plan.at``";
    otherwise the send is counted in ``ledger`` and may go.
    """
    sender = sender_for(campaign, mailbox)
    fixed = campaign.model_copy(update={"senders": [sender] if sender is not None else []})
    return plan_send(
        now=now,
        campaign=fixed,
        recipient_tz=recipient_tz,
        recipient_zones=recipient_zones,
        recipient_domain=recipient_domain,
        urgent=True,
        paused_until=paused_until,
        ledger=ledger,
    )


def sender_for(campaign: Campaign, mailbox: str | None) -> SenderIdentity | None:
    """The campaign's sender identity with address ``mailbox``."""
    for s in campaign.senders:
        if mailbox is not None and str(s.email).lower() == mailbox.lower():
            return s
    return None


def stop_on_reply(state: LeadState) -> list[str]:
    """Timer patterns to cancel once the lead has replied (none before the first reply)."""
    return [FOLLOW_UP_TIMERS] if state.replies > 0 else []
