"""The bus contract on ``RedisStreamsBus`` against a real Redis, plus what only Redis does.

Each test works under a fresh stream prefix (its keys are deleted afterwards), so tests never
see each other's events. Beyond the contract: redelivery after a crash or a failure once the
visibility timeout passes, two worker processes splitting a group's events, malformed entries
and poison messages dead-lettered, URL options, and the runtime wired from settings.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
import time
import uuid
from collections.abc import Iterator
from typing import Any, cast

import pytest
import redis
from tests.contracts.bus_contract import BusContract, Recorder, event
from tests.services import free_port

from leadflow.bus import open_bus
from leadflow.bus.base import Bus
from leadflow.bus.redis_streams import RedisStreamsBus
from leadflow.domain.events import Event, EventType
from leadflow.exceptions import ConfigError, Unavailable

pytestmark = pytest.mark.redis


@pytest.fixture
def prefix(redis_url: str) -> Iterator[str]:
    """A stream prefix of this test alone; its keys are deleted when the test ends."""
    p = f"lftest-{uuid.uuid4().hex[:10]}"
    yield p
    r = redis.Redis.from_url(redis_url)
    try:
        keys = list(r.scan_iter(match=f"{p}:*"))
        if keys:
            r.delete(*keys)
    finally:
        r.close()


@pytest.fixture
def raw(redis_url: str) -> Iterator[redis.Redis]:
    r = redis.Redis.from_url(redis_url)
    yield r
    r.close()


def dead_letters(raw: redis.Redis, prefix: str) -> list[dict[bytes, bytes]]:
    """The fields of each entry in the prefix's dead-letter stream, oldest first."""
    return [cast(dict[bytes, bytes], fields) for _, fields in cast(list[Any], raw.xrange(f"{prefix}:dead"))]


class TestRedisStreamsBus(BusContract):
    @pytest.fixture(autouse=True)
    def _server(self, redis_url: str, prefix: str) -> None:
        self.url = f"{redis_url}?prefix={prefix}"

    def make_bus(self) -> Bus:
        return open_bus(self.url)


def make(redis_url: str, prefix: str, **options: object) -> RedisStreamsBus:
    return RedisStreamsBus(redis_url, stream_prefix=prefix, **options)  # type: ignore[arg-type]


class Crash(BaseException):
    """What a process dying mid-handler looks like to the bus: nothing after it runs."""


def test_a_crashed_consumers_messages_go_to_another_member_after_the_visibility_timeout(
    redis_url: str, prefix: str
) -> None:
    a = make(redis_url, prefix, consumer="a", visibility_timeout=1.0)
    b = make(redis_url, prefix, consumer="b", visibility_timeout=1.0)
    try:
        got_a: list[str] = []

        def dies(e: Event) -> None:
            got_a.append(e.id)
            raise Crash

        got_b = Recorder()
        a.subscribe("*", dies, group="workers")
        b.subscribe("*", got_b, group="workers")
        ids = [f"e{n}" for n in range(5)]
        a.publish([event(i) for i in ids])
        with pytest.raises(Crash):
            a.drain()  # a reads the whole batch and dies on the first event, acknowledging none
        assert got_a == ["e0"]
        assert b.drain() == 0  # still a's: not idle long enough to be taken over
        time.sleep(1.1)
        assert b.drain() == 5
        assert got_b.seen == ids  # all of them, in publish order
        assert b.drain() == 0  # acknowledged now: not delivered again
    finally:
        a.close()
        b.close()


def test_a_failed_delivery_is_retried_after_the_visibility_timeout_and_not_before(
    redis_url: str, prefix: str
) -> None:
    bus = make(redis_url, prefix, visibility_timeout=1.0)
    try:
        calls: list[str] = []

        def flaky(e: Event) -> None:  # fails the first time it sees e2
            calls.append(e.id)
            if e.id == "e2" and calls.count("e2") == 1:
                raise RuntimeError("transient")

        bus.subscribe("*", flaky)
        bus.publish([event("e1"), event("e2"), event("e3")])
        assert bus.drain() == 2
        assert bus.errors == 1
        assert bus.drain() == 0
        time.sleep(1.1)
        assert bus.drain() == 1
        assert calls == ["e1", "e2", "e3", "e2"]
    finally:
        bus.close()


