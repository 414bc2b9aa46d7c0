"""A dry run of the user's own campaign: ``leadflow simulate FILE [--leads CSV] [--days N]``.

The campaign file is loaded as ``campaigns apply`` would read it (its ICP, copy, sequence,
senders and knowledge), and run by the real agents against the simulated world: synthetic
prospects drawn to fit its ideal customer profile (industries, titles, company sizes, regions),
or the user's own leads from a CSV, who answer like people do (``sim.replies``). Nothing leaves
the machine: the store is a fresh SQLite file in a temporary folder, every message goes to the
simulated world (:class:`~leadflow.sim.world.SimWorld`), research reads simulated company sites
(:class:`~leadflow.sim.web.SimWeb`), only the campaign's local documents are added to its
knowledge base (a URL is listed, not fetched), a CalDAV calendar is replaced by the built-in
one, and no model provider is configured.

The campaign runs on autopilot in the simulation so the whole funnel plays out; what its own
autonomy mode would have held for a person's review is counted from the messages the agents
wrote (:func:`would_hold`). The result, :class:`SimulationReport`, carries the funnel, a few full
drafts per agent and the held ones; the CLI prints it.
"""

from __future__ import annotations

import importlib
import random
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from leadflow.domain.actions import CONTACT_ACTIONS
from leadflow.domain.models import Campaign, Lead
from leadflow.exceptions import InvalidInput, LeadflowError
from leadflow.orchestrator.clock import SimClock
from leadflow.runtime import Runtime
from leadflow.settings import Settings
from leadflow.sim import _data
from leadflow.sim.prospects import SimProspect, generate_prospects
from leadflow.sim.run import START, funnel
from leadflow.sim.web import SimWeb
from leadflow.sim.world import SimWorld
from leadflow.state import open_store
from leadflow.state.base import Store
from leadflow.state.records import ActionRow

WORKSPACE = "simulation"
FIT_SHARE = 0.8
"""Share of synthetic prospects drawn inside the profile; the rest keep what the generator drew,
so the simulation shows triage telling them apart."""
SAMPLES_PER_AGENT = 3

_REGIONS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("us", ("us", "usa", "united states", "america", "north america", "canada", "na")),
    ("eu", ("eu", "europe", "emea", "uk", "united kingdom", "germany", "france", "spain", "dach", "benelux")),
    ("apac", ("apac", "asia", "india", "japan", "singapore", "australia")),
)
_SENIOR = ("vp", "director", "head", "chief", "manager", "lead", "founder", "president", "c-level", "cxo")


# -- the campaign file, its knowledge and its autonomy: one function each -----------------------


def load_campaign_file(path: Path) -> tuple[Campaign, list[str]]:
    """The campaign a file describes and its knowledge sources, validated as ``campaigns apply`` does.

    Raises:
        InvalidInput: the file cannot be read or is not a valid campaign (the message names the key).
    """
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise InvalidInput(f"cannot read {path}: {exc.strerror or exc}") from exc
    try:
        from leadflow.campaigns import load_text, to_campaign
    except ImportError:  # no campaign files in this build: the stored campaign's own fields
        import yaml

        try:
            data = yaml.safe_load(text)
            legacy = Campaign.model_validate(data)
        except (yaml.YAMLError, ValueError) as exc:
            raise InvalidInput(f"{path}: not a campaign: {exc}") from exc
        return legacy, [str(s) for s in legacy.settings.get("knowledge", [])]
    campaign = to_campaign(load_text(text, origin=str(path)))
    return campaign, list(getattr(campaign, "knowledge_sources", None) or [])


def autonomy_mode(campaign: Campaign) -> str:
    """The campaign's autonomy mode (``autopilot``, ``review_first_touch``, ``review_all``, ``draft_only``)."""
    try:  # review before send's own reading of it, where that is built in
        policy = importlib.import_module("leadflow.drafts._policy")
    except ImportError:
        return str(getattr(campaign, "autonomy", None) or campaign.settings.get("autonomy", "autopilot"))
    return str(policy.autonomy_of(campaign))


