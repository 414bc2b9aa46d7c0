"""Closing agent: coaches the human seller through objections, stalls and competitors.

It never writes to the prospect. Everything it produces, a pre-meeting brief, objection
playbooks grounded in the knowledge base with citations, competitor comparisons, stalled-deal
alerts with a drafted follow-up, reaches the human as a ``NOTIFY_HUMAN`` action, and the human
decides what to send.

* ``lead.appointment_booked``: a brief for the rep, and the durable ``closing:stalled`` timer
  (5 days) plus ``closing:after_meeting`` (the deal enters ``closing`` once the meeting is over);
* ``reply.classified`` with an objection (price, timing, competition) or in ``closing``: the
  matching playbook from the knowledge base, cited, and a draft answer;
* ``closing:stalled`` fires (or ``lead.stalled`` in ``closing``): after 5 days without movement
  an alert with a drafted follow-up; over 14 days an escalation (``deal_stalled`` rule).

The knowledge base comes from ``ctx.kb``: the runtime gives every campaign its own documents
(``leadflow kb add``, :class:`~leadflow.kb.CampaignKnowledge`), and a user's campaign without
documents gets no passages, so the playbook says nothing matched and the draft states no figures.
The demo pages in ``kb_seed/`` serve only the simulator's demo campaign, and a bare context
without any ``kb`` (direct calls, unit tests). Passages are searched with ``safe_only=True``, so a page carrying
instruction-like text never reaches a brief or a prompt.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from functools import cache
from pathlib import Path
from typing import ClassVar, Literal

from pydantic import BaseModel, Field

from leadflow.agents._kb_answer import readable
from leadflow.agents._llm import data_block, one_line
from leadflow.agents.base import AgentCard, AgentContext, Decision
from leadflow.agents.escalation import default_rules, evaluate_escalation, notify_human
from leadflow.domain.actions import TimerSpec
from leadflow.domain.events import Event, EventType
from leadflow.domain.models import Direction, LeadState, Stage
from leadflow.exceptions import ModelFailure
from leadflow.kb import KnowledgeBase, Passage

OWNER_SAFE = {"human": True}
"""Closing only briefs the human seller, so its timers fire after a hand-over too."""

KB_SEED = Path(__file__).with_name("kb_seed")
PROMPT = Path(__file__).with_name("prompts") / "closing.md"
STALL_AFTER = timedelta(days=5)
PASSAGE_CHARS = 4000  # of one knowledge-base passage shown to the model
MOVED_KEY = "_deal_moved_at"

Approach = Literal["value", "trade_off", "payment", "timing", "comparison", "acknowledge"]

#: intent -> (objection name, search query, default approach)
OBJECTIONS: dict[str, tuple[str, str, Approach]] = {
    "objection_price": ("price", "price objection value budget cost payment options start smaller", "value"),
    "objection_timing": ("timing", "timing objection not now later waiting pilot revisit date", "timing"),
    "objection_competitor": ("competition", "competition objection competitor comparison positioning stronger", "comparison"),
    "objection_need": ("need", "what it does results customers report replace reps", "acknowledge"),
}


class ObjectionResponse(BaseModel):
    """How to answer one objection: a draft for the seller, grounded in cited passages."""

    reply: str = Field(description="a short draft the human seller may send to the prospect")
    citations: list[str] = Field(description="doc_id of every retrieved passage the reply relies on")
    approach: Approach


@cache
def seed_kb() -> KnowledgeBase:
    """The demo knowledge base in ``kb_seed/``, indexed once in memory (default workspace)."""
    kb = KnowledgeBase()
    for path in sorted(KB_SEED.glob("*.md")):
        if path.name != "README.md":
            text = path.read_text(encoding="utf-8")
            h1 = next((line[2:].strip() for line in text.splitlines() if line.startswith("# ")), path.stem)
            kb.add_text(text, title=h1, source=f"kb_seed/{path.name}")
    return kb


def retrieve(ctx: AgentContext, query: str, *, k: int = 3) -> list[Passage]:
    """Safe passages for ``query`` from ``ctx.kb`` (this workspace) or the seed knowledge base."""
    if ctx.kb is not None:
        found: list[Passage] = ctx.kb.search(query, k=k + 2, workspace_id=ctx.workspace_id, safe_only=True)
    else:
        found = seed_kb().search(query, k=k + 2, safe_only=True)
    # a chunk that is only the italic disclaimer under a title carries nothing to quote
    useful = [p for p in found if len(p.text.strip()) > 60 and not p.suspicious]
    return useful[:k]


def _section(p: Passage) -> str:
    return p.heading.split(" > ")[-1] if p.heading else p.citation.title


def _sentences(text: str) -> list[str]:
    flat = " ".join(text.replace("- ", " ").split())
    return [s.strip() for s in re.split(r"(?<=[.!?])\s+", flat) if s.strip()]


def _numbers(text: str) -> set[str]:
    return set(re.findall(r"\d+(?:[.,]\d+)*", text))


def sources(passages: list[Passage]) -> str:
    return "\n".join(
        f"[{n}] {_section(p)} ({p.citation.source}#{p.citation.chunk_no}, doc {p.citation.doc_id})"
        for n, p in enumerate(passages, 1)
    )


def cited(passages: list[Passage]) -> list[dict[str, str | int]]:
    """The passages' documents and sections, for a decision's payload and the trace."""
    return [
        {"doc_id": p.citation.doc_id, "title": p.citation.title, "section": _section(p),
         "source": p.citation.source, "chunk": p.citation.chunk_no}
        for p in passages
    ]


def offline_objection(state: LeadState, intent: str, passages: list[Passage], *, rep: str) -> ObjectionResponse:
    """A template answer quoting the passages' factual sentences (those with figures first)."""
    name, _query, approach = OBJECTIONS.get(intent, OBJECTIONS["objection_need"])
    facts: list[str] = []
    for p in passages:
        sentences = _sentences(readable(p.text))
        pick = next((s for s in sentences if _numbers(s)), sentences[0] if sentences else "")
        if pick and pick not in facts:
            facts.append(pick)
    body = " ".join(facts[:2]) if facts else f"I'd be glad to talk through the {name} question."
    reply = (
        f"Hi {state.lead.first_name}, thanks for being open about {name}. {body} "
        f"Would a short call with {rep} to walk through it help?"
    )
    return ObjectionResponse(reply=reply, citations=[p.citation.doc_id for p in passages], approach=approach)


