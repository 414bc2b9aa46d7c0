"""Tests for LLMSettings: environment, files, defaults, validation and secret hygiene."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

import leadflow.llm
from leadflow.exceptions import ConfigError
from leadflow.llm import LLMSettings, ModelPrice, ModelRouter

SECRET = "sk-test-SUPERSECRET-123"


def test_public_api_is_pinned() -> None:
    assert sorted(leadflow.llm.__all__) == [
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


def test_default_is_offline() -> None:
    settings = LLMSettings.from_env({})
    assert settings.provider == "none"
    assert not settings.enabled
    assert settings.model_for("fast") is None


def test_from_env_reads_every_variable() -> None:
    settings = LLMSettings.from_env(
        {
            "LEADFLOW_LLM_PROVIDER": "openai-compatible",
            "LEADFLOW_LLM_BASE_URL": "http://127.0.0.1:11434/v1",
            "LEADFLOW_LLM_FAST_MODEL": "llama3.2",
            "LEADFLOW_LLM_STRONG_MODEL": "qwen2.5:32b",
            "LEADFLOW_LLM_TIMEOUT": "12.5",
        }
    )
    assert settings.provider == "openai-compatible"
    assert settings.base_url == "http://127.0.0.1:11434/v1"
    assert settings.model_for("fast") == "llama3.2"
    assert settings.model_for("strong") == "qwen2.5:32b"
    assert settings.timeout == 12.5
    assert settings.api_key is None
    assert settings.price_for("llama3.2").cost(1_000_000, 1_000_000) == 0.0  # local is free


@pytest.mark.parametrize(
    ("provider", "var"), [("openai", "OPENAI_API_KEY"), ("anthropic", "ANTHROPIC_API_KEY")]
)
def test_provider_key_variable_and_default_models(provider: str, var: str) -> None:
    settings = LLMSettings.from_env({"LEADFLOW_LLM_PROVIDER": provider, var: SECRET})
    assert settings.api_key is not None and settings.api_key.get_secret_value() == SECRET
    assert settings.fast_model and settings.strong_model
    assert settings.fast_model != settings.strong_model


def test_leadflow_key_wins_over_provider_key() -> None:
    settings = LLMSettings.from_env(
        {"LEADFLOW_LLM_PROVIDER": "openai", "LEADFLOW_LLM_API_KEY": "lf-key", "OPENAI_API_KEY": "oa-key"}
    )
    assert settings.api_key is not None and settings.api_key.get_secret_value() == "lf-key"


def test_other_providers_key_is_not_used() -> None:
    with pytest.raises(ConfigError, match="needs an API key"):
        LLMSettings.from_env({"LEADFLOW_LLM_PROVIDER": "anthropic", "OPENAI_API_KEY": SECRET})


@pytest.mark.parametrize("provider", ["openai", "anthropic"])
def test_hosted_provider_without_key_is_a_config_error(provider: str) -> None:
    with pytest.raises(ConfigError, match=f"{provider}.*needs an API key"):
        LLMSettings.from_env({"LEADFLOW_LLM_PROVIDER": provider})


def test_openai_compatible_needs_base_url_and_models() -> None:
    with pytest.raises(ConfigError, match="base URL"):
        LLMSettings(provider="openai-compatible", fast_model="a", strong_model="b")
    with pytest.raises(ConfigError, match="model names"):
        LLMSettings(provider="openai-compatible", base_url="http://127.0.0.1:8000/v1")


def test_invalid_values_are_config_errors_without_the_key() -> None:
    with pytest.raises(ConfigError, match="timeout") as info:
        LLMSettings.from_env(
            {
                "LEADFLOW_LLM_PROVIDER": "openai",
                "LEADFLOW_LLM_API_KEY": SECRET,
                "LEADFLOW_LLM_TIMEOUT": "soon",
            }
        )
    assert SECRET not in str(info.value)
    with pytest.raises(ConfigError, match="provider"):
        LLMSettings.from_env({"LEADFLOW_LLM_PROVIDER": "skynet", "LEADFLOW_LLM_API_KEY": SECRET})


def test_secret_never_in_repr_str_dump_or_logs(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    settings = LLMSettings.from_env({"LEADFLOW_LLM_PROVIDER": "openai", "LEADFLOW_LLM_API_KEY": SECRET})
    router = ModelRouter.from_settings(settings)
    router.close()
    logging.getLogger("test").info("settings: %s / %r / %s", settings, settings, settings.describe())
    for text in (repr(settings), str(settings), settings.model_dump_json(), settings.describe(), caplog.text):
        assert SECRET not in text
    assert "api_key=set" in settings.describe()
    assert "provider=openai" in caplog.text  # the router did log its configuration


def test_from_toml_file_with_llm_table_and_prices(tmp_path: Path) -> None:
    path = tmp_path / "leadflow.toml"
    path.write_text(
        """
