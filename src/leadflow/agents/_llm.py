"""Shared helpers for agents' model modes: prompts, quoting untrusted text, grounding checks.

Every model mode follows the same shape: build a prompt in which prospect, web and knowledge-base
text sits inside clearly delimited blocks (:func:`leadflow.llm.datablock.data_block`, re-exported
here: the one builder of every data block), ask ``ctx.llm`` for a typed output,
check that output against what the agent actually had (:func:`supported`), and copy the call's
usage onto the decision (:func:`with_usage`). Anything that fails a check raises ``ModelFailure``
so the runner falls back to the offline mode.
"""

from __future__ import annotations

import html
import re
from functools import cache
from pathlib import Path
from typing import Any

from leadflow.agents.base import Decision
from leadflow.llm.datablock import data_block, one_line

__all__ = ["content_words", "data_block", "numbers", "one_line", "prompt", "supported", "with_usage"]

PROMPTS = Path(__file__).with_name("prompts")

_WORD = re.compile(r"[a-z0-9][a-z0-9.+#-]*[a-z0-9+#]|[a-z0-9]", re.IGNORECASE)
_NUMBER = re.compile(r"\d+(?:[.,]\d+)*")
_STOP = frozenset(
    "the a an and or of to in on at for with by from is are was were be been has have had its it this that "
    "their they them our we us you your as into over about more than not no but also new now".split()
)


@cache
def prompt(name: str) -> str:
    """The instructions in ``prompts/<name>.md``, read once."""
    return (PROMPTS / f"{name}.md").read_text(encoding="utf-8")


def content_words(text: str) -> set[str]:
    """Lower-cased words worth comparing (no stop words, no one-letter words)."""
    words = {w.lower().strip(".") for w in _WORD.findall(html.unescape(text))}
    return {w for w in words if len(w) > 1 and w not in _STOP}


def numbers(text: str) -> set[str]:
    """Every figure in ``text`` (``12``, ``1,000``, ``4.5``)."""
    return set(_NUMBER.findall(text))


def supported(claim: str, source: str, *, overlap: float = 0.5) -> bool:
    """Whether ``claim`` plausibly comes from ``source``.

    Every figure in the claim must appear in the source, and at least ``overlap`` of the claim's
    content words must too: a paraphrase passes, an invented fact or an instruction the model
    picked up elsewhere does not.
    """
    if not numbers(claim) <= numbers(source):
        return False
    words = content_words(claim)
    if not words:
        return False
    found = content_words(source)
    return len(words & found) / len(words) >= overlap


def with_usage(decision: Decision, result: Any) -> Decision:
    """``decision`` marked as the model's work, with the call's tokens and cost."""
    return decision.model_copy(
        update={
            "model": result.model_name,
            "tokens": result.input_tokens + result.output_tokens,
            "cost_usd": result.cost_usd,
        }
    )
