"""In the demo (three mailboxes, every agent writing), each lead's e-mails stay in one thread (issue 11).

``leadflow demo`` runs over SQLite; its outbox is then read back. Every e-mail sent to a lead after
the first goes from the first one's mailbox (or says why it was handed over) with ``Re: <first
subject>`` and the first one's thread id; first touches vary in wording and quote no raw field.
"""

from __future__ import annotations

import re
from collections import defaultdict

import pytest
from typer.testing import CliRunner

from leadflow.cli.main import app
from leadflow.domain.actions import ActionKind
from leadflow.state import open_store
from leadflow.state.records import ActionRow

LEADS = 30
SEED = 7
FIELD_DUMP = re.compile(r"(?i)\b(?:company size|industry|title)\s*:|\bb2b_saas\b|\bNone\b|N/A")


@pytest.fixture(scope="module")
def emails(tmp_path_factory: pytest.TempPathFactory) -> dict[str, list[ActionRow]]:
    out = tmp_path_factory.mktemp("demo_threads")
    result = CliRunner().invoke(app, ["demo", "--leads", str(LEADS), "--seed", str(SEED), "--out", str(out)])
    assert result.exit_code == 0, result.output
    store = open_store(f"sqlite:///{out / 'leadflow.db'}")
    try:
        by_lead: dict[str, list[ActionRow]] = defaultdict(list)
        for state in store.list_leads("demo"):
            rows = [r for r in store.actions_for("demo", state.lead_id)
                    if r.action.kind is ActionKind.SEND_EMAIL and r.status == "sent"]
            by_lead[state.lead_id] = sorted(rows, key=lambda r: r.seq)
        return by_lead
    finally:
        store.close()


def test_every_follow_up_keeps_the_first_mailbox_subject_and_thread(emails: dict[str, list[ActionRow]]) -> None:
    follow_ups = 0
    mailboxes = set()
    for lead_id, rows in emails.items():
        if not rows:
            continue
        first = rows[0].action
        mailboxes.add(first.payload["from"])
        for row in rows[1:]:
            a = row.action
            follow_ups += 1
            assert a.subject == f"Re: {first.subject}", (lead_id, a.idempotency_key, a.subject)
            assert a.payload["thread_id"] == first.payload["thread_id"]
            assert first.idempotency_key in a.payload["references"]
            if a.payload["from"] != first.payload["from"]:
                assert a.payload["thread_handover"]["from"] == first.payload["from"], (lead_id, a.payload)
    assert follow_ups > 50, "the demo's agents wrote follow-ups"
    assert len(mailboxes) >= 2, "first touches were spread over the mailboxes"


def test_first_touches_vary_and_quote_no_raw_field(emails: dict[str, list[ActionRow]]) -> None:
    firsts = [rows[0].action for rows in emails.values() if rows and rows[0].action.idempotency_key.endswith(
        "response:first")]
    assert len(firsts) >= LEADS * 0.8
    texts = [re.sub(r"^(?:Hi|Hello) [^,\n]*,\s*", "", a.body.rsplit("\n\n", 1)[0]) for a in firsts]  # no footer
    openings = {t[:60] for t in texts}
    assert len(openings) >= len(firsts) * 0.6, sorted(openings)
    for a in firsts:
        assert not FIELD_DUMP.search(f"{a.subject}\n{a.body}"), a.body