def would_hold(mode: str, rows: Sequence[ActionRow]) -> list[tuple[ActionRow, str]]:
    """Which of one lead's messages (its outbox rows, oldest first) ``mode`` holds for review, and why."""
    contact = [r for r in rows if r.action.kind in CONTACT_ACTIONS]
    if mode == "autopilot" or not contact:
        return []
    if mode == "review_first_touch":
        return [(contact[0], "review_first_touch: the first message to this lead")]
    return [(r, f"{mode}: every message is reviewed") for r in contact]


def _add_knowledge(store: Store, campaign: str, sources: Sequence[str], base: Path) -> tuple[int, list[str]]:
    """Add the campaign's local documents to its knowledge base in the simulation's store; returns
    how many were added and notes for the others (a URL is not fetched: nothing leaves the machine)."""
    notes: list[str] = []
    added = 0
    if not sources:
        return added, notes
    from leadflow.kb._backends import knowledge_for
    from leadflow.kb.ingest import load_path

    kb = knowledge_for(store)
    for source in sources:
        if "://" in source:
            notes.append(f"knowledge: {source} not fetched in a simulation (nothing leaves the machine)")
            continue
        path = Path(source) if Path(source).is_absolute() else base / source
        try:
            kb.put_document(WORKSPACE, campaign, load_path(path))
        except (OSError, LeadflowError) as exc:
            notes.append(f"knowledge: {source} not added: {exc}")
        else:
            added += 1
    return added, notes


def _offline(campaign: Campaign) -> Campaign:
    """The campaign as the simulation runs it: on autopilot, not paused, with the built-in calendar."""
    settings = {k: v for k, v in campaign.settings.items() if k not in ("rep_calendar", "autonomy", "paused")}
    update: dict[str, Any] = {"settings": settings}
    for name, value in (("autonomy", "autopilot"), ("paused", False)):
        if name in type(campaign).model_fields:
            update[name] = value
    return campaign.model_copy(update=update)


# -- prospects ---------------------------------------------------------------------------------


def _region_keys(icp: dict[str, Any]) -> dict[str, str]:
    """The simulator's regions the profile names -> the profile's own word for it."""
    found: dict[str, str] = {}
    for written in icp.get("regions") or []:
        word = str(written).strip().lower()
        for key, names in _REGIONS:
            if word in names and key not in found:
                found[key] = str(written)
    return found


def _title(rng: random.Random, keywords: Sequence[str]) -> str:
    pool = [t for t in (*_data.B2B_TITLES, *_data.EXEC_TITLES) if any(k.lower() in t.lower() for k in keywords)]
    if pool:
        return rng.choice(pool)
    word = rng.choice(list(keywords)).strip()
    if word.lower() in _SENIOR:
        return f"{word.title() if len(word) > 3 else word.upper()} of Sales"
    return f"Head of {word.title()}"


def icp_prospects(campaign: Campaign, *, seed: int, n: int) -> list[SimProspect]:
    """``n`` synthetic prospects drawn to fit the campaign's ideal customer profile.

    Industries come from the profile (a business list when it names none); :data:`FIT_SHARE` of
    the prospects get a title with one of its title or seniority words, a head count within its
    company size and a place in one of its regions (written as the profile writes it, so triage
    reads it); the others keep what the generator drew. A pure function of the seed.
    """
    icp = campaign.ideal_customer_profile
    industries = tuple(str(i) for i in icp.get("industries") or ()) or ("b2b_saas",)
    regions = _region_keys(icp)
    # draw extra prospects and keep those in the profile's regions, so names, phones and zones agree
    pool = generate_prospects(seed=seed, n=n * (8 if regions else 1), industries=industries)
    chosen: list[SimProspect] = []
    for p in pool:
        if len(chosen) == n:
            break
        rng = random.Random(f"{seed}:{p.id}:fit")
        fits = rng.random() < FIT_SHARE
        if regions and p.lead.attributes.get("region") not in regions and fits:
            continue
        chosen.append(_fitted(p, rng, icp, regions) if fits else p)
    for p in pool[len(chosen):]:  # too few in the regions: take the rest as drawn
        if len(chosen) == n:
            break
        if p not in chosen:
            chosen.append(p)
    return chosen


