"""LLM configuration: which provider, which model per tier, timeouts, retries and prices.

Settings are read once at an entry point and passed down as a frozen :class:`LLMSettings`::

    settings = LLMSettings.from_file("leadflow.toml", environ=os.environ)  # environment wins
    router = ModelRouter.from_settings(settings)

Two tiers of model: ``fast`` for high-volume, low-stakes drafting (the response and appointment
agents) and ``strong`` for judgement (qualification, closing). The API key is a ``SecretStr``: it
never appears in ``repr``, ``str``, logs, or the ``ConfigError`` messages raised at start-up.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal, Self

import yaml
from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError, model_validator

from leadflow.exceptions import ConfigError
from leadflow.llm.usage import DEFAULT_PRICES, FREE, ModelPrice, lookup_price

__all__ = ["AGENT_TIERS", "DEFAULT_MODELS", "LLMSettings", "ProviderName", "Tier"]

ProviderName = Literal["none", "openai", "anthropic", "openai-compatible"]
Tier = Literal["fast", "strong"]

AGENT_TIERS: dict[str, Tier] = {
    "response": "fast",
    "appointment": "fast",
    "qualification": "strong",
    "closing": "strong",
}
"""The tier each built-in agent uses."""

DEFAULT_MODELS: dict[str, dict[Tier, str]] = {
    "openai": {"fast": "gpt-4o-mini", "strong": "gpt-4o"},
    "anthropic": {"fast": "claude-haiku-4-5", "strong": "claude-sonnet-4-6"},
}
"""Models used when a hosted provider is chosen without naming models. Local servers have none."""

_ENV_KEYS = {
    "LEADFLOW_LLM_PROVIDER": "provider",
    "LEADFLOW_LLM_API_KEY": "api_key",
    "LEADFLOW_LLM_BASE_URL": "base_url",
    "LEADFLOW_LLM_FAST_MODEL": "fast_model",
    "LEADFLOW_LLM_STRONG_MODEL": "strong_model",
    "LEADFLOW_LLM_TIMEOUT": "timeout",
    "LEADFLOW_LLM_MAX_RETRIES": "max_retries",
}
_PROVIDER_KEY_VARS = {"openai": "OPENAI_API_KEY", "anthropic": "ANTHROPIC_API_KEY"}


class LLMSettings(BaseModel):
    """Frozen LLM configuration, validated when built.

    Attributes:
        provider: ``none`` (offline engines only), ``openai``, ``anthropic``, or
            ``openai-compatible`` for Ollama, vLLM, llama.cpp and similar servers.
        api_key: The provider's key; required for ``openai`` and ``anthropic``.
        base_url: The API root, e.g. ``http://127.0.0.1:11434/v1``; required for
            ``openai-compatible``, optional otherwise (a proxy).
        fast_model: Model for the ``fast`` tier; defaults per hosted provider.
        strong_model: Model for the ``strong`` tier; defaults per hosted provider.
        timeout: Seconds allowed for one model request.
        max_retries: Extra attempts after a transient failure (5xx, 429, timeout).
        prices: Per-model prices that override :data:`~leadflow.llm.usage.DEFAULT_PRICES`.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    provider: ProviderName = "none"
    api_key: SecretStr | None = None
    base_url: str | None = None
    fast_model: str | None = None
    strong_model: str | None = None
    timeout: float = Field(default=30.0, gt=0)
    max_retries: int = Field(default=2, ge=0, le=10)
    prices: dict[str, ModelPrice] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _check(self) -> Self:
        # ConfigError is not a ValueError, so pydantic lets it through unchanged.
        if self.provider in ("openai", "anthropic"):
            if self.api_key is None or not self.api_key.get_secret_value().strip():
                var = _PROVIDER_KEY_VARS[self.provider]
                raise ConfigError(
                    f"LLM provider {self.provider!r} needs an API key: set LEADFLOW_LLM_API_KEY or {var}, "
                    "or choose provider 'none' to run the offline engines"
                )
            defaults = DEFAULT_MODELS[self.provider]
            object.__setattr__(self, "fast_model", self.fast_model or defaults["fast"])
            object.__setattr__(self, "strong_model", self.strong_model or defaults["strong"])
        elif self.provider == "openai-compatible":
            if not self.base_url:
                raise ConfigError(
                    "LLM provider 'openai-compatible' needs a base URL: set LEADFLOW_LLM_BASE_URL "
                    "(e.g. http://127.0.0.1:11434/v1 for Ollama)"
                )
            if not self.fast_model or not self.strong_model:
                raise ConfigError(
                    "LLM provider 'openai-compatible' needs model names: set LEADFLOW_LLM_FAST_MODEL "
                    "and LEADFLOW_LLM_STRONG_MODEL to models your server serves"
                )
        return self

    @property
    def enabled(self) -> bool:
        """Whether a model provider is configured at all."""
        return self.provider != "none"

    def model_for(self, tier: Tier) -> str | None:
        """The model name for ``tier``, or ``None`` when no provider is configured."""
        if not self.enabled:
            return None
        return self.fast_model if tier == "fast" else self.strong_model

    def price_for(self, model: str) -> ModelPrice:
        """What ``model`` costs: an override, else the default table, else free.

        Local servers are free unless a price is configured for them explicitly.
        """
        price = lookup_price(model, self.prices)
        if price is None and self.provider in ("openai", "anthropic"):
            price = lookup_price(model, DEFAULT_PRICES)
        return price or FREE

    def describe(self) -> str:
        """A one-line, secret-free description for start-up logs."""
        key = "set" if self.api_key is not None else "unset"
        return (
            f"provider={self.provider} fast={self.fast_model} strong={self.strong_model} "
            f"base_url={self.base_url or '-'} api_key={key} timeout={self.timeout}s retries={self.max_retries}"
        )

    @classmethod
    def from_env(cls, environ: Mapping[str, str]) -> LLMSettings:
        """Build settings from ``LEADFLOW_LLM_*`` variables.

        The key comes from ``LEADFLOW_LLM_API_KEY``, else from ``OPENAI_API_KEY`` or
        ``ANTHROPIC_API_KEY`` matching the provider.

        Raises:
            ConfigError: When a value is invalid or a required one is missing.
        """
        return cls._build(_env_values(environ))

    @classmethod
    def from_file(cls, path: str | Path, *, environ: Mapping[str, str] | None = None) -> LLMSettings:
        """Build settings from a TOML or YAML file, then let ``environ`` override it.

        The file holds the fields of this class at top level or under an ``llm`` table, with
        prices as ``{model: {input_per_mtok: ..., output_per_mtok: ...}}``.

        Args:
            path: A ``.toml``, ``.yaml`` or ``.yml`` file.
            environ: Environment variables that win over the file; ``None`` reads none.

        Raises:
            ConfigError: When the file is missing, unreadable or invalid.
        """
        values = _read_file(Path(path))
        if environ is not None:
            values.update(_env_values(environ, provider=str(values.get("provider", ""))))
        return cls._build(values)

    @classmethod
    def _build(cls, values: Mapping[str, Any]) -> LLMSettings:
        try:
            return cls.model_validate(values)
        except ValidationError as exc:
            # Never echo input values: one of them may be the key.
            problems = "; ".join(
                f"{'.'.join(str(p) for p in err['loc']) or 'settings'}: {err['msg']}" for err in exc.errors()
            )
            raise ConfigError(f"invalid LLM settings: {problems}") from None


