"""The SQL store's hot statements, built once with bound parameters.

Building a SQLAlchemy statement costs far more than running a prepared one (coercing every
clause, then computing its cache key); these are the statements the engine runs on every step,
so :class:`~leadflow.state.sql.SqlStore` executes these prebuilt objects with a parameter dict
instead of composing them each time. Each name says what the statement does; the parameters
are the ``bindparam`` names (``b_`` for those an UPDATE's WHERE uses, as SQLAlchemy asks).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Integer, Text, bindparam, cast, func, insert, or_, select, union_all, update

from leadflow.domain.actions import CONTACT_ACTIONS
from leadflow.state import schema as t
from leadflow.state.sends import COUNTED_STATUSES

_e, _a, _ti, _l = t.events.c, t.actions.c, t.timers.c, t.leads.c
_COUNTED = or_(*(_a.status == s for s in COUNTED_STATUSES))  # not IN (...): no expanding parameter

LEAD_DOC = select(_l.doc).where(_l.lead_id == bindparam("lead_id"), _l.workspace_id == bindparam("ws"))
"""A lead's stored document. Params: ``lead_id``, ``ws``."""
LEAD_EXISTS = select(_l.version).where(_l.lead_id == bindparam("lead_id"), _l.workspace_id == bindparam("ws"))
"""A row when the lead exists in the workspace. Params as ``LEAD_DOC``."""
LEAD_JSON = select(cast(_l.doc, Text)).where(_l.lead_id == bindparam("lead_id"), _l.workspace_id == bindparam("ws"))
"""The same as JSON text, for pydantic to parse and validate in one pass. Params as ``LEAD_DOC``."""
CAMPAIGN_JSON = select(cast(t.campaigns.c.doc, Text)).where(
    t.campaigns.c.workspace_id == bindparam("ws"), t.campaigns.c.name == bindparam("name")
)
"""A campaign's stored document as JSON text. Params: ``ws``, ``name``."""


def _update_lead(*, stage: bool) -> Any:
    values: dict[str, Any] = {
        "campaign": bindparam("campaign"),
        "score": bindparam("score"),
        "version": bindparam("version"),
        "updated_at": bindparam("updated_at", type_=t.leads.c.updated_at.type),
        "doc": bindparam("doc", type_=t.leads.c.doc.type),
    }
    if stage:
        values["stage"] = bindparam("stage")
    return (
        update(t.leads)
        .where(_l.lead_id == bindparam("b_lead_id"), _l.version == bindparam("b_version"))
        .values(**values)
    )


UPDATE_LEAD = _update_lead(stage=True)
"""Write a lead's new state if it is still at ``b_version``. Params: the lead row + ``b_*``."""
UPDATE_LEAD_SAME_STAGE = _update_lead(stage=False)
"""The same for a lead whose stage stays: the stage index is not touched (most steps)."""

MARK_HANDLED = (
    update(t.events)
    .where(_e.event_id == bindparam("b_event_id"), _e.handled.is_(False), _e.dead.is_(False))
    .values(handled=True)
)
FINISH_ACTION = (
    update(t.actions)
    .where(_a.seq == bindparam("b_seq"), _a.status == "pending")
    .values(status=bindparam("b_status"), detail=bindparam("b_detail"), attempts=_a.attempts + 1)
    .returning(_a.workspace_id, _a.mailbox, _a.domain, t.SEND_TIME)
)
FIRE_TIMER = (
    update(t.timers).where(_ti.seq == bindparam("b_seq"), _ti.status == "active").values(status="fired")
)

