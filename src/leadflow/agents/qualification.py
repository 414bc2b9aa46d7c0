"""Qualification agent: multi-turn questions from an industry pack, then a hot/warm/cold score.

Packs live in ``agents/packs/*.yaml``: questions with how to read their answers, scoring
rules as the design documents give them, and the nurture schedule. Answers are taken from
every reply, in any order, several at once; "just browsing" ends it cold.

In model mode the model reads the reply (quoted as a data block) into typed answers. A numeric
answer (money, number, timeline) is kept only when the reply states that figure and it lies in
a plausible range (:mod:`leadflow.agents._figures`); otherwise it counts as not given, the
offline reading may still find it, and the step's summary says what was dropped.
"""

from __future__ import annotations

import operator
import re
from functools import cache
from pathlib import Path
from typing import Any, ClassVar

import yaml
from pydantic import BaseModel, ConfigDict, Field

from leadflow.agents._compose import outbound, preferred_channel
from leadflow.agents._extract import BROWSING, extract
from leadflow.agents._figures import unsupported
from leadflow.agents._kb_answer import kb_answer
from leadflow.agents._llm import data_block
from leadflow.agents.base import AgentCard, AgentContext, Decision, EmitEvent
from leadflow.domain.events import Event, EventType
from leadflow.domain.models import Campaign, Channel, LeadState, Score, Stage
from leadflow.exceptions import ConfigError, ModelFailure

PACKS = Path(__file__).with_name("packs")
PROMPT = Path(__file__).with_name("prompts") / "qualification.md"
MAX_TURNS = 4
REPLY_CHARS = 3000  # of a reply shown to the model; its figures are checked against these
_OPS = {"<": operator.lt, "<=": operator.le, ">": operator.gt, ">=": operator.ge, "==": operator.eq, "!=": operator.ne}


@cache  # a handful of packs, each read once per process
def load_pack(name: str) -> dict[str, Any]:
    """An industry pack, read once (treat it as read-only)."""
    path = PACKS / f"{name}.yaml"
    if not path.exists():
        raise ConfigError(f"no industry pack {name!r}; have: {', '.join(sorted(p.stem for p in PACKS.glob('*.yaml')))}")
    doc: dict[str, Any] = yaml.safe_load(path.read_text(encoding="utf-8"))
    # YAML 1.1 reads bare ``yes:`` / ``no:`` keys as booleans: a yes/no question's cue lists
    doc["questions"] = [
        {("yes" if k is True else "no" if k is False else k): v for k, v in q.items()} for q in doc.get("questions", [])
    ]
    return doc


def pack_for(campaign: Campaign) -> dict[str, Any]:
    """The campaign's questions, scoring and nurture schedule: its own (``Campaign.pack``, from
    a campaign file) or its industry pack. The campaign decides, never a lead's industry field
    (a lead's fields only personalise); a campaign file's sequence gives the nurture schedule."""
    pack = campaign.pack if campaign.pack is not None else load_pack(campaign.industry_pack)
    nurture = campaign.settings.get("nurture")  # [] is "no follow-ups", not "the pack's"
    return {**pack, "nurture": nurture} if nurture is not None else pack


def _holds(rule: str, answers: dict[str, Any]) -> bool:
    m = re.match(r"^\s*(\w+)\s*(<=|>=|==|!=|<|>)\s*(\S+)\s*$", rule)
    if not m:
        raise ConfigError(f"bad scoring rule {rule!r}")
    key, op, raw = m.groups()
    value = answers.get(key)
    if value is None:
        return False
    want: Any = raw
    try:
        want = float(raw)
        value = float(value)
    except (TypeError, ValueError):
        value = str(value)
    try:
        return bool(_OPS[op](value, want))
    except TypeError:
        return False


def score(pack: dict[str, Any], answers: dict[str, Any]) -> tuple[Score, float]:
    rules = pack.get("scoring", {})
    if answers.get("_browsing"):
        return Score.COLD, 15.0
    if rules.get("hot") and all(_holds(r, answers) for r in rules["hot"]):
        return Score.HOT, 85.0 + min(10.0, len(answers))
    warm = (rules.get("warm") and all(_holds(r, answers) for r in rules["warm"])) or any(
        _holds(r, answers) for r in rules.get("warm_any", [])
    )
    if warm:
        return Score.WARM, 60.0
    return Score.COLD, 30.0


class ExtractedAnswers(BaseModel):
    """What a model read from one reply: answers keyed by the pack's question keys."""

    model_config = ConfigDict(extra="forbid")

    answers: dict[str, float | str] = Field(default_factory=dict)
    browsing: bool = False


