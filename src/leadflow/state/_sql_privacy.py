"""A person's rows in SQL: ``SqlStore.person_records`` and ``SqlStore.erase_person``.

Which rows are the person's, and how each is redacted, is :mod:`leadflow.state.privacy`; this
module reads and rewrites those rows on SQLAlchemy Core, the erasure in one write transaction.
A GDPR request is rare and small, so rows are read and rewritten one by one, not in bulk.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, Text, cast, delete, insert, select, update

from leadflow.domain import identity
from leadflow.domain.events import Event
from leadflow.domain.models import LeadState
from leadflow.state import _stmts as stmts
from leadflow.state import privacy
from leadflow.state import schema as t
from leadflow.state._sql_commit import event_row, lead_row, touch

if TYPE_CHECKING:
    from leadflow.state.sql import SqlStore


def salt(conn: Connection, workspace_id: str) -> str | None:
    """The workspace's erasure salt, if a person was ever erased there (a prebuilt statement:
    the dispatcher asks on every suppression check)."""
    value = conn.execute(stmts.META_VALUE, {"key": privacy.salt_meta_key(workspace_id)}).scalar()
    return None if value is None else str(value)


def _lead_keys(doc: dict[str, Any]) -> set[str]:
    lead = doc.get("lead") or {}
    attributes = lead.get("attributes") or {}
    country = attributes.get("country") if isinstance(attributes, dict) else None
    return set(
        identity.keys_of(
            email=lead.get("email"),
            phone=lead.get("phone"),
            source=lead.get("source"),
            source_lead_id=lead.get("source_lead_id"),
            region=country if isinstance(country, str) else None,
        )
    )


def _find(conn: Connection, workspace_id: str, keys: Collection[str]) -> tuple[set[str], list[LeadState]]:
    """The person's keys, grown by those of the leads they match, and those leads."""
    known: dict[str, tuple[set[str], str]] = {}  # lead id -> (its keys, its document)
    rows = conn.execute(
        select(t.leads.c.lead_id, cast(t.leads.c.doc, Text)).where(t.leads.c.workspace_id == workspace_id)
    )
    for lead_id, text in rows:
        try:
            doc = json.loads(text)
            known[lead_id] = (_lead_keys(doc), text)
        except (ValueError, RecursionError, AttributeError, TypeError):
            continue  # an unreadable document names nobody we can tell
    linked: dict[str, set[str]] = {}  # lead id -> keys the identity table holds for it
    for key, lead_id in conn.execute(
        select(t.identities.c.key, t.identities.c.lead_id).where(t.identities.c.workspace_id == workspace_id)
    ):
        linked.setdefault(lead_id, set()).add(key)
    wanted = set(keys)
    while True:
        ids = {
            lead_id
            for lead_id in set(known) | set(linked)
            if not (known.get(lead_id, (set(), ""))[0] | linked.get(lead_id, set())).isdisjoint(wanted)
        }
        grown = wanted.union(*(known.get(i, (set(), ""))[0] | linked.get(i, set()) for i in ids))
        if grown == wanted:
            break
        wanted = grown
    leads = [LeadState.model_validate_json(known[i][1]) for i in sorted(ids) if i in known]
    return wanted, leads


