"""Each campaign's knowledge through the runtime: closing cites the campaign's own documents, never the demo's.

A user's campaign with three Markdown documents (added with ``leadflow kb add``), a lead in it
with a meeting booked, and a price objection arriving as a reply: the offline engine routes it
to closing, whose playbook and draft for the seller cite the campaign's pricing document and
none of the bundled "Northwind" pages ($49/seat) or another campaign's documents. A campaign
without documents cites nothing and states no price.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from typer.testing import CliRunner

from leadflow.agents.closing import seed_kb
from leadflow.cli.main import app
from leadflow.domain.actions import ActionKind
from leadflow.domain.models import Campaign, Consent, Lead, Stage
from leadflow.integrations.channels import TranscriptChannel
from leadflow.kb import CampaignKnowledge, SeedKnowledge, knowledge_for, load_markdown
from leadflow.orchestrator.clock import FixedClock
from leadflow.runtime import Runtime
from leadflow.settings import Settings
from leadflow.state.records import Commit

WS = "ws"
NOW = datetime(2026, 3, 3, 15, 0, tzinfo=UTC)  # a Tuesday, 10:00 in New York
DOCS = {
    "pricing.md": "# Acme Cloud pricing\n\n## Plans and budget\n\nThe Team plan costs $30 per seat a month; "
    "annual billing takes 15% off, and a pilot for 10 seats lets a team start smaller on a tight budget.\n",
    "security.md": "# Acme Cloud security\n\n## Certifications\n\nAcme Cloud is SOC 2 Type II certified and "
    "encrypts every backup at rest with keys held per customer workspace.\n",
    "onboarding.md": "# Acme Cloud onboarding\n\n## First week\n\nA named engineer migrates your existing "
    "pipelines within five working days, with no downtime for the sales team.\n",
}
OBJECTION = "Honestly this looks too expensive for us, the price is over our budget this year."


@pytest.fixture
def rt(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Runtime]:
    db = f"sqlite:///{tmp_path / 'leadflow.db'}"
    monkeypatch.setenv("LEADFLOW_WORKSPACE", WS)
    channel = TranscriptChannel(":memory:")
    runtime = Runtime.build(
        Settings(db_url=db, transcript_path=str(tmp_path / "t.db"), workspace=WS, web_research=False),
        clock=FixedClock(NOW), channel=channel,
    )
    for name in ("acme-growth", "empty", "globex"):
        runtime.store.save_campaign(WS, Campaign(name=name, company_name="Acme Cloud", rep_name="Jo",
                                                 settings={"rep_timezone": "America/New_York"}))
    for name, text in DOCS.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    added = CliRunner().invoke(app, ["kb", "add", "--campaign", "acme-growth", "--db", db,
                                     *(str(tmp_path / n) for n in DOCS)])
    assert added.exit_code == 0 and added.output.count(": added: ") == 3, added.output
    knowledge_for(runtime.store).put_document(WS, "globex", load_markdown(
        "# Globex pricing\n\n## Budget\n\nGlobex seats are $99 a month on any budget, price fixed.\n",
        source="globex-pricing.md"))
    yield runtime
    runtime.close()
    channel.close()


def _booked_lead(rt: Runtime, campaign: str, n: int) -> str:
    lead = Lead(first_name="Dana", last_name="Ortiz", email=f"dana{n}@initech.example", company="Initech",
                industry="b2b_saas", title="Head of Sales", source="webform", source_lead_id=f"d{n}",
                consent=Consent(email=True), inquiry="We need more qualified meetings.")
    state, _ = rt.intake.create_lead(WS, campaign, lead, lead_id=f"dana{n}")
    rt.worker.run_until_idle()
    state = rt.store.get_lead(WS, state.lead_id)
    state.stage = Stage.MEETING_BOOKED  # as if the appointment agent had booked the call
    assert rt.store.apply([Commit(WS, state.lead_id, expected_version=state.version, state=state)])[0] is None
    assert rt.intake.receive_reply(WS, state.lead_id, message_id=f"<r{n}@initech.example>", text=OBJECTION)
    rt.worker.run_until_idle()
    return state.lead_id


def _coaching(rt: Runtime, lead_id: str) -> tuple[str, dict[str, object]]:
    notes = [r.action for r in rt.store.actions_for(WS, lead_id)
             if r.action.kind is ActionKind.NOTIFY_HUMAN and "objection" in (r.action.subject or "")]
    assert len(notes) == 1, [r.action.subject for r in rt.store.actions_for(WS, lead_id)]
    return notes[0].body, dict(notes[0].payload)


def test_closing_cites_the_campaigns_own_documents_and_never_the_demos(rt: Runtime) -> None:
    lead_id = _booked_lead(rt, "acme-growth", 1)
    body, payload = _coaching(rt, lead_id)
    assert "pricing.md" in body and "$30 per seat" in body  # the playbook and the draft quote the campaign's page
    sources = payload["sources"]
    assert isinstance(sources, list) and sources
    assert {s["title"] for s in sources} <= {"Acme Cloud pricing", "Acme Cloud security", "Acme Cloud onboarding"}
    assert sources[0]["title"] == "Acme Cloud pricing" and sources[0]["section"] == "Plans and budget"
    for demo in ("kb_seed", "Northwind", "$49", "globex", "$99"):
        assert demo not in body
    summaries = [f"{t.decision} {t.outputs}" for t in rt.store.traces_for(WS, lead_id) if t.agent == "closing"]
    assert any("Acme Cloud pricing > Plans and budget" in s for s in summaries), summaries


def test_a_campaign_without_documents_cites_nothing_and_states_no_price(rt: Runtime) -> None:
    lead_id = _booked_lead(rt, "empty", 2)
    body, payload = _coaching(rt, lead_id)
    assert "Nothing in the knowledge base matches" in body
    assert payload["sources"] == [] and payload["citations"] == []
    assert "$" not in body and "kb_seed" not in body and "Sources:" not in body


def test_the_runtime_gives_the_seed_only_to_a_campaign_it_is_told_is_the_demo(tmp_path: Path) -> None:
    rt = Runtime.build(Settings(db_url="memory://", transcript_path=":memory:", workspace=WS, web_research=False),
                       clock=FixedClock(NOW), channel=TranscriptChannel(":memory:"),
                       campaign_kbs={"demo": SeedKnowledge(seed_kb())})
    try:
        demo = rt.orchestrator.context_factory(WS, Campaign(name="demo")).kb
        mine = rt.orchestrator.context_factory(WS, Campaign(name="acme-growth")).kb
        assert isinstance(demo, SeedKnowledge) and demo.search("price objection budget", k=3)
        assert isinstance(mine, CampaignKnowledge) and mine.campaign == "acme-growth"
        assert mine.search("price objection budget", k=3) == []
        assert mine.search("price", k=3, workspace_id="another-ws") == []
    finally:
        rt.close()


def test_real_runs_get_a_guarded_web_fetcher(tmp_path: Path) -> None:
    from leadflow.integrations.web import WebFetcher

    rt = Runtime.build(Settings(db_url="memory://", transcript_path=":memory:", workspace=WS),
                       clock=FixedClock(NOW), channel=TranscriptChannel(":memory:"))
    try:
        fetcher = rt.orchestrator.context_factory(WS, Campaign(name="c")).extras["fetcher"]
        assert isinstance(fetcher, WebFetcher)
        from leadflow.exceptions import Refused

        with pytest.raises(Refused):
            fetcher.fetch("http://10.0.0.1/")
    finally:
        rt.close()


def test_a_failing_search_gives_no_passages_and_never_blocks_an_agent(tmp_path: Path) -> None:
    from sqlalchemy import text

    from leadflow.exceptions import Unavailable
    from leadflow.state.sql import SqlStore

    store = SqlStore(f"sqlite:///{tmp_path / 'k.db'}")
    try:
        knowledge_for(store).put_document(WS, "acme-growth", load_markdown(DOCS["pricing.md"], source="pricing.md"))
        with store.engine.begin() as conn:
            conn.execute(text("DROP TABLE kb_chunks_fts"))  # the search index gone
        with pytest.raises(Unavailable):
            knowledge_for(store).search(WS, "acme-growth", "price seat")
        assert CampaignKnowledge(knowledge_for(store), WS, "acme-growth").search("price seat") == []
    finally:
        store.close()


def test_with_web_allow_private_the_runtimes_fetcher_reads_a_local_site(tmp_path: Path) -> None:
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: object) -> None:
            pass

        def do_GET(self) -> None:
            body = b"<h1>Initech</h1><p>Initech raised $8M in a Series A.</p>" if self.path == "/" else b""
            self.send_response(200 if self.path == "/" else 404)
            self.send_header("Content-Type", "text/html")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    rt = Runtime.build(Settings(db_url="memory://", transcript_path=":memory:", workspace=WS, web_allow_private=True),
                       clock=FixedClock(NOW), channel=TranscriptChannel(":memory:"))
    try:
        fetcher = rt.orchestrator.context_factory(WS, Campaign(name="c")).extras["fetcher"]
        page = fetcher.fetch(f"http://127.0.0.1:{server.server_address[1]}/")
        assert b"raised $8M" in page.content
    finally:
        rt.close()
        server.shutdown()
        server.server_close()