class QualificationAgent:
    card: ClassVar[AgentCard] = AgentCard(
        name="qualification",
        description="Multi-turn qualification with industry question packs and hot/warm/cold scoring.",
        capabilities=["qualify", "score_lead"],
        inputs=["lead.engaged", "reply.classified"],
        outputs=["lead.qualified"],
        model_tier="strong",
        expected_latency_ms=40,
    )

    def warm_up(self) -> None:
        """Read every industry pack now rather than on the first lead of each industry."""
        for path in sorted(PACKS.glob("*.yaml")):
            load_pack(path.stem)

    def handle(self, ctx: AgentContext, state: LeadState, event: Event) -> Decision:
        pack = pack_for(ctx.campaign)
        text = str(event.payload.get("text") or "")
        answers = state.qualification
        questions: list[dict[str, Any]] = pack["questions"]
        pending = set(state.pending_question.split(",")) if state.pending_question else set()
        found = []
        for q in questions:
            if q["key"] in answers and q["type"] != "timeline":
                continue
            value = extract(q, text, pending=q["key"] in pending)
            if value is not None and answers.get(q["key"]) != value:  # a later timeline replaces an earlier one
                answers[q["key"]] = value
                found.append(q["key"])
        if BROWSING.search(text):
            answers["_browsing"] = True
        answers["_turns"] = int(answers.get("_turns", 0)) + 1
        open_qs = [q for q in questions if q["key"] not in answers]
        intent = event.payload.get("intent")
        done = not open_qs or answers["_turns"] > MAX_TURNS or answers.get("_browsing") or (intent == "meeting_request" and len(found) + len(answers) > 3)
        if done:
            grade, value = score(pack, answers)
            state.score, state.score_value = grade, value
            state.stage = Stage.QUALIFIED if grade is Score.HOT else Stage.NURTURING
            state.pending_question = None
            return Decision(
                result=f"qualified_{grade.value}", state=state,
                events=[EmitEvent(type=EventType.LEAD_QUALIFIED, payload={"score": grade.value, "score_value": value,
                                                                         "answers": {k: v for k, v in answers.items() if not k.startswith("_")}})],
                summary=f"scored {grade.value} ({value:.0f}) from {len(answers) - 1} answers",
            )
        ask = open_qs[:2] if answers["_turns"] > 1 else open_qs[:1]
        state.stage = Stage.QUALIFYING
        state.pending_question = ",".join(q["key"] for q in ask)
        channel = preferred_channel(state, ctx.campaign)
        thanks = "Thanks, that helps! " if found else ("Thanks for getting back to me! " if answers["_turns"] == 1 else "Thanks! ")
        answer = kb_answer(ctx, text)  # their own question first, from the campaign's documents, cited
        body = thanks + (f"{answer.sentence} " if answer.sentence else "") + " ".join(q["ask"] for q in ask)
        action = outbound(
            state, ctx, channel=channel, key=f"qualify:{answers['_turns']}", body=body,
            subject="A couple of quick questions" if channel is Channel.EMAIL else None, agent=self.card.name,
            payload={"kb_sources": answer.sources()} if answer.passages else None,
        )
        cited = f"; answered their question from {answer.passages[0].citation.title!r}" if answer.passages else ""
        return Decision(result="asked", state=state, actions=[action] if action.to else [],
                        summary=f"found {found or 'nothing'}; asked {state.pending_question}{cited}")

    def handle_llm(self, ctx: AgentContext, state: LeadState, event: Event) -> Decision:
        """Read the answers with the model, then score and ask exactly as offline mode does."""
        text = str(event.payload.get("text") or "")
        if ctx.llm is None or event.type != EventType.REPLY_CLASSIFIED or not text:
            return self.handle(ctx, state, event)
        questions: list[dict[str, Any]] = pack_for(ctx.campaign)["questions"]
        keys = {q["key"]: q for q in questions}
        listing = "\n".join(f"- {q['key']} ({q['type']}): {q['ask']}" for q in questions if q["key"] not in state.qualification)
        shown = text[:REPLY_CHARS]
        result = ctx.llm.run(
            agent_name=self.card.name, tier="strong", instructions=PROMPT.read_text(encoding="utf-8"),
            prompt=f"Questions:\n{listing}\n" + data_block("reply", shown), output_type=ExtractedAnswers,
        )
        got: ExtractedAnswers = result.output
        unknown = sorted(set(got.answers) - set(keys))
        if unknown:
            raise ModelFailure(f"qualification: the model answered questions that were not asked: {unknown}")
        dropped: list[str] = []
        for key, value in got.answers.items():
            kind = keys[key]["type"]
            if kind in ("number", "money", "timeline"):
                if not isinstance(value, float | int):
                    raise ModelFailure(f"qualification: {key} should be a number, got {value!r}")
                why = unsupported(kind, float(value), shown)
                if why is not None:  # not given: the offline reading of the reply may still find it
                    dropped.append(f"{key} ({why})")
                    continue
            state.qualification.setdefault(key, value)
        if got.browsing:
            state.qualification["_browsing"] = True
        decision = self.handle(ctx, state, event)
        note = f"; model answers dropped: {', '.join(dropped)}" if dropped else ""
        return decision.model_copy(update={
            "model": result.model_name, "tokens": result.input_tokens + result.output_tokens, "cost_usd": result.cost_usd,
            "summary": decision.summary + note,
        })
