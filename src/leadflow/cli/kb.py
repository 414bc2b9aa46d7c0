"""``leadflow kb``: each campaign's knowledge base: add, list, search and remove documents.

Mounted by the main CLI as ``kb``::

    leadflow kb add --campaign acme-growth docs/pricing.md docs/security.md https://acme.example/faq
    leadflow kb add --campaign acme-growth          # the campaign file's `knowledge` list
    leadflow kb list --campaign acme-growth
    leadflow kb search --campaign acme-growth "how much per seat"
    leadflow kb remove --campaign acme-growth docs/pricing.md

Documents are Markdown, HTML, PDF or text files, or web pages (fetched politely: robots.txt,
timeouts, size limits; private addresses refused unless ``LEADFLOW_WEB_ALLOW_PRIVATE=1``). They
are stored in the main database, so every worker's agents read them. Re-adding a source whose
text changed replaces its passages; re-adding an unchanged one changes nothing and says so.
"""

from __future__ import annotations

import os
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from leadflow.cli.keys import DbOpt, open_configured
from leadflow.domain.models import Campaign
from leadflow.exceptions import LeadflowError, NotFound
from leadflow.kb import Document, KnowledgeStore, knowledge_for, load_path, load_url
from leadflow.settings import Settings
from leadflow.state import Store

kb_app = typer.Typer(help="Each campaign's knowledge base: documents the agents cite.", no_args_is_help=True)
console = Console()

CampaignOpt = Annotated[str, typer.Option("--campaign", "-c", help="the campaign the documents belong to")]
WorkspaceOpt = Annotated[str | None, typer.Option("--workspace", "-w", help="workspace (default: LEADFLOW_WORKSPACE)")]


@kb_app.callback()
def _group() -> None:
    """Each campaign's knowledge base: documents the agents cite."""


def _open(db: str | None, workspace: str | None, campaign: str) -> tuple[Store, KnowledgeStore, str, Campaign]:
    store = open_configured(db)
    ws = workspace or Settings.from_env().workspace
    try:
        found = store.get_campaign(ws, campaign)
    except NotFound:
        store.close()
        console.print(f"[red]no campaign {escape(campaign)!r} in workspace {escape(ws)!r}[/red] "
                      "(create it first: leadflow campaigns apply FILE)", soft_wrap=True)
        raise typer.Exit(1) from None
    return store, knowledge_for(store), ws, found


def _load(item: str, settings: Settings) -> Document:
    if item.startswith(("http://", "https://")):
        from leadflow.integrations.web.guard import open_web_fetcher

        return load_url(item, open_web_fetcher(allow_private=settings.web_allow_private))
    return load_path(os.path.normpath(item))  # "./docs/a.md" and "docs/a.md" are one source


@kb_app.command("add")
def add(
    campaign: CampaignOpt,
    sources: Annotated[list[str] | None, typer.Argument(
        help="files (.md .html .pdf .txt) or http(s) URLs; none: the campaign file's `knowledge` list")] = None,
    workspace: WorkspaceOpt = None,
    db: DbOpt = None,
) -> None:
    """Add documents to a campaign (a changed one replaces its old passages)."""
    store, kb, ws, found = _open(db, workspace, campaign)
    settings = Settings.from_env()
    items = list(sources or found.knowledge_sources)
    if not items:
        store.close()
        console.print("[red]nothing to add: name files or URLs, or list them under `knowledge` in the "
                      "campaign file[/red]", soft_wrap=True)
        raise typer.Exit(1)
    failed = 0
    try:
        for item in items:
            try:
                result = kb.put_document(ws, campaign, _load(item, settings))
            except LeadflowError as exc:
                failed += 1
                console.print(f"[red]{escape(item)}: {escape(str(exc))}[/red]", soft_wrap=True)
                continue
            said = {"added": "added", "replaced": "replaced (changed)", "unchanged": "unchanged, nothing to do"}
            console.print(f"{escape(item)}: {said[result.status]}: {escape(result.title)!r}, "
                          f"{result.chunks} passages (doc {result.doc_id})", highlight=False, soft_wrap=True)
            if result.flagged:
                console.print(f"  [yellow]{result.flagged} passage(s) held instruction-like text: removed, and "
                              "never quoted to a prospect or a model[/yellow]", soft_wrap=True)
    finally:
        store.close()
    if failed:
        raise typer.Exit(1)


@kb_app.command("list")
def list_(campaign: CampaignOpt, workspace: WorkspaceOpt = None, db: DbOpt = None) -> None:
    """The campaign's documents."""
    store, kb, ws, _ = _open(db, workspace, campaign)
    try:
        docs = kb.documents(ws, campaign)
    finally:
        store.close()
    table = Table(title=f"knowledge of {campaign!r}: {len(docs)} documents")
    for col in ("doc", "title", "source", "kind", "passages", "added"):
        table.add_column(col)
    for d in docs:
        table.add_row(d.doc_id, escape(d.title), escape(d.source), d.kind, str(d.chunks), f"{d.added_at:%Y-%m-%d %H:%M}")
    console.print(table)


@kb_app.command("search")
def search(
    query: Annotated[str, typer.Argument(help="what to look for, in plain words")],
    campaign: CampaignOpt,
    k: Annotated[int, typer.Option("-k", help="passages to show")] = 5,
    workspace: WorkspaceOpt = None,
    db: DbOpt = None,
) -> None:
    """Passages of the campaign's documents matching QUERY, with their source and section."""
    store, kb, ws, _ = _open(db, workspace, campaign)
    try:
        passages = kb.search(ws, campaign, query, k=k)
    finally:
        store.close()
    if not passages:
        console.print(f"nothing in {campaign!r}'s knowledge matches {query!r}")
        return
    for n, p in enumerate(passages, 1):
        section = p.heading or p.citation.title
        console.print(f"[{n}] {escape(p.citation.title)} > {escape(section)} "
                      f"({escape(p.citation.source)}#{p.citation.chunk_no}, doc {p.citation.doc_id}, "
                      f"score {p.score:.3g})", highlight=False, soft_wrap=True)
        console.print("    " + escape(" ".join(p.text.split())[:400]), highlight=False, soft_wrap=True)


@kb_app.command("remove")
def remove(
    doc: Annotated[str, typer.Argument(help="the document's id or source (as `kb list` shows)")],
    campaign: CampaignOpt,
    workspace: WorkspaceOpt = None,
    db: DbOpt = None,
) -> None:
    """Remove a document and its passages from the campaign."""
    store, kb, ws, _ = _open(db, workspace, campaign)
    try:
        removed = kb.remove_document(ws, campaign, doc)
    except NotFound as exc:
        console.print(f"[red]{escape(str(exc))}[/red]", soft_wrap=True)
        raise typer.Exit(1) from None
    finally:
        store.close()
    console.print(f"removed {escape(removed.title)!r} ({escape(removed.source)}, {removed.chunks} passages)")