def test_a_message_that_keeps_failing_is_dead_lettered_after_max_deliveries(
    redis_url: str, prefix: str, raw: redis.Redis
) -> None:
    bus = make(redis_url, prefix, visibility_timeout=0.05, max_deliveries=3)
    try:
        poison = Recorder(fail_on=frozenset({"bad"}))
        bus.subscribe("*", poison, group="g")
        bus.publish([event("ok1"), event("bad"), event("ok2")])
        for _ in range(6):
            bus.drain()
            time.sleep(0.08)
        assert poison.seen.count("bad") == 3  # tried max_deliveries times, then given up
        assert [i for i in poison.seen if i != "bad"] == ["ok1", "ok2"]
        assert (bus.errors, bus.dead_lettered) == (3, 1)
        assert raw.xpending(f"{prefix}:events", "group:g")["pending"] == 0
        dead = dead_letters(raw, prefix)
        assert len(dead) == 1
        fields = dead[0]
        assert fields[b"id"] == b"bad" and fields[b"dead_reason"] == b"max_deliveries"
        assert Event.model_validate_json(fields[b"event"]).id == "bad"  # kept whole, nothing lost
    finally:
        bus.close()


def test_malformed_entries_are_acknowledged_counted_and_kept_aside(
    redis_url: str, prefix: str, raw: redis.Redis
) -> None:
    bus = make(redis_url, prefix)
    try:
        seen = Recorder()
        bus.subscribe("*", seen, group="g")
        stream = f"{prefix}:events"
        bus.publish([event("e1")])
        raw.xadd(stream, {"event": "not json {"})
        raw.xadd(stream, {"something": "else"})
        raw.xadd(stream, {"event": json.dumps({"id": "half", "type": "lead.updated"})})
        bus.publish([event("e2")])
        assert bus.drain() == 2
        assert seen.seen == ["e1", "e2"]
        assert bus.malformed == 3 and bus.errors == 0
        assert raw.xpending(stream, "group:g")["pending"] == 0
        assert bus.drain() == 0  # acknowledged: not seen again
        dead = dead_letters(raw, prefix)
        assert [f[b"dead_reason"] for f in dead] == [b"malformed"] * 3
        assert dead[0][b"event"] == b"not json {"
    finally:
        bus.close()


WORKER = textwrap.dedent(
    """
    import json, sys, time
    import redis
    from leadflow.bus.redis_streams import RedisStreamsBus

    url, prefix, name = sys.argv[1:4]
    bus = RedisStreamsBus(url, stream_prefix=prefix, consumer=name, batch=5)
    seen = []
    def handle(e):
        seen.append(e.id)
        time.sleep(0.002)  # some work, so the other process gets its share
    bus.subscribe("lead.*", handle, group="workers")
    print("ready", flush=True)
    stop, control = f"{prefix}:stop", redis.Redis.from_url(url)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and not control.exists(stop):
        bus.drain(timeout=0.05)
    bus.close()
    print(json.dumps(seen), flush=True)
    """
)


def test_two_worker_processes_in_one_group_split_the_events(
    redis_url: str, prefix: str, raw: redis.Redis
) -> None:
    procs = [
        subprocess.Popen([sys.executable, "-c", WORKER, redis_url, prefix, name],
                         stdout=subprocess.PIPE, text=True)
        for name in ("w1", "w2")
    ]  # fmt: skip
    try:
        for p in procs:
            assert p.stdout is not None and p.stdout.readline().strip() == "ready"
        ids = [f"e{n:03}" for n in range(200)]
        pub = make(redis_url, prefix)
        pub.publish([event(i, lead_id=f"l{n % 7}") for n, i in enumerate(ids)])
        pub.close()
        stream = f"{prefix}:events"
        last = cast(list[Any], raw.xrevrange(stream, "+", "-", count=1))[0][0]
        deadline = time.monotonic() + 30
        done = False
        while not done and time.monotonic() < deadline:
            info = next(g for g in cast(list[Any], raw.xinfo_groups(stream)) if g["name"] == b"group:workers")
            done = info["last-delivered-id"] == last and info["pending"] == 0  # all read, all acknowledged
            time.sleep(0.05)
        raw.set(f"{prefix}:stop", 1)
        outs = [p.communicate(timeout=30)[0] for p in procs]
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
                p.wait()
    assert done, "the group did not read and acknowledge every event within 30 s"
    assert [p.returncode for p in procs] == [0, 0]
    seen = [json.loads(out.strip().splitlines()[-1]) for out in outs]
    assert all(seen), "each process got a share"
    assert sorted(seen[0] + seen[1]) == ids  # none lost, none delivered to both
    for got in seen:
        assert got == sorted(got)  # each in publish order