def _fitted(p: SimProspect, rng: random.Random, icp: dict[str, Any], regions: dict[str, str]) -> SimProspect:
    lead = p.lead
    attributes = dict(lead.attributes)
    update: dict[str, Any] = {}
    if icp.get("titles"):
        update["title"] = _title(rng, [str(t) for t in icp["titles"]])
    low, high = icp.get("min_team_size"), icp.get("max_team_size")
    if low is not None or high is not None:
        lo = int(low or 1)
        attributes["employees"] = rng.randint(lo, max(lo, int(high or lo * 10)))
    region = attributes.get("region")
    if region in regions:
        attributes["region"] = regions[str(region)]
    update["attributes"] = attributes
    if lead.company is None:  # a consumer drawn for a business profile: give them a company
        name = f"{rng.choice(_data.COMPANY_FIRST)}{rng.choice(_data.COMPANY_SECOND)}"
        update.update(company=f"{name} {rng.choice(_data.COMPANY_SUFFIX)}", company_domain=f"{name.lower()}.example")
    return SimProspect(p.id, lead.model_copy(update=update), p.propensities, p.persona)


def _with_behaviour(leads: Sequence[tuple[str, Lead]], *, seed: int) -> list[SimProspect]:
    """The user's own leads, each with a simulated person's propensities (drawn from the seed)."""
    drawn = generate_prospects(seed=seed, n=len(leads))
    return [SimProspect(lead_id, lead, d.propensities, d.persona)
            for (lead_id, lead), d in zip(leads, drawn, strict=True)]


# -- the run -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Draft:
    """One message an agent wrote in the simulation, in full."""

    agent: str
    lead: str
    channel: str
    subject: str | None
    text: str
    status: str
    sender: str | None = None
    written_by: str | None = None