INSERT_EVENT = insert(t.events)
INSERT_ACTION = insert(t.actions)
DROP_PENDING_CONTACT = (
    update(t.actions)
    .where(
        _a.lead_id == bindparam("b_lead_id"),
        _a.workspace_id == bindparam("b_ws"),
        _a.status == "pending",
        _a.kind.in_([k.value for k in CONTACT_ACTIONS]),
    )
    .values(status="cancelled", detail=bindparam("b_detail"))
    .returning(_a.workspace_id, _a.mailbox, _a.domain, t.SEND_TIME)
)
DROP_HELD_CONTACT = (  # the lead's drafts held for review (leadflow.drafts): they use no cap slot
    update(t.actions)
    .where(
        _a.lead_id == bindparam("b_lead_id"),
        _a.workspace_id == bindparam("b_ws"),
        _a.status == "held",
        _a.kind.in_([k.value for k in CONTACT_ACTIONS]),
    )
    .values(status="cancelled", detail=bindparam("b_detail"))
)
INSERT_TIMER = insert(t.timers)
INSERT_TRACE = insert(t.traces)

KNOWN_KEY = select(_a.seq).where(_a.idempotency_key == bindparam("key"))
"""Whether an action with idempotency key ``key`` is recorded (a commit queues one or two)."""
ACTIVE_TIMERS = select(_ti.seq, _ti.name).where(_ti.lead_id == bindparam("lead_id"), _ti.status == "active")
SET_TIMER_STATUS = update(t.timers).where(_ti.seq == bindparam("b_seq")).values(status=bindparam("b_status"))
"""One timer's status; run with a list of parameter sets for several."""
MARK_PUBLISHED = (
    update(t.events).where(_e.seq.in_(bindparam("b_seqs", expanding=True))).values(published=True)
)
UNPUBLISHED_SEQS = select(_e.seq).where(t.UNPUBLISHED).order_by(_e.seq).limit(bindparam("limit"))
"""The seqs of the events not yet published, oldest first."""
MARK_ONE_PUBLISHED = update(t.events).where(_e.seq == bindparam("b_seq")).values(published=True)
"""One event published; SQLite runs it for a list of parameter sets (no expanding IN to compile)."""
MARK_PUBLISHED_SKIP_LOCKED = (
    update(t.events)
    .where(
        _e.seq.in_(
            select(_e.seq)
            .where(_e.seq.in_(bindparam("b_seqs", expanding=True)), _e.published.is_(False))
            .order_by(_e.seq)
            .with_for_update(skip_locked=True)
        )
    )
    .values(published=True)
)
"""PostgreSQL, several relays: rows another worker is marking (or handling) are skipped, not
waited for, so two relays never deadlock; a skipped mark only means the event is published again."""

SUPPRESSED = select(t.suppressions.c.address).where(
    t.suppressions.c.workspace_id == bindparam("ws"), t.suppressions.c.address == bindparam("address")
)

INBOX_PAGE = (
    select(_e.seq, _e.lead_id, cast(_e.doc, Text).label("doc"), _e.attempts, _e.available_at)
    .where(t.PENDING, _e.seq > bindparam("after"))
    .order_by(_e.seq)
    .limit(bindparam("page"))
)
"""Pending inbox events after seq ``after``, oldest first, ``page`` of them (documents as JSON text)."""

LEADS_WITH_MORE_PENDING = (
    select(_e.lead_id)
    .where(
        t.PENDING,
        _e.lead_id.in_(bindparam("lead_ids", expanding=True)),
        _e.seq.not_in(bindparam("seqs", expanding=True)),
    )
    .distinct()
)
"""Which of ``lead_ids`` have a pending event besides the ones in ``seqs``."""

LEAD_HAS_MORE_PENDING = (
    select(_e.seq)
    .where(t.PENDING, _e.lead_id == bindparam("lead_id"), _e.seq != bindparam("seq"))
    .limit(1)
)
"""The same for one lead and event (SQLite, where a statement costs microseconds, not a round trip)."""

UNPUBLISHED = (
    select(_e.seq, cast(_e.doc, Text)).where(t.UNPUBLISHED).order_by(_e.seq).limit(bindparam("limit"))
)


def _due_actions() -> Any:
    pending, after = _a.status == "pending", _a.seq > bindparam("after")
    due = union_all(
        select(t.actions).where(pending, after, _a.not_before.is_(None)),
        select(t.actions).where(pending, after, _a.not_before <= bindparam("now", type_=_a.not_before.type)),
    ).subquery("due")
    return select(due).order_by(due.c.seq).limit(bindparam("limit"))


