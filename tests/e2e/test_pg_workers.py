"""Several worker processes on one PostgreSQL database run one campaign, and it ends right.

Three processes (``_pg_worker.py``: the runtime ``leadflow work`` builds, on a clock they
share) work a fresh database while this test plays intake and the prospects: it creates 100
leads in a burst and answers every message the workers deliver, at once, through intake, as
the simulator's prospects would. When nothing is left to do it stops the workers and checks:

* every lead was processed: first touch out, every reply handled, no inbox event, due action
  or dead letter left;
* no idempotency key was delivered twice, nor even attempted twice (the per-lead claims keep
  a second worker off a lead another one is serving), and every sent action has one delivery;
* each lead's log is in order without gaps: ``lead.updated`` versions run 2, 3, ... up to the
  live version, and every event comes after the event that caused it;
* replaying the log gives the live state, and ``leadflow replay --check`` agrees.
"""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select
from tests.e2e._pg_worker import SharedClock
from tests.services import fresh_pg_database
from typer.testing import CliRunner

from leadflow.cli.main import app
from leadflow.domain.actions import CONTACT_ACTIONS, ActionKind
from leadflow.domain.events import EventType
from leadflow.domain.models import Campaign
from leadflow.orchestrator.intake import Intake
from leadflow.sim.prospects import SimProspect, generate_prospects
from leadflow.sim.replies import respond
from leadflow.sim.run import CAMPAIGN, demo_campaign
from leadflow.state import schema as t
from leadflow.state.patch import fold
from leadflow.state.sql import SqlStore

pytestmark = [pytest.mark.postgres, pytest.mark.slow]

WORKERS = 3
LEADS = 100
SEED = 5
WS = "multi"
QUIET_FOR = 2.0  # seconds with nothing pending before the campaign counts as settled
DEADLINE = 300.0


@pytest.fixture
def db_url(pg_url: str) -> Iterator[str]:
    with fresh_pg_database(pg_url, "leadflow_e2e_workers") as url:
        yield url