def _env_values(environ: Mapping[str, str], *, provider: str = "") -> dict[str, Any]:
    values: dict[str, Any] = {}
    for var, name in _ENV_KEYS.items():
        raw = environ.get(var, "").strip()
        if raw:
            values[name] = raw
    if "api_key" not in values:
        key_var = _PROVIDER_KEY_VARS.get(values.get("provider", provider))
        if key_var and environ.get(key_var, "").strip():
            values["api_key"] = environ[key_var].strip()
    return values


def _read_file(path: Path) -> dict[str, Any]:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"cannot read LLM settings file {path}: {exc.strerror}") from None
    suffix = path.suffix.lower()
    try:
        if suffix == ".toml":
            data: object = tomllib.loads(text)
        elif suffix in (".yaml", ".yml"):
            data = yaml.safe_load(text) or {}
        else:
            raise ConfigError(f"LLM settings file {path} must be .toml, .yaml or .yml")
    except (tomllib.TOMLDecodeError, yaml.YAMLError) as exc:
        # Only the position: a YAML error quotes the offending line, which may hold the key.
        mark = getattr(exc, "problem_mark", None)
        if isinstance(exc, tomllib.TOMLDecodeError):
            where = f": {exc}"  # "Invalid value (at line 3, column 9)": no content quoted
        else:
            where = f" (line {mark.line + 1})" if mark is not None else ""
        raise ConfigError(f"LLM settings file {path} is not valid {suffix[1:].upper()}{where}") from None
    if not isinstance(data, dict):
        raise ConfigError(f"LLM settings file {path} must hold a table of settings")
    section = data.get("llm", data)
    if not isinstance(section, dict):
        raise ConfigError(f"the 'llm' section of {path} must be a table")
    return dict(section)