DUE_ACTIONS = _due_actions()
"""Pending actions due by ``now`` (no ``not_before``, or one not after it), by ``seq`` from ``after``.
Two index ranges on ix_actions_due joined: with ``OR``, SQLite would read every pending action,
including the many planned for later days when caps bind."""

DUE_TIMERS = (
    select(t.timers)
    .where(_ti.status == "active", _ti.fire_at <= bindparam("now"))
    .order_by(_ti.fire_at, _ti.seq)
    .limit(bindparam("limit"))
)

NEXT_TIMER = select(func.min(_ti.fire_at)).where(_ti.status == "active")
NEXT_ACTION = select(func.min(_a.not_before)).where(_a.status == "pending")
NEXT_RETRY = select(func.min(_e.available_at)).where(t.PENDING)
NEXT_WAKEUP = select(
    NEXT_TIMER.scalar_subquery().label("timer"),
    NEXT_ACTION.scalar_subquery().label("action"),
    NEXT_RETRY.scalar_subquery().label("retry"),
)
"""The earliest active timer, scheduled send and deferred event, in one statement."""


def _bucket(dialect: str) -> Any:
    """The index of the ``step``-second range (from ``since``) a send's time falls in."""
    since = bindparam("since", type_=_a.not_before.type)
    step = bindparam("step", type_=Integer)
    if dialect == "sqlite":  # whole seconds (exact, unlike julianday's floats); bounds are whole seconds
        offset = cast(func.strftime("%s", t.SEND_TIME), Integer) - cast(func.strftime("%s", since), Integer)
        return offset / step  # integers: SQLite divides to the floor for offsets >= 0
    return cast(func.floor(func.extract("epoch", t.SEND_TIME - since) / step), Integer)


def send_series(dialect: str, column: str) -> Any:
    """Per status and ``step``-second bucket from ``since`` to ``until``: count and first send."""
    bucket = _bucket(dialect).label("bucket")
    return (
        select(_a.status, bucket, func.count(), func.min(t.SEND_TIME))
        .where(
            _a.workspace_id == bindparam("ws"),
            getattr(_a, column) == bindparam("key"),
            _COUNTED,
            t.SEND_TIME >= bindparam("since", type_=_a.not_before.type),
            t.SEND_TIME < bindparam("until", type_=_a.not_before.type),
        )
        .group_by(_a.status, bucket)
    )


def _send_counts(column: str) -> Any:
    key = getattr(_a, column)
    return (
        select(_a.status, func.count(), func.min(t.SEND_TIME))
        .where(
            _a.workspace_id == bindparam("ws"),
            key == bindparam("key"),
            _COUNTED,
            t.SEND_TIME >= bindparam("since", type_=_a.not_before.type),
            t.SEND_TIME < bindparam("until", type_=_a.not_before.type),
        )
        .group_by(_a.status)
    )


SENDS_BY_MAILBOX = _send_counts("mailbox")
"""Sends of mailbox ``key`` timed in [``since``, ``until``), per status: count and first."""
SENDS_BY_DOMAIN = _send_counts("domain")

FIRST_SEND = select(func.min(t.SEND_TIME)).where(
    _a.workspace_id == bindparam("ws"), _a.mailbox == bindparam("key"), _COUNTED
)
"""The earliest counted send of mailbox ``key`` (ix_actions_mailbox_at, read from its start)."""

RELEASE_BOOKINGS = t.bookings.delete().where(
    t.bookings.c.workspace_id == bindparam("ws"), t.bookings.c.lead_id == bindparam("lead_id")
)
INSERT_BOOKING = insert(t.bookings)

META_VALUE = select(t.meta.c.value).where(t.meta.c.key == bindparam("key"))
"""A metadata value (a workspace's erasure salt, read on every suppression lookup). Params: ``key``."""
SET_META = update(t.meta).where(t.meta.c.key == bindparam("b_key")).values(value=bindparam("value"))
"""A metadata value (the simulated clock, for one); ``INSERT_META`` when it is not there yet."""
INSERT_META = insert(t.meta)
