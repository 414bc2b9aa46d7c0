"""Language models for leadflow's agents: settings, providers, the router, usage and cost.

Build a router once at an entry point and hand it to the agents::

    settings = LLMSettings.from_env(os.environ)
    router = ModelRouter.from_settings(settings)
    if router.available:
        result = router.run(agent_name="closing", tier="strong", instructions=..., prompt=...,
                            output_type=Offer)

Every failure is a :mod:`leadflow.exceptions` error; ``Unavailable`` means "fall back offline".
Every prompt quotes untrusted text with :func:`data_block` (:mod:`leadflow.llm.datablock`).
"""

from __future__ import annotations

from leadflow.llm.datablock import data_block
from leadflow.llm.providers import build_model, model_label
from leadflow.llm.router import LLMResult, ModelRouter
from leadflow.llm.settings import AGENT_TIERS, DEFAULT_MODELS, LLMSettings, ProviderName, Tier
from leadflow.llm.usage import DEFAULT_PRICES, ModelPrice, UsageLedger, UsageStats, UsageSummary

__all__ = [
    "AGENT_TIERS",
    "DEFAULT_MODELS",
    "DEFAULT_PRICES",
    "LLMResult",
    "LLMSettings",
    "ModelPrice",
    "ModelRouter",
    "ProviderName",
    "Tier",
    "UsageLedger",
    "UsageStats",
    "UsageSummary",
    "build_model",
    "data_block",
    "model_label",
]