@dataclass
class SimulationReport:
    """What a dry run of a campaign showed."""

    campaign: str
    autonomy: str
    leads: int
    source: str  # "synthetic (fitted to the ICP)" or the CSV's name
    started: datetime
    ended: datetime
    funnel: list[tuple[str, int]]
    drafts: dict[str, list[Draft]] = field(default_factory=dict)
    messages: int = 0
    held: list[tuple[Draft, str]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    tiers: dict[str, int] = field(default_factory=dict)
    documents: int = 0  # knowledge documents the campaign's knowledge base held


def simulate_campaign(
    campaign: Campaign,
    *,
    leads: int = 25,
    csv: Path | None = None,
    days: int = 30,
    seed: int = 7,
    knowledge: Sequence[str] = (),
    knowledge_base: Path | None = None,
    workdir: Path | None = None,
) -> SimulationReport:
    """Run ``campaign`` for ``days`` simulated days on synthetic prospects (or the leads in ``csv``).

    Args:
        campaign: The campaign as loaded from its file (:func:`load_campaign_file`).
        leads: How many synthetic prospects (ignored with ``csv``).
        csv: The user's own leads, imported as ``leadflow import`` does.
        days: How long the simulated campaign runs from its start.
        seed: The same seed gives the same prospects, replies and report.
        knowledge: The campaign's knowledge sources (local paths are added).
        knowledge_base: The folder relative knowledge paths are read from.
        workdir: Where the temporary database goes (a new temporary folder by default, removed after).
    """
    if days < 1:
        raise InvalidInput("days: simulate at least 1 day")
    if csv is None and leads < 1:
        raise InvalidInput("leads: simulate at least 1 lead")
    mode = autonomy_mode(campaign)
    if workdir is None:
        with tempfile.TemporaryDirectory(prefix="leadflow-sim-") as tmp:
            return simulate_campaign(campaign, leads=leads, csv=csv, days=days, seed=seed, knowledge=knowledge,
                                     knowledge_base=knowledge_base, workdir=Path(tmp))
    db_url = f"sqlite:///{workdir / 'simulation.db'}"
    store = open_store(db_url)
    clock = SimClock(store, start=START)
    store.save_campaign(WORKSPACE, _offline(campaign))
    documents, notes = _add_knowledge(store, campaign.name, knowledge, knowledge_base or Path.cwd())
    if csv is not None:
        from leadflow.orchestrator.csv_import import import_csv
        from leadflow.orchestrator.intake import Intake

        imported = import_csv(Intake(store=store, clock=clock), store, WORKSPACE, campaign.name, csv)
        notes += [f"{csv.name}: {r.line}: {r.message}" for r in imported.rejected]
        states = store.list_leads(WORKSPACE, limit=1_000_000)
        prospects = _with_behaviour([(s.lead_id, s.lead) for s in states], seed=seed)
        source = csv.name
    else:
        prospects = icp_prospects(campaign, seed=seed, n=leads)
        source = "synthetic, drawn to fit the ICP"
    world = SimWorld(prospects=prospects, seed=seed, clock=clock, path=workdir / "world.db")
    settings = Settings(db_url=db_url, transcript_path=str(workdir / "transcript.db"), workspace=WORKSPACE)
    web = SimWeb(p.lead for p in prospects)
    runtime = Runtime.build(settings, store=store, clock=clock, channel=world, inbound=[world],
                            extras={"fetcher": web})
    world.intake = runtime.intake
    try:
        if csv is None:
            for p in prospects:
                runtime.intake.create_lead(WORKSPACE, campaign.name, p.lead, lead_id=p.id)
        end = START + timedelta(days=days)
        _run_until(runtime, world, end)
        report = _report(runtime.store, campaign.name, mode, source, START, end)
    finally:
        world.close()
        runtime.close()
    report.notes[:0] = notes
    report.documents = documents
    return report


def _run_until(runtime: Runtime, world: SimWorld, end: datetime, *, max_rounds: int = 1_000_000) -> None:
    """The worker's simulated loop (``run_until_idle(simulate=True)``), stopping at ``end``."""
    worker, clock = runtime.worker, runtime.clock
    for _ in range(max_rounds):
        if worker.tick():
            continue
        wakeups = [w for w in (runtime.store.next_wakeup(), world.next_arrival()) if w]
        if not wakeups or min(wakeups) > end:
            return
        if min(wakeups) > clock.now():
            clock.advance_to(min(wakeups))


def _report(store: Store, campaign: str, mode: str, source: str, started: datetime, ended: datetime) -> SimulationReport:
    states = store.list_leads(WORKSPACE, limit=1_000_000)
    report = SimulationReport(campaign=campaign, autonomy=mode, leads=len(states), source=source,
                              started=started, ended=ended, funnel=funnel(states))
    for s in states:
        if s.tier:
            report.tiers[s.tier] = report.tiers.get(s.tier, 0) + 1
    shown: dict[str, set[str]] = {}
    for s in states:
        rows = store.actions_for(WORKSPACE, s.lead_id)
        name = s.lead.full_name
        for row in rows:
            if row.action.kind not in CONTACT_ACTIONS:
                continue
            report.messages += 1
            agent = row.action.agent
            samples = report.drafts.setdefault(agent, [])
            leads_shown = shown.setdefault(agent, set())
            if len(samples) < SAMPLES_PER_AGENT and s.lead_id not in leads_shown:  # one lead each: variety
                samples.append(_draft(row, name))
                leads_shown.add(s.lead_id)
        report.held += [(_draft(row, name), why) for row, why in would_hold(mode, rows)]
    return report


def _draft(row: ActionRow, lead: str) -> Draft:
    a = row.action
    writer = a.payload.get("written_by") or a.payload.get("draft")
    return Draft(agent=a.agent, lead=lead, channel=a.kind.value.removeprefix("send_"), subject=a.subject,
                 text=a.body, status=row.status, sender=str(a.payload["from"]) if a.payload.get("from") else None,
                 written_by=str(writer) if writer else None)