def test_close_drops_private_groups_and_keeps_shared_ones(
    redis_url: str, prefix: str, raw: redis.Redis
) -> None:
    bus = make(redis_url, prefix)
    bus.subscribe("*", Recorder())
    bus.subscribe("*", Recorder(), group="crm-sync")
    stream = f"{prefix}:events"
    assert len(raw.xinfo_groups(stream)) == 2
    bus.close()
    bus.close()  # idempotent
    assert [g["name"] for g in raw.xinfo_groups(stream)] == [b"group:crm-sync"]


def test_a_group_joined_later_continues_where_the_group_is(redis_url: str, prefix: str) -> None:
    first = make(redis_url, prefix)
    first.subscribe("*", Recorder(), group="g")
    first.publish([event("e1"), event("e2")])
    first.close()  # e1 and e2 wait in the group with nobody reading
    later = make(redis_url, prefix)
    try:
        seen = Recorder()
        later.subscribe("*", seen, group="g")
        assert later.drain() == 2
        assert seen.seen == ["e1", "e2"]
    finally:
        later.close()


def test_a_stream_deleted_under_the_bus_is_started_again(
    redis_url: str, prefix: str, raw: redis.Redis
) -> None:
    bus = make(redis_url, prefix)
    try:
        solo, shared = Recorder(), Recorder()
        bus.subscribe("*", solo)
        bus.subscribe("*", shared, group="g")
        bus.publish([event("e1")])
        assert bus.drain() == 2
        raw.delete(f"{prefix}:events")  # an operator's FLUSHDB, say
        assert bus.drain() == 0  # no crash: the groups are made again
        bus.publish([event("e2")])
        assert bus.drain() == 2
        assert solo.seen == shared.seen == ["e1", "e2"]
    finally:
        bus.close()


def test_drain_waits_for_events_up_to_its_timeout(redis_url: str, prefix: str) -> None:
    bus = make(redis_url, prefix)
    try:
        seen = Recorder()
        bus.subscribe("*", seen)
        t0 = time.monotonic()
        assert bus.drain(timeout=0.3) == 0
        assert 0.25 <= time.monotonic() - t0 < 2.0
        t0 = time.monotonic()
        assert bus.drain(timeout=0) == 0
        assert time.monotonic() - t0 < 0.25
    finally:
        bus.close()


def test_url_options_and_bad_urls(redis_url: str, prefix: str) -> None:
    bus = open_bus(f"{redis_url}?prefix={prefix}&visibility_timeout=2.5&max_deliveries=4&consumer=w9")
    try:
        assert isinstance(bus, RedisStreamsBus)
        assert (bus.stream, bus.visibility_ms, bus.max_deliveries, bus.consumer) == (
            f"{prefix}:events", 2500, 4, "w9")  # fmt: skip
    finally:
        bus.close()
    with pytest.raises(ConfigError, match="maxlen"):
        open_bus(f"{redis_url}?maxlen=lots")
    with pytest.raises(ConfigError, match="visibility_timeout"):
        open_bus(f"{redis_url}?visibility_timeout=0")
    with pytest.raises(ConfigError, match="kafka"):
        open_bus("kafka://localhost:9092")
    with pytest.raises(Unavailable, match="connecting"):
        open_bus(f"redis://127.0.0.1:{free_port()}/0?socket_connect_timeout=1")


def test_the_runtime_relays_committed_events_through_redis(redis_url: str, prefix: str) -> None:
    from leadflow.domain.models import Consent, Lead
    from leadflow.integrations.channels import TranscriptChannel
    from leadflow.runtime import Runtime
    from leadflow.settings import Settings
    from leadflow.sim.run import CAMPAIGN, demo_campaign
    from leadflow.state import MemoryStore

    settings = Settings.from_env(
        {
            "LEADFLOW_BUS_URL": f"{redis_url}?prefix={prefix}",
            "LEADFLOW_DB_URL": "memory://",
            "LEADFLOW_TRANSCRIPT": ":memory:",
        }
    )
    channel = TranscriptChannel(":memory:")
    rt = Runtime.build(settings, store=MemoryStore(), channel=channel)
    try:
        assert isinstance(rt.bus, RedisStreamsBus) and rt.bus.stream == f"{prefix}:events"
        created: list[Event] = []
        rt.bus.subscribe(EventType.LEAD_CREATED, created.append, group="crm-sync")
        rt.store.save_campaign("default", demo_campaign())
        lead = Lead(first_name="Sam", email="sam@globex.example", company="Globex", source="webform",
                    consent=Consent(email=True))  # fmt: skip
        rt.intake.create_lead("default", CAMPAIGN, lead, lead_id="sam")
        rt.worker.run_until_idle()
        assert [(e.type, e.lead_id) for e in created] == [(EventType.LEAD_CREATED, "sam")]
    finally:
        rt.close()
        channel.close()