def _start_workers(db_url: str, transcript: Path, epoch: float) -> list[subprocess.Popen[str]]:
    root = Path(__file__).resolve().parents[2]
    env = {k: v for k, v in os.environ.items() if not k.startswith("LEADFLOW_")}
    env["PYTHONPATH"] = str(root / "src") + os.pathsep + env.get("PYTHONPATH", "")
    cmd = [
        sys.executable,
        str(Path(__file__).with_name("_pg_worker.py")),
        "--db",
        db_url,
        "--transcript",
        str(transcript),
        "--workspace",
        WS,
        "--epoch",
        repr(epoch),
    ]
    procs = [
        subprocess.Popen(cmd, env=env, cwd=root, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for _ in range(WORKERS)
    ]
    for proc in procs:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        if line.strip() != "ready":
            proc.kill()
            pytest.fail(f"worker did not start: {line!r} {proc.communicate()[1][-3000:]}")
    return procs


def _stop_workers(procs: list[subprocess.Popen[str]]) -> list[dict[str, int]]:
    for proc in procs:
        if proc.poll() is None:
            proc.terminate()
    reports = []
    for proc in procs:
        out, err = proc.communicate(timeout=60)
        assert proc.returncode == 0, err[-3000:]
        reports.append(json.loads(out.strip().splitlines()[-1]))
    return reports


class Prospects:
    """The simulator's prospects, answering each delivered message as soon as it is delivered."""

    def __init__(self, prospects: list[SimProspect], intake: Intake, transcript: Path) -> None:
        self.by_id = {p.id: p for p in prospects}
        self.intake = intake
        self.transcript = transcript
        self.last_rowid = 0
        self.received: Counter[str] = Counter()
        self.replies: dict[str, str] = {}  # delivered key -> reply message id

    def answer_new(self) -> int:
        """Reply to what was delivered since the last call; returns how many deliveries were new."""
        if not self.transcript.exists():
            return 0
        db = sqlite3.connect(self.transcript, timeout=30)
        try:
            rows = db.execute(
                "SELECT rowid, key, lead_id, kind, subject, body FROM deliveries WHERE rowid > ? ORDER BY rowid",
                (self.last_rowid,),
            ).fetchall()
        except sqlite3.OperationalError:  # the first worker has not created the table yet
            return 0
        finally:
            db.close()
        for rowid, key, lead_id, kind, subject, body in rows:
            self.last_rowid = rowid
            prospect = self.by_id.get(lead_id)
            if prospect is None or ActionKind(kind) not in CONTACT_ACTIONS:
                continue
            self.received[lead_id] += 1
            channel = "sms" if kind == ActionKind.SEND_SMS.value else "email"
            reply = respond(
                prospect,
                seed=SEED,
                n=self.received[lead_id],
                channel=channel,
                subject=subject,
                body=body,
                sent_at=self.intake.clock.now(),
                message_id=key,
            )
            if reply is None:
                continue
            message_id = f"<reply-{key}@sim.example>"
            assert self.intake.receive_reply(
                WS,
                lead_id,
                message_id=message_id,
                text=None if reply.raw else reply.text,
                raw=reply.raw,
                channel=channel,
                in_reply_to=key,
            )
            self.replies[key] = message_id
        return len(rows)


def _pending(store: SqlStore, now: Any) -> int:
    """Inbox events and due actions not yet done (read directly: ``inbox`` would claim leads)."""
    events = (
        select(func.count())
        .select_from(t.events)
        .where(t.events.c.queued.is_(True), t.events.c.handled.is_(False), t.events.c.dead.is_(False))
    )
    actions = (
        select(func.count())
        .select_from(t.actions)
        .where(
            t.actions.c.status == "pending",
            t.actions.c.not_before.is_(None) | (t.actions.c.not_before <= now),
        )
    )
    with store.engine.connect() as conn:
        return int(conn.execute(events).scalar_one()) + int(conn.execute(actions).scalar_one())


def _run_campaign(store: SqlStore, prospects: Prospects, procs: list[subprocess.Popen[str]]) -> None:
    started = time.monotonic()
    quiet_since: float | None = None
    while True:
        for p in procs:
            if p.poll() is not None:
                pytest.fail(f"a worker died: {p.communicate()[1][-3000:]}")
        assert time.monotonic() - started < DEADLINE, "the campaign did not settle"
        busy = prospects.answer_new() + _pending(store, prospects.intake.clock.now())
        if busy:
            quiet_since = None
        elif quiet_since is None:
            quiet_since = time.monotonic()
        elif time.monotonic() - quiet_since >= QUIET_FOR:
            return
        time.sleep(0.1)


def _campaign() -> Campaign:
    """The demo campaign with its sending caps lifted: in the minute of real time this test
    runs, every lead's first touch and every answer to a reply must be able to go out."""
    demo = demo_campaign()
    sender = demo.senders[0].model_copy(update={"mailbox_daily_cap": 100_000})
    sending = {"ramp_start": 100_000, "domain_hourly_cap": 100_000}
    return demo.model_copy(update={"senders": [sender], "settings": {**demo.settings, "sending": sending}})


def test_three_workers_share_one_campaign_on_postgres(db_url: str, tmp_path: Path) -> None:
    store = SqlStore(db_url)  # migrated here, once, before the workers start
    transcript = tmp_path / "transcript.db"
    epoch = time.time()
    clock = SharedClock(epoch)
    procs = _start_workers(db_url, transcript, epoch)
    try:
        store.save_campaign(WS, _campaign())
        intake = Intake(store=store, clock=clock)
        sims = generate_prospects(seed=SEED, n=LEADS)
        for p in sims:  # inbound leads in the rep's zone: nothing defers their first touch
            lead = p.lead.model_copy(update={"timezone": "America/New_York", "source": "web_form"})
            intake.create_lead(WS, CAMPAIGN, lead, lead_id=p.id)
        prospects = Prospects(sims, intake, transcript)
        _run_campaign(store, prospects, procs)
    finally:
        reports = _stop_workers(procs)
    try:
        _check(store, prospects, reports, transcript, db_url)
    finally:
        store.close()


def _check(
    store: SqlStore, prospects: Prospects, reports: list[dict[str, int]], transcript: Path, db_url: str
) -> None:
    now = prospects.intake.clock.now()
    states = {s.lead_id: s for s in store.list_leads(WS, limit=10_000)}
    print(
        f"{WORKERS} workers: {reports}; {len(prospects.replies)} replies injected; "
        f"stages {dict(Counter(s.stage.value for s in states.values()))}"
    )

    # every lead processed, nothing left over
    assert set(states) == set(prospects.by_id)
    for s in states.values():
        assert "response" in {h.agent for h in s.agent_history}, s.lead_id
        if s.lead.email or s.lead.consent.sms:
            assert s.touches >= 1, s.lead_id
    assert store.inbox(now=now, limit=10) == []
    assert store.due_actions(now, limit=10) == []
    assert store.list_dead() == []
    events = list(store.all_events())
    replies = Counter(e.payload["message_id"] for e in events if e.type == EventType.REPLY_RECEIVED)
    assert replies == Counter(prospects.replies.values()), "a reply was lost or recorded twice"
    assert len(replies) >= LEADS // 2, "too few replies to exercise the conversation"
    # the work was shared between the workers
    assert sum(1 for r in reports if r["events"] > 0) >= 2, reports

    # no key delivered twice, nor attempted twice; every sent action delivered once
    db = sqlite3.connect(transcript)
    try:
        delivered = [k for (k,) in db.execute("SELECT key FROM deliveries")]
        attempts = Counter(k for (k,) in db.execute("SELECT key FROM attempts"))
    finally:
        db.close()
    assert sum(r["deliveries"] for r in reports) == sum(attempts.values())
    twice = {k: n for k, n in attempts.items() if n > 1}
    assert not twice, f"{len(twice)} keys attempted more than once, e.g. {list(twice.items())[:3]}"
    sent = Counter(e.payload["key"] for e in events if e.type == EventType.MESSAGE_SENT)
    assert sent == Counter(delivered)
    with store.engine.connect() as conn:
        statuses = dict(conn.execute(select(t.actions.c.idempotency_key, t.actions.c.status)).all())
    assert {k for k, status in statuses.items() if status == "sent"} == set(delivered)
    for s in states.values():
        ids = [m.id for m in s.messages]
        assert len(ids) == len(set(ids)), s.lead_id

    # each lead's log in order, without gaps
    by_lead: dict[str, list[Any]] = {}
    for e in events:
        by_lead.setdefault(e.lead_id, []).append(e)
    assert by_lead.keys() == states.keys()
    for lead_id, log in by_lead.items():
        assert log[0].type == EventType.LEAD_CREATED
        versions = [int(e.payload["version"]) for e in log if e.type == EventType.LEAD_UPDATED]
        assert versions == list(range(2, states[lead_id].version + 1)), lead_id
        position = {e.id: n for n, e in enumerate(log)}
        for n, e in enumerate(log):
            if e.causation_id in position:
                assert position[e.causation_id] < n, (lead_id, e.type)
        assert log == store.lead_events(WS, lead_id)

    # replay equals live
    rebuilt = fold(events)
    assert {k: v.model_dump(mode="json") for k, v in rebuilt.items()} == {
        k: v.model_dump(mode="json") for k, v in states.items()
    }
    result = CliRunner().invoke(app, ["replay", "--check", "--db", db_url])
    assert result.exit_code == 0, result.output
    assert f"{LEADS} equal, 0 differ" in result.output
