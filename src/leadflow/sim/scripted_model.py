"""A scripted stand-in for a language model, for the tiering bench and tests: no provider, real usage.

:func:`scripted_model` returns a pydantic-ai ``FunctionModel`` that answers the first-touch
pipeline's typed outputs the way a sensible model would, from the prompt alone:

* research (``ResearchFindings``): the first sentence of each page it was shown, cited to that page;
* triage (``TriageJudgement``): the rules' fit and tier, which the prompt quotes;
* the first message (``DraftOutput``): a short email opening with the first signal it was shown.

Any other output type gets an empty answer, which fails validation, so the agent falls back to its
offline engine (the bench and tests only run research, triage and response).

Each answer reports token usage the way a provider would, about four characters a token, counting
the instructions, the prompt and the answer, so bigger prompts (deep research, every signal)
cost more. :class:`~leadflow.llm.ModelRouter` prices it by the model's name (e.g. ``gpt-4o-mini``
with :data:`~leadflow.llm.usage.DEFAULT_PRICES`).
"""

from __future__ import annotations

import html
import json
import re
from typing import Any

from pydantic_ai.messages import ModelMessage, ModelRequest, ModelResponse, ToolCallPart, UserPromptPart
from pydantic_ai.models.function import AgentInfo, FunctionModel
from pydantic_ai.usage import RequestUsage

CHARS_PER_TOKEN = 4
_PAGE = re.compile(r'<page url="([^"]+)">\n(.*?)\n</page>', re.S)
_RULES = re.compile(r"fit (\d(?:\.\d+)?), tier ([ABC])")
_SIGNALS = re.compile(r"<signals>\n(.*?)\n</signals>", re.S)
_PROSPECT = re.compile(r"<prospect>\nfirst_name: (\S+)")


def tokens(text: str) -> int:
    """Roughly how many tokens ``text`` is (at least 1 for any text)."""
    return max(1, len(text) // CHARS_PER_TOKEN) if text else 0


def _prompt(messages: list[ModelMessage]) -> str:
    parts = [
        str(part.content)
        for message in messages
        if isinstance(message, ModelRequest)
        for part in message.parts
        if isinstance(part, UserPromptPart)
    ]
    return "\n".join(parts)


def _research(prompt: str) -> dict[str, Any]:
    signals = []
    for url, text in _PAGE.findall(prompt):
        first = re.split(r"(?<=[.!?])\s+", html.unescape(text).strip(), maxsplit=1)[0]
        if first:
            signals.append(
                {"kind": "other", "text": first[:280], "source": html.unescape(url), "confidence": 0.6}
            )
    return {"signals": signals}


def _triage(prompt: str) -> dict[str, Any]:
    rules = _RULES.search(prompt)
    if rules is None:
        return {}
    return {
        "fit": float(rules.group(1)),
        "tier": rules.group(2),
        "reasons": ["agrees with the profile match"],
    }


_FIELD = re.compile(r"^[A-Z][\w ]{1,30}: ")  # "Company size: 1200", "Title: VP Sales"


def _draft(prompt: str) -> dict[str, Any]:
    block = _SIGNALS.search(prompt)
    signals = json.loads(html.unescape(block.group(1))) if block else []
    who = _PROSPECT.search(prompt)
    name = html.unescape(who.group(1)) if who else "there"
    # a person writes about a fact, not its field: "Company size: 1200" is the gate's to reject
    texts = [str(s["text"]).strip().rstrip(".") for s in signals]
    signal = next((t for t in texts if not _FIELD.match(t)), texts[0] if texts else "")
    shown = signal.partition(": ")[2] if _FIELD.match(signal) else signal
    opener = f'I read that "{shown}".' if signal else "Thanks for getting in touch."
    body = (
        f"Hi {name},\n\n{opener} That usually means more conversations to follow up.\n\nWorth a short call?"
    )
    return {"subject": "a quick question", "body": body, "signal_used": signal}


def _answer(messages: list[ModelMessage], info: AgentInfo) -> ModelResponse:
    prompt = _prompt(messages)
    tool = info.output_tools[0] if info.output_tools else None
    fields = set((tool.parameters_json_schema.get("properties") or {}) if tool else ())
    if "signals" in fields:
        args = _research(prompt)
    elif {"fit", "tier"} <= fields:
        args = _triage(prompt)
    elif "body" in fields:
        args = _draft(prompt)
    else:
        args = {}
    text = json.dumps(args)
    usage = RequestUsage(input_tokens=tokens((info.instructions or "") + prompt), output_tokens=tokens(text))
    return ModelResponse(
        parts=[ToolCallPart(tool_name=tool.name if tool else "final_result", args=text)], usage=usage
    )


def scripted_model(model_name: str) -> FunctionModel:
    """A scripted model called ``model_name`` (name it after a priced model to get realistic costs)."""
    return FunctionModel(_answer, model_name=model_name)
