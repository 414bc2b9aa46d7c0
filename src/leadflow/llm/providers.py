"""Build pydantic-ai models from :class:`~leadflow.llm.settings.LLMSettings`, one per tier.

Provider SDKs are imported lazily, so ``provider = "none"`` never loads them. An HTTP client can
be injected to send requests through a local fake server or a custom transport; the OpenAI and
Anthropic SDKs (and so pydantic-ai) use ``httpx2``, so the client is an ``httpx2.AsyncClient``.

SDK-level retries are switched off (``max_retries=0``): :class:`~leadflow.llm.router.ModelRouter`
retries itself, so that every attempt passes its circuit breaker and is counted.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pydantic_ai.exceptions import UserError
from pydantic_ai.settings import ModelSettings

from leadflow.exceptions import ConfigError
from leadflow.llm.settings import LLMSettings, Tier

if TYPE_CHECKING:
    import httpx2
    from pydantic_ai.models import Model

__all__ = ["LOCAL_PROVIDER_NAME", "build_model", "model_label"]

LOCAL_PROVIDER_NAME = "openai-compatible"
"""The name pydantic-ai records for responses from a local OpenAI-compatible server."""

# Local servers usually ignore the key, but the OpenAI SDK insists on a non-empty one.
_PLACEHOLDER_KEY = "not-needed"


def model_label(settings: LLMSettings, tier: Tier) -> str | None:
    """``"provider:model"`` for ``tier``: the key for breakers and usage rows."""
    name = settings.model_for(tier)
    return None if name is None else f"{settings.provider}:{name}"


def build_model(
    settings: LLMSettings,
    tier: Tier,
    *,
    http_client: httpx2.AsyncClient | None = None,
) -> Model | None:
    """The pydantic-ai model serving ``tier``, or ``None`` when no provider is configured.

    Args:
        settings: Validated settings (the API key was checked when they were built).
        tier: ``"fast"`` or ``"strong"``.
        http_client: Optional client for every request, e.g. one pointed at a fake server.

    Raises:
        ConfigError: When pydantic-ai rejects the configuration.
    """
    model_name = settings.model_for(tier)
    if model_name is None:
        return None
    api_key = settings.api_key.get_secret_value() if settings.api_key is not None else None
    model_settings = ModelSettings(timeout=settings.timeout, max_retries=0)
    try:
        if settings.provider == "anthropic":
            from pydantic_ai.models.anthropic import AnthropicModel
            from pydantic_ai.providers.anthropic import AnthropicProvider

            anthropic = AnthropicProvider(
                api_key=api_key, base_url=settings.base_url, http_client=http_client
            )
            return AnthropicModel(model_name, provider=anthropic, settings=model_settings)

        from pydantic_ai.models.openai import OpenAIChatModel

        if settings.provider == "openai":
            from pydantic_ai.providers.openai import OpenAIProvider

            openai = OpenAIProvider(base_url=settings.base_url, api_key=api_key, http_client=http_client)
            return OpenAIChatModel(model_name, provider=openai, settings=model_settings)

        # A local server gets the generic OpenAI-compatible provider rather than OpenAIProvider:
        # its profile leaves out features only OpenAI's own API has, and it never reads
        # OPENAI_API_KEY, so an OpenAI key in the environment is not sent to another service.
        from pydantic_ai.providers.openai_compatible import OpenAICompatibleProvider

        assert settings.base_url is not None  # checked by LLMSettings
        local = OpenAICompatibleProvider(
            LOCAL_PROVIDER_NAME,
            base_url=settings.base_url,
            api_key=api_key or _PLACEHOLDER_KEY,
            http_client=http_client,
        )
        return OpenAIChatModel(model_name, provider=local, settings=model_settings)
    except UserError as exc:
        raise ConfigError(
            f"cannot build the {tier} model for provider {settings.provider!r}: {exc.message}"
        ) from None