def check_grounded(answer: ObjectionResponse, passages: list[Passage]) -> None:
    """Raise ``ModelFailure`` unless the answer cites retrieved passages and only their figures."""
    retrieved = {p.citation.doc_id: p for p in passages}
    if not answer.citations:
        raise ModelFailure("closing: the answer cites no passage")
    unknown = [c for c in answer.citations if c not in retrieved]
    if unknown:
        raise ModelFailure(f"closing: the answer cites passages that were not retrieved: {unknown}")
    allowed = set().union(*(_numbers(retrieved[c].text) for c in answer.citations))
    invented = _numbers(answer.reply) - allowed
    if invented:
        raise ModelFailure(f"closing: figures not found in the cited passages: {sorted(invented)}")


def _moved_at(state: LeadState, fallback: datetime) -> datetime:
    raw = state.qualification.get(MOVED_KEY)
    moved = datetime.fromisoformat(raw) if isinstance(raw, str) else fallback
    inbound = [m.at for m in state.messages if m.direction is Direction.INBOUND]
    return max([moved, *inbound])


def _quote(text: str, limit: int = 300) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


class ClosingAgent:
    card: ClassVar[AgentCard] = AgentCard(
        name="closing",
        description="Supports the human seller: KB-grounded objection playbooks, competitor comparisons, "
        "pre-meeting briefs and stalled-deal alerts with drafted follow-ups (never sent to the prospect).",
        capabilities=["objection_handling", "competitive_intel", "deal_follow_up", "rep_brief"],
        inputs=["lead.appointment_booked", "reply.classified", "lead.stalled", "timer.fired"],
        outputs=["agent.escalated"],
        model_tier="strong",
        expected_latency_ms=30,
    )

    # -- offline ------------------------------------------------------------------------
    def handle(self, ctx: AgentContext, state: LeadState, event: Event) -> Decision:
        if event.type == EventType.LEAD_APPOINTMENT_BOOKED:
            return self._booked(ctx, state, event)
        if event.type == EventType.TIMER_FIRED and event.payload.get("timer") == "closing:after_meeting":
            return self._after_meeting(ctx, state, event)
        if event.type in (EventType.TIMER_FIRED, EventType.LEAD_STALLED):
            return self._stalled(ctx, state, event)
        if event.type == EventType.REPLY_CLASSIFIED:
            intent = str(event.payload.get("intent") or "other")
            passages = retrieve(ctx, self._query(ctx, intent, event))
            answer = offline_objection(state, intent, passages, rep=ctx.campaign.rep_name)
            return self._coach(ctx, state, event, intent, passages, answer)
        return Decision(result="ignored", summary=f"nothing to do for {event.type}")

    # -- model --------------------------------------------------------------------------
    def handle_llm(self, ctx: AgentContext, state: LeadState, event: Event) -> Decision:
        """Objection answers from the strong model, checked against the retrieved passages."""
        if event.type != EventType.REPLY_CLASSIFIED:
            return self.handle(ctx, state, event)
        if ctx.llm is None:
            raise ModelFailure("closing: no model configured")
        intent = str(event.payload.get("intent") or "other")
        passages = retrieve(ctx, self._query(ctx, intent, event))
        if not passages:
            raise ModelFailure("closing: nothing in the knowledge base to ground an answer")
        quoted = "\n".join(
            data_block("passage", p.text, limit=PASSAGE_CHARS, doc_id=p.citation.doc_id, section=_section(p))
            for p in passages
        )
        prompt = (
            f"Objection type: {one_line(intent, limit=40)}.\n"
            f"Seller: {ctx.campaign.rep_name} of {ctx.campaign.company_name}.\n"
            + data_block("prospect", {"first_name": state.lead.first_name, "company": state.lead.company})
            + "\n"
            + data_block("prospect_message", str(event.payload.get("text") or ""), limit=1500)
            + f"\nPassages:\n{quoted}"
        )
        result = ctx.llm.run(
            agent_name=self.card.name, tier="strong", instructions=PROMPT.read_text(encoding="utf-8"),
            prompt=prompt, output_type=ObjectionResponse,
        )
        answer: ObjectionResponse = result.output
        check_grounded(answer, passages)
        used = [p for p in passages if p.citation.doc_id in set(answer.citations)]
        decision = self._coach(ctx, state, event, intent, used, answer)
        return decision.model_copy(update={
            "model": result.model_name, "tokens": result.input_tokens + result.output_tokens, "cost_usd": result.cost_usd,
        })

    # -- steps --------------------------------------------------------------------------
    def _query(self, ctx: AgentContext, intent: str, event: Event) -> str:
        text = str(event.payload.get("text") or "")
        if intent in OBJECTIONS:
            query = OBJECTIONS[intent][1]
            rival = self.competitor_in(ctx, text)
            return f"{rival} comparison stronger positioning" if rival else query
        return text[:300] or "overview"

    def competitor_in(self, ctx: AgentContext, text: str) -> str | None:
        """A competitor the reply names that the knowledge base has a comparison page for."""
        kb = ctx.kb if ctx.kb is not None else seed_kb()
        docs = kb.documents(workspace_id=ctx.workspace_id if ctx.kb is not None else None)
        for doc in docs:
            m = re.search(r"\bvs\.?\s+(\w[\w-]*)", doc.title, re.IGNORECASE)
            if m is None:
                continue
            name = m.group(1)
            if re.search(rf"\b{re.escape(name)}\b", text, re.IGNORECASE):
                return name
        return None

    def competitor_comparison(self, ctx: AgentContext, competitor: str) -> tuple[str, list[Passage]]:
        """How we compare to ``competitor``, from the knowledge base, with numbered citations."""
        passages = retrieve(ctx, f"{competitor} comparison stronger positioning", k=3)
        lines = [f"How we compare to {competitor} (from the knowledge base):"]
        lines += [f"{n}. {_section(p)}: {_quote(readable(p.text), 400)} [{n}]" for n, p in enumerate(passages, 1)]
        return "\n".join(lines), passages

    def _coach(
        self, ctx: AgentContext, state: LeadState, event: Event, intent: str, passages: list[Passage],
        answer: ObjectionResponse,
    ) -> Decision:
        now = ctx.clock.now()
        name = OBJECTIONS[intent][0] if intent in OBJECTIONS else intent.replace("_", " ")
        said = _quote(str(event.payload.get("text") or ""))
        lines = [f'{state.lead.full_name} ({state.lead.company or "-"}) wrote, quoted as data: "{said}"', ""]
        if passages:
            lines.append(f"Ways to handle the {name} point, from the playbooks:")
            lines += [f"{n}. {_section(p)}: {_quote(readable(p.text), 320)} [{n}]" for n, p in enumerate(passages, 1)]
        else:
            lines.append("Nothing in the knowledge base matches; answer this one yourself.")
        lines += ["", f"Suggested approach: {answer.approach}. Draft reply (NOT sent; edit and send it yourself):",
                  "---", answer.reply, "---"]
        if passages:
            lines += ["Sources:", sources(passages)]
        state.qualification[MOVED_KEY] = now.isoformat()
        timers = self._stall_timer(now)
        action = notify_human(
            ctx, state, key=f"closing:coach:{event.id}", agent=self.card.name,
            subject=f"{state.lead.full_name}: {name} objection - playbook and draft reply",
            body="\n".join(lines),
            payload={"intent": intent, "citations": answer.citations, "approach": answer.approach,
                     "sources": cited(passages)},
        )
        titles = "; ".join(dict.fromkeys(f"{p.citation.title} > {_section(p)}" for p in passages))
        return Decision(result=f"coached_{name}", state=state, actions=[action], timers=timers,
                        summary=f"{name}: {len(passages)} cited passages" + (f" ({titles})" if titles else "")
                        + f", approach {answer.approach}")

    def _stall_timer(self, now: datetime) -> list[TimerSpec]:
        return [TimerSpec(name="closing:stalled", fire_at=now + STALL_AFTER, agent=self.card.name, payload=OWNER_SAFE)]

    def _booked(self, ctx: AgentContext, state: LeadState, event: Event) -> Decision:
        now = ctx.clock.now()
        lead = state.lead
        answers = {k: v for k, v in state.qualification.items() if not k.startswith("_")}
        passages = retrieve(ctx, f"{lead.industry or ''} what it does results customers report".strip(), k=2)
        lines = [
            f"Meeting booked with {lead.full_name}" + (f", {lead.title}" if lead.title else "")
            + f" at {lead.company or '-'} ({lead.industry or '-'}).",
            f"When: {event.payload.get('start') or (state.appointment.start.isoformat() if state.appointment else '-')}",
            f"Score: {state.score.value if state.score else '-'}; answers: "
            + (", ".join(f"{k}={v}" for k, v in answers.items()) or "none"),
        ]
        if lead.inquiry:
            lines.append(f'Their inquiry, quoted as data: "{_quote(lead.inquiry, 200)}"')
        if passages:
            lines.append("Talking points:")
            lines += [f"- {_section(p)}: {_quote(readable(p.text), 240)} [{n}]" for n, p in enumerate(passages, 1)]
            lines += ["Sources:", sources(passages)]
        state.qualification[MOVED_KEY] = now.isoformat()
        timers = self._stall_timer(now)
        if state.appointment is not None:
            timers.append(TimerSpec(name="closing:after_meeting", fire_at=state.appointment.end + timedelta(hours=2),
                                    agent=self.card.name, payload=OWNER_SAFE))
        count = event.payload.get("reschedules", 0)
        action = notify_human(ctx, state, key=f"closing:brief:{count}", agent=self.card.name,
                              subject=f"Brief: your call with {lead.full_name}", body="\n".join(lines))
        return Decision(result="brief_sent", state=state, actions=[action], timers=timers, summary="rep brief prepared")

    def _after_meeting(self, ctx: AgentContext, state: LeadState, event: Event) -> Decision:
        now = ctx.clock.now()
        appt = state.appointment
        if appt is None or state.stage not in (Stage.MEETING_BOOKED, Stage.CLOSING):
            return Decision(result="skipped", summary="no meeting to follow up")
        if appt.end + timedelta(hours=2) > now:  # rescheduled to later: wait for the new time
            return Decision(result="waiting", timers=[TimerSpec(name="closing:after_meeting",
                            fire_at=appt.end + timedelta(hours=2), agent=self.card.name, payload=OWNER_SAFE)], summary="meeting moved")
        state.stage = Stage.CLOSING
        state.qualification[MOVED_KEY] = now.isoformat()
        draft = (f"Hi {state.lead.first_name}, thanks for your time with {appt.with_rep} today. "
                 "As promised, here is a short summary and the next steps we discussed. "
                 "Which day suits you for a follow-up?")
        action = notify_human(ctx, state, key="closing:after_meeting", agent=self.card.name,
                              subject=f"Follow up with {state.lead.full_name} after your call",
                              body=f"Your call with {state.lead.full_name} is over; the deal is now in closing.\n"
                                   f"Draft follow-up (NOT sent; edit and send it yourself):\n---\n{draft}\n---")
        return Decision(result="entered_closing", state=state, actions=[action], timers=self._stall_timer(now),
                        summary="meeting over; deal in closing")

    def _stalled(self, ctx: AgentContext, state: LeadState, event: Event) -> Decision:
        now = ctx.clock.now()
        if state.stage not in (Stage.MEETING_BOOKED, Stage.CLOSING):
            return Decision(result="skipped", summary=f"not a deal in progress ({state.stage.value})")
        moved = _moved_at(state, fallback=state.updated_at)
        days = (now - moved).total_seconds() / 86400
        if days < STALL_AFTER.days:
            timer = TimerSpec(name="closing:stalled", fire_at=moved + STALL_AFTER, agent=self.card.name, payload=OWNER_SAFE)
            return Decision(result="moving", timers=[timer], summary=f"moved {days:.1f} days ago")
        probe = event.model_copy(update={"type": EventType.TIMER_FIRED.value, "payload": {**event.payload, "stalled_days": days}})
        escalation = evaluate_escalation(state, probe, default_rules().for_agent(self.card.name), now=now)
        last_in = next((m for m in reversed(state.messages) if m.direction is Direction.INBOUND), None)
        last_out = next((m for m in reversed(state.messages) if m.direction is Direction.OUTBOUND), None)
        last = last_in or last_out
        draft = (f"Hi {state.lead.first_name}, following up on our conversation"
                 + (f" about {state.lead.company}" if state.lead.company else "")
                 + f". Is there anything I can answer to help you decide? Happy to find a time with {ctx.campaign.rep_name}.")
        body = "\n".join([
            f"Heads up: the {state.lead.full_name} deal hasn't moved in {days:.0f} days.",
            "Last contact: " + (f'{last.direction.value} {last.at:%Y-%m-%d}: "{_quote(last.body, 160)}"' if last else "none"),
            "Suggested action: follow up today.",
            "Draft message (NOT sent; send it yourself or adapt it):", "---", draft, "---",
        ])
        action = notify_human(ctx, state, key=f"closing:stalled:{int(days)}", agent=self.card.name,
                              subject=f"Stalled deal: {state.lead.full_name} ({days:.0f} days)", body=body,
                              payload={"stalled_days": round(days, 1)})
        timers = [] if escalation else [TimerSpec(name="closing:stalled", fire_at=now + STALL_AFTER, agent=self.card.name, payload=OWNER_SAFE)]
        return Decision(result="stalled_escalated" if escalation else "stalled_alert", actions=[action], timers=timers,
                        escalation=escalation, summary=f"no movement for {days:.0f} days")

