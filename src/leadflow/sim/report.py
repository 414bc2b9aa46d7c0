"""What each agent did in a workspace, read back from durable records: the demo's team table.

Everything here comes from the store (agent traces, the event log, the outbox), never from
counters kept while the campaign ran, so the table is the same for a finished run, a resumed
one and ``leadflow demo --keep`` on an existing database. Each agent gets its steps, how many
of them fell back (model to offline), and a line of the outputs that matter for that agent;
an agent this module does not know still gets its most common results.

Triage's line gives the tier mix; research's and response's lines give what each tier got
(research depth and pages read, who wrote the first message, model calls and their cost), so
the table shows the tier deciding how much is spent on a lead.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from leadflow.domain.actions import ActionKind
from leadflow.domain.events import EventType
from leadflow.state.base import Store

#: Pipeline order for the table; agents not listed follow alphabetically.
ORDER = ("research", "triage", "response", "reply_understanding", "qualification", "nurture", "appointment",
         "closing", "escalation", "post_sale")  # fmt: skip
_CHANNEL = {ActionKind.SEND_EMAIL: "email", ActionKind.SEND_SMS: "sms", ActionKind.SEND_LINKEDIN: "linkedin"}
# research's summary: "tier B, light research ...: 1 page(s), 5 signal(s) ..."
_DEPTH = re.compile(r"^tier [ABC], (deep|light|none) research")
_PAGES = re.compile(r"(\d+) page\(s\), (\d+) signal\(s\)")
TIERS = ("A", "B", "C")


@dataclass
class TierWork:
    """What one agent did for the leads of one tier (the lead's final tier, set by triage)."""

    leads: int = 0
    kinds: Counter[str] = field(default_factory=Counter)  # research depth, or who wrote the draft
    pages: int = 0
    model_calls: int = 0
    tokens: int = 0
    cost_usd: float = 0.0


@dataclass
class AgentLedger:
    """One agent's durable record in a workspace."""

    steps: int = 0
    fallbacks: int = 0
    errors: int = 0
    results: Counter[str] = field(default_factory=Counter)
    sent: Counter[str] = field(default_factory=Counter)  # channel -> messages delivered
    held: int = 0  # messages the dispatcher suppressed (opt-out, reply, consent)
    notes: int = 0  # notes to the human seller
    citations: int = 0  # knowledge-base passages cited in notes to the seller
    escalations: Counter[str] = field(default_factory=Counter)  # reason -> count
    flagged_leads: set[str] = field(default_factory=set)  # leads this agent escalated
    tiers: dict[str, TierWork] = field(default_factory=dict)  # lead tier -> the work done for it

    def tier(self, name: str | None) -> TierWork:
        return self.tiers.setdefault(name or "-", TierWork())


@dataclass(frozen=True)
class AgentWork:
    """A row of the team table."""

    agent: str
    steps: int
    fallbacks: int
    errors: int
    work: str


@dataclass
class TeamLedger:
    """Every agent's ledger plus the replies understood, by intent."""

    agents: dict[str, AgentLedger] = field(default_factory=dict)
    intents: Counter[str] = field(default_factory=Counter)

    def of(self, agent: str) -> AgentLedger:
        return self.agents.setdefault(agent, AgentLedger())


def read_ledger(store: Store, workspace: str, *, agents: Iterable[str] = ()) -> TeamLedger:
    """Read every lead's traces, events and actions in ``workspace`` into a ledger.

    ``agents`` are included even when they never ran (their row then shows 0 steps).
    """
    team = TeamLedger()
    for name in agents:
        team.of(name)
    for state in store.list_leads(workspace, limit=10_000_000):
        for trace in store.traces_for(workspace, state.lead_id):
            ledger = team.of(trace.agent)
            ledger.steps += 1
            ledger.fallbacks += trace.fallback_used
            ledger.errors += trace.error is not None
            if trace.agent in ("research", "response") and trace.event_type == EventType.LEAD_CREATED:
                work = ledger.tier(state.tier)
                work.leads += 1
                work.model_calls += trace.model is not None
                work.tokens += trace.tokens
                work.cost_usd += trace.cost_usd
                if (depth := _DEPTH.match(trace.decision)) is not None:
                    work.kinds[depth.group(1)] += 1
                if trace.agent == "research" and (pages := _PAGES.search(trace.decision)) is not None:
                    work.pages += int(pages.group(1))
        for event in store.lead_events(workspace, state.lead_id):
            p = event.payload
            if event.type in (EventType.AGENT_COMPLETED, EventType.AGENT_FAILED) and p.get("agent"):
                team.of(str(p["agent"])).results[str(p.get("result"))] += 1
            elif event.type == EventType.REPLY_CLASSIFIED:
                team.intents[str(p.get("intent") or "other")] += 1
            elif event.type == EventType.AGENT_ESCALATED and p.get("agent"):
                ledger = team.of(str(p["agent"]))
                ledger.escalations[str(p.get("reason") or "-")] += 1
                ledger.flagged_leads.add(state.lead_id)
        for row in store.actions_for(workspace, state.lead_id):
            ledger = team.of(row.action.agent)
            if row.action.kind is ActionKind.NOTIFY_HUMAN:
                ledger.notes += 1
                ledger.citations += len(row.action.payload.get("citations") or [])
            elif row.action.kind in _CHANNEL:
                if row.action.agent == "response" and row.action.payload.get("draft"):
                    ledger.tier(state.tier).kinds[str(row.action.payload["draft"])] += 1
                if row.status == "sent":
                    ledger.sent[_CHANNEL[row.action.kind]] += 1
                elif row.status == "suppressed":
                    ledger.held += 1
    return team


def team_work(store: Store, workspace: str, *, agents: Iterable[str] = ()) -> list[AgentWork]:
    """The team table's rows, in pipeline order: steps, fallbacks, errors and the work in words."""
    team = read_ledger(store, workspace, agents=agents)
    rank = {name: n for n, name in enumerate(ORDER)}
    rows = []
    for name in sorted(team.agents, key=lambda a: (rank.get(a, len(ORDER)), a)):
        ledger = team.agents[name]
        describe = _DESCRIBE.get(name, _generic)
        rows.append(AgentWork(name, ledger.steps, ledger.fallbacks, ledger.errors, describe(ledger, team)))
    return rows


# -- one line per agent -------------------------------------------------------------------


def _counts(counter: Counter[str], top: int = 4) -> str:
    items = counter.most_common()
    text = ", ".join(f"{k} {v}" for k, v in items[:top])
    return text + (f", +{len(items) - top} more" if len(items) > top else "")


def _prefixed(results: Counter[str], prefix: str) -> Counter[str]:
    return Counter({k.removeprefix(prefix): v for k, v in results.items() if k.startswith(prefix)})


def _sum(results: Counter[str], *prefixes: str) -> int:
    return sum(v for k, v in results.items() if k.startswith(prefixes))


def _sent(ledger: AgentLedger) -> str:
    text = " + ".join(f"{n} {channel}" for channel, n in sorted(ledger.sent.items())) or "0"
    return text + (f" ({ledger.held} held back)" if ledger.held else "")


def _generic(ledger: AgentLedger, team: TeamLedger) -> str:
    return _counts(ledger.results) or "-"


def _by_tier(ledger: AgentLedger, describe: Callable[[TierWork], str]) -> str:
    """``A …; B …; C …`` for the tiers that had leads (leads triage never saw come last, as ``-``)."""
    order = [t for t in TIERS if t in ledger.tiers] + sorted(set(ledger.tiers) - set(TIERS))
    return "; ".join(f"{t}: {describe(ledger.tiers[t])}" for t in order if ledger.tiers[t].leads)


def _model_use(work: TierWork) -> str:
    """``, 20 model calls, 31,000 tokens, $0.0412``; nothing when no model was called."""
    if not work.model_calls:
        return ""
    return f", {work.model_calls} model calls, {work.tokens:,} tokens, ${work.cost_usd:.4f}"


def _research_tier(work: TierWork) -> str:
    return f"{_counts(work.kinds) or '-'}, {work.pages / work.leads:.1f} pages/lead{_model_use(work)}"


def _research(ledger: AgentLedger, team: TeamLedger) -> str:
    found = _prefixed(ledger.results, "signals_")
    total = sum(int(k) * v for k, v in found.items() if k.isdigit())
    leads = sum(found.values())
    if not leads:
        return _generic(ledger, team)
    tiers = _by_tier(ledger, _research_tier)
    return f"{total} signals found for {leads} leads" + (f"; by tier {tiers}" if tiers else "")


def _triage(ledger: AgentLedger, team: TeamLedger) -> str:
    tiers = _prefixed(ledger.results, "tier_")
    total = sum(tiers.values())
    return (
        "tiers " + ", ".join(f"{k} {v} ({v / total:.0%})" for k, v in sorted(tiers.items()))
        if tiers
        else _generic(ledger, team)
    )


def _response_tier(work: TierWork) -> str:
    return f"{_counts(work.kinds) or '-'}{_model_use(work)}"


def _response(ledger: AgentLedger, team: TeamLedger) -> str:
    tiers = _by_tier(ledger, _response_tier)
    return f"first touches sent: {_sent(ledger)}" + (f"; drafts by tier {tiers}" if tiers else "")


def _reply(ledger: AgentLedger, team: TeamLedger) -> str:
    return f"{sum(team.intents.values())} replies understood: {_counts(team.intents, 5)}"


def _qualification(ledger: AgentLedger, team: TeamLedger) -> str:
    scores = _prefixed(ledger.results, "qualified_")
    return f"{ledger.results['asked']} questions asked; qualified {_counts(scores) or 'none'}"


def _nurture(ledger: AgentLedger, team: TeamLedger) -> str:
    return f"drip touches {_sent(ledger)}; {ledger.results['exhausted']} drips ran out"


def _appointment(ledger: AgentLedger, team: TeamLedger) -> str:
    r = ledger.results
    return (
        f"{r['proposed']} slot proposals, {r['booked']} booked, {r['rescheduled']} rescheduled, "
        f"{_sum(r, 'reminded')} reminders, {len(ledger.flagged_leads)} leads escalated"
    )


def _closing(ledger: AgentLedger, team: TeamLedger) -> str:
    r = ledger.results
    return (
        f"{r['brief_sent']} rep briefs, {_sum(r, 'coached_')} objections coached "
        f"({ledger.citations} KB citations), {r['entered_closing']} post-meeting follow-ups, "
        f"{_sum(r, 'stalled_')} stalled-deal alerts"
    )


def _escalation(ledger: AgentLedger, team: TeamLedger) -> str:
    reasons: Counter[str] = Counter()
    for other in team.agents.values():
        reasons.update(other.escalations)
    return f"{ledger.results['handed_off']} hand-offs to a human; reasons: {_counts(reasons, 5) or 'none'}"


def _post_sale(ledger: AgentLedger, team: TeamLedger) -> str:
    r = ledger.results
    replies = _sum(r, "reply_") + r["churn_risk"]
    return (
        f"{r['onboarding_started']} customers welcomed, {_sum(r, 'onboarding_day_')} onboarding emails, "
        f"{_sum(r, 'check_in_')} check-ins, {replies} customer replies read, "
        f"{len(ledger.flagged_leads)} customers flagged churn risk"
    )


_DESCRIBE: dict[str, Callable[[AgentLedger, TeamLedger], str]] = {
    "research": _research,
    "triage": _triage,
    "response": _response,
    "reply_understanding": _reply,
    "qualification": _qualification,
    "nurture": _nurture,
    "appointment": _appointment,
    "closing": _closing,
    "escalation": _escalation,
    "post_sale": _post_sale,
}
