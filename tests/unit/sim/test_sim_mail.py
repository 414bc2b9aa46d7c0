"""Tests for the simulator's raw mail builders, and for determinism across processes."""

from __future__ import annotations

import email
import os
import subprocess
import sys
from datetime import UTC, datetime
from email import policy

from leadflow.sim import build_bounce_raw, build_ooo_raw, build_reply_raw

AT = datetime(2025, 3, 4, 15, 30, tzinfo=UTC)


def test_reply_raw_threads_and_prefixes_subject_once() -> None:
    raw = build_reply_raw(
        from_addr="Ana Silva <ana@example.com>",
        to_addr="sam@leadflow-demo.example",
        subject="Re: Quick question",
        body="Tuesday works!",
        date=AT,
        message_id="<r1@example.com>",
        in_reply_to="<o1@leadflow-demo.example>",
    )
    msg = email.message_from_string(raw, policy=policy.default)
    assert msg["Subject"] == "Re: Quick question"
    assert msg["In-Reply-To"] == "<o1@leadflow-demo.example>"
    assert msg["Auto-Submitted"] is None
    assert msg.get_content().strip() == "Tuesday works!"


def test_ooo_raw_is_an_rfc3834_auto_reply() -> None:
    raw = build_ooo_raw(
        from_addr="ana@example.com",
        to_addr="sam@leadflow-demo.example",
        subject="Quick question",
        body="Out until Monday, March 10, 2025.",
        date=AT.replace(tzinfo=None),
        message_id="<a1@example.com>",
    )
    msg = email.message_from_string(raw, policy=policy.default)
    assert msg["Auto-Submitted"] == "auto-replied"
    assert msg["Subject"] == "Automatic reply: Quick question"
    assert msg["Date"].datetime == AT


def test_bounce_raw_is_deterministic_and_well_formed() -> None:
    kwargs = {
        "original_from": "sam@leadflow-demo.example",
        "original_to": "nobody@acme.example",
        "original_subject": "Grüße",
        "date": AT,
        "message_id": "<dsn1@mx1.example.net>",
        "original_message_id": "<o1@leadflow-demo.example>",
    }
    raw = build_bounce_raw(**kwargs)  # type: ignore[arg-type]
    assert raw == build_bounce_raw(**kwargs)  # type: ignore[arg-type]
    msg = email.message_from_string(raw, policy=policy.default)
    assert msg.get_content_type() == "multipart/report"
    assert [p.get_content_type() for p in msg.iter_parts()] == [
        "text/plain",
        "message/delivery-status",
        "text/rfc822-headers",
    ]
    assert "Status: 5.1.1" in raw
    assert "Action: failed" in raw
    assert "Final-Recipient: rfc822; nobody@acme.example" in raw


_PROBE = """
import hashlib
from datetime import datetime, UTC
from leadflow.sim import generate_prospects, respond
ps = generate_prospects(seed=99, n=120)
out = []
for p in ps:
    for n in (1, 2, 3):
        r = respond(p, seed=99, n=n, channel="email", subject="Hi",
                    body="When are you looking to buy? Would Tuesday 3:00 PM work?\\n\\nSam",
                    sent_at=datetime(2025, 3, 4, tzinfo=UTC))
        out.append(repr((p, r)))
print(hashlib.sha256("\\n".join(out).encode()).hexdigest())
"""


def test_output_does_not_depend_on_hash_randomisation() -> None:
    digests = set()
    for hashseed in ("1", "2"):
        env = {**os.environ, "PYTHONHASHSEED": hashseed}
        done = subprocess.run(
            [sys.executable, "-c", _PROBE], env=env, capture_output=True, text=True, check=True
        )
        digests.add(done.stdout.strip())
    assert len(digests) == 1