[llm]
provider = "openai"
api_key = "from-file"
strong_model = "gpt-4.1"
timeout = 20
max_retries = 1

[llm.prices."gpt-4.1"]
input_per_mtok = 1.0
output_per_mtok = 2.0
""",
        encoding="utf-8",
    )
    settings = LLMSettings.from_file(path)
    assert settings.provider == "openai"
    assert settings.model_for("strong") == "gpt-4.1"
    assert settings.model_for("fast") == "gpt-4o-mini"  # default for the tier not named
    assert settings.timeout == 20 and settings.max_retries == 1
    assert settings.price_for("gpt-4.1") == ModelPrice(input_per_mtok=1.0, output_per_mtok=2.0)
    assert settings.price_for("gpt-4o-mini-2024-07-18").input_per_mtok == 0.15  # default table, by prefix


def test_from_yaml_file_and_environment_wins(tmp_path: Path) -> None:
    path = tmp_path / "llm.yaml"
    path.write_text(
        "provider: openai-compatible\nbase_url: http://127.0.0.1:8000/v1\n"
        "fast_model: small\nstrong_model: big\ntimeout: 5\n",
        encoding="utf-8",
    )
    assert LLMSettings.from_file(path).timeout == 5
    settings = LLMSettings.from_file(
        path, environ={"LEADFLOW_LLM_TIMEOUT": "9", "LEADFLOW_LLM_STRONG_MODEL": "bigger"}
    )
    assert settings.timeout == 9
    assert settings.model_for("strong") == "bigger"
    assert settings.model_for("fast") == "small"


def test_file_provider_picks_provider_key_from_environment(tmp_path: Path) -> None:
    path = tmp_path / "llm.toml"
    path.write_text('provider = "anthropic"\n', encoding="utf-8")
    settings = LLMSettings.from_file(path, environ={"ANTHROPIC_API_KEY": SECRET})
    assert settings.api_key is not None and settings.api_key.get_secret_value() == SECRET


def test_bad_files_are_config_errors(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot read"):
        LLMSettings.from_file(tmp_path / "missing.toml")
    bad = tmp_path / "bad.yaml"
    bad.write_text(f"api_key: {SECRET}\nprovider: [openai\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="not valid YAML") as info:
        LLMSettings.from_file(bad)
    assert SECRET not in str(info.value)
    other = tmp_path / "llm.ini"
    other.write_text("x", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"\.toml, \.yaml or \.yml"):
        LLMSettings.from_file(other)
    unknown = tmp_path / "unknown.toml"
    unknown.write_text('provider = "none"\ncolour = "blue"\n', encoding="utf-8")
    with pytest.raises(ConfigError, match="colour"):
        LLMSettings.from_file(unknown)


def test_settings_are_frozen() -> None:
    settings = LLMSettings()
    with pytest.raises(Exception, match="frozen"):
        settings.timeout = 1  # type: ignore[misc]