def person_records(
    store: SqlStore, workspace_id: str, keys: Collection[str]
) -> dict[str, list[dict[str, Any]]]:
    with store._read() as conn:
        keys, leads = _find(conn, workspace_id, keys)
        ids = {s.lead_id for s in leads}
        red = privacy.Redactor(keys, [s.lead for s in leads])
        mine = sorted(privacy.personal_addresses(keys, [s.lead for s in leads]))
        suppressions = [
            privacy.suppression_json(a, why)
            for a, why in conn.execute(
                select(t.suppressions.c.address, t.suppressions.c.reason).where(
                    t.suppressions.c.workspace_id == workspace_id, t.suppressions.c.address.in_(mine)
                )
            )
        ]
        identities = [
            {"key": k, "lead_id": lead}
            for k, lead in conn.execute(
                select(t.identities.c.key, t.identities.c.lead_id).where(
                    t.identities.c.workspace_id == workspace_id, t.identities.c.lead_id.in_(sorted(ids))
                )
            )
        ]
    out: dict[str, list[dict[str, Any]]] = {
        "leads": [s.model_dump(mode="json") for s in leads],
        "events": [],
        "traces": [],
        "actions": [],
        "timers": [],
    }
    for lead_id in sorted(ids):
        out["events"] += [e.model_dump(mode="json") for e in store.lead_events(workspace_id, lead_id)]
        out["traces"] += [tr.model_dump(mode="json") for tr in store.traces_for(workspace_id, lead_id)]
        out["actions"] += [privacy.action_json(r) for r in store.actions_for(workspace_id, lead_id)]
        out["timers"] += [
            privacy.timer_json(tm) for tm in store.timers_for(workspace_id, lead_id, active_only=False)
        ]
    out["dead_letters"] = [privacy.dead_json(d) for d in store.list_dead(workspace_id) if d.lead_id in ids]
    out["rejects"] = [privacy.reject_json(r) for r in store.list_rejects(workspace_id) if red.mentions(r.raw)]
    out["suppressions"] = suppressions
    out["bookings"] = [
        privacy.booking_json(cal, start, lead)
        for (ws, cal, start), lead in store.bookings().items()
        if ws == workspace_id and lead in ids
    ]
    out["identities"] = identities
    return out


def erase_person(
    store: SqlStore, workspace_id: str, keys: Collection[str], *, salt: str, at: datetime | None = None
) -> privacy.ErasureReport:
    when = at or datetime.now(UTC)
    report = privacy.ErasureReport(workspace_id)
    counts = report.counts
    with store._write() as conn:
        if store.is_sqlite:  # what the erasure frees is zeroed in the file, not left readable
            conn.exec_driver_sql("PRAGMA secure_delete=ON")
        keys, leads = _find(conn, workspace_id, keys)
        ids = sorted(s.lead_id for s in leads)
        people = [s.lead for s in leads]
        red = privacy.Redactor(keys, people)
        steps: list[Event] = []
        for s in leads:
            redacted = LeadState.model_validate(red.state(s.model_dump(mode="json")))
            final, updated = privacy.erased_state(redacted, at=when)
            row = lead_row(final)
            conn.execute(
                update(t.leads)
                .where(t.leads.c.lead_id == s.lead_id, t.leads.c.workspace_id == workspace_id)
                .values(dedupe_key=None, **{k: v for k, v in row.items() if k != "lead_id"})
            )
            steps.append(updated)
            report.lead_ids.append(s.lead_id)
        counts["leads"] = len(leads)
        if ids:
            counts["events"] = _rewrite(conn, t.events, t.events.c.seq, ids, workspace_id, red.event)
            # the erasure itself, in the log: a replay of the redacted log ends do-not-contact too
            conn.execute(insert(t.events), [event_row(e, queued=False) for e in steps])
            conn.execute(  # nothing acts on an erased lead any more
                update(t.events)
                .where(t.events.c.lead_id.in_(ids), t.events.c.workspace_id == workspace_id, t.PENDING)
                .values(handled=True)
            )
            counts["traces"] = _rewrite(conn, t.traces, t.traces.c.seq, ids, workspace_id, red.trace)
            counts["actions"] = _actions(conn, ids, workspace_id, red)
            counts["timers"] = _timers(conn, ids, workspace_id, red)
            dead = t.dead_letters.c
            for did, error in conn.execute(
                select(dead.id, dead.error).where(dead.lead_id.in_(ids), dead.workspace_id == workspace_id)
            ).all():
                conn.execute(update(t.dead_letters).where(dead.id == did).values(error=red.text(error)))
                counts["dead_letters"] += 1
            counts["identities"] = conn.execute(
                delete(t.identities).where(
                    t.identities.c.workspace_id == workspace_id, t.identities.c.lead_id.in_(ids)
                )
            ).rowcount
        rejected = [
            rid
            for rid, raw in conn.execute(
                select(t.rejects.c.id, t.rejects.c.raw).where(t.rejects.c.workspace_id == workspace_id)
            )
            if red.mentions(raw)
        ]
        for i in range(0, len(rejected), 500):
            conn.execute(delete(t.rejects).where(t.rejects.c.id.in_(rejected[i : i + 500])))
        counts["rejects"] = len(rejected)
        counts["identities"] += conn.execute(
            delete(t.identities).where(
                t.identities.c.workspace_id == workspace_id, t.identities.c.key.in_(sorted(keys))
            )
        ).rowcount
        sup = t.suppressions.c
        mine = sorted(privacy.personal_addresses(keys, people))
        counts["suppressions"] = conn.execute(
            delete(t.suppressions).where(sup.workspace_id == workspace_id, sup.address.in_(mine))
        ).rowcount
        hashed = sorted(privacy.erasure_suppressions(salt, keys, people))
        have = set(
            conn.execute(
                select(sup.address).where(sup.workspace_id == workspace_id, sup.address.in_(hashed))
            ).scalars()
        )
        fresh = [
            {"workspace_id": workspace_id, "address": h, "reason": "erased"} for h in hashed if h not in have
        ]
        if fresh:
            conn.execute(insert(t.suppressions), fresh)
        if store.is_sqlite:
            conn.exec_driver_sql("PRAGMA secure_delete=OFF")
    store._docs.clear()  # the next commit of an erased lead patches against its redacted document
    if store.is_sqlite:
        _checkpoint(store)
    return report


def _checkpoint(store: SqlStore) -> None:
    """Copy the WAL into the database file and empty it, so the pages that held the person's
    data before the erasure leave it too (as far as no reader still needs them)."""
    raw = store.engine.raw_connection()
    try:
        raw.cursor().execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        raw.close()


def _rewrite(conn: Connection, table: Any, key: Any, ids: Sequence[str], workspace_id: str, how: Any) -> int:
    """Rewrite the JSON document of every row of these leads with ``how``; the count."""
    rows = conn.execute(
        select(key, cast(table.c.doc, Text)).where(
            table.c.lead_id.in_(ids), table.c.workspace_id == workspace_id
        )
    ).all()
    for rid, text in rows:
        conn.execute(update(table).where(key == rid).values(doc=_redacted(how, text)))
    return len(rows)


def _redacted(how: Any, text: str) -> dict[str, Any]:
    """``how`` on the stored JSON; a document that cannot be read (a poison one) is replaced
    whole: what it held cannot be told apart, so none of it is kept."""
    try:
        doc = json.loads(text)
        if isinstance(doc, dict):
            return dict(how(doc))
    except (ValueError, RecursionError, TypeError, AttributeError):
        pass
    return {"erased": privacy.REDACTED}


def _actions(conn: Connection, ids: Sequence[str], workspace_id: str, red: privacy.Redactor) -> int:
    a = t.actions.c
    rows = conn.execute(
        select(a.seq, cast(a.doc, Text), a.status, a.detail, a.mailbox, a.domain, t.SEND_TIME).where(
            a.lead_id.in_(ids), a.workspace_id == workspace_id
        )
    ).all()
    for seq, text, status, detail, mailbox, domain, send_time in rows:
        values: dict[str, Any] = {"doc": _redacted(red.action, text), "detail": detail and red.text(detail)}
        if status == "pending":  # a message to an erased person never goes out: it frees its cap slot
            values.update(status="cancelled", detail="erased")
            touch(conn, workspace_id, mailbox, domain, send_time, scheduled=-1)
        elif status == "held":  # a draft to an erased person is no one's to approve (it used no cap slot)
            values.update(status="cancelled", detail="erased")
        conn.execute(update(t.actions).where(a.seq == seq).values(**values))
    return len(rows)


def _timers(conn: Connection, ids: Sequence[str], workspace_id: str, red: privacy.Redactor) -> int:
    tm = t.timers.c
    rows = conn.execute(
        select(tm.seq, cast(tm.doc, Text), tm.status).where(
            tm.lead_id.in_(ids), tm.workspace_id == workspace_id
        )
    ).all()
    for seq, text, status in rows:
        doc = _redacted(red.timer, text)
        values: dict[str, Any] = {"doc": doc, "name": str(doc.get("name", ""))[:200]}
        if status == "active":
            values["status"] = "cancelled"
        conn.execute(update(t.timers).where(tm.seq == seq).values(**values))
    return len(rows)
