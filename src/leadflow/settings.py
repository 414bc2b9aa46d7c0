"""Settings read at the entry points (CLI, app factory) and passed down as one frozen object."""

from __future__ import annotations

import os
from collections.abc import Mapping
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from pydantic import BaseModel, ConfigDict, Field

from leadflow.exceptions import ConfigError
from leadflow.llm.settings import LLMSettings

if TYPE_CHECKING:
    from leadflow.state.rejects import RejectLimits


class Settings(BaseModel):
    model_config = ConfigDict(frozen=True)

    db_url: str = "sqlite:///var/leadflow.db"
    bus_url: str = "memory://"
    workspace: str = "default"
    routes_path: str | None = None
    transcript_path: str = "var/transcript.db"
    api_max_body: int = 1_000_000
    # webhooks (``integrations.webhooks``): refuse unsigned requests to sources without a secret too,
    # and how far a signed timestamp may be from now
    require_signatures: bool = False
    webhook_tolerance: int = Field(default=300, ge=1, le=3600)
    # bounded rejects (``state.rejects``): bytes kept per body, rejects kept per workspace and for how
    # many days, and how many per source within ``reject_burst_seconds`` keep their bodies
    reject_max_bytes: int = Field(default=16 * 1024, ge=0)
    reject_keep: int = Field(default=1000, ge=1)
    reject_max_age_days: int = Field(default=30, ge=1)
    reject_burst: int = Field(default=60, ge=0)
    reject_burst_seconds: int = Field(default=60, ge=1)
    cors_origins: tuple[str, ...] = ()
    """Origins a browser may call the API from (CORS); none by default."""
    # the research agent's web fetcher in real runs (``integrations.web.guard``): on unless turned off;
    # private, loopback and link-local hosts are refused unless allowed (tests, intranets)
    web_research: bool = True
    web_allow_private: bool = False
    llm: LLMSettings = Field(default_factory=LLMSettings)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if environ is None else environ
        values: dict[str, object] = {}
        for field, var in (
            ("db_url", "LEADFLOW_DB_URL"),
            ("bus_url", "LEADFLOW_BUS_URL"),
            ("workspace", "LEADFLOW_WORKSPACE"),
            ("routes_path", "LEADFLOW_ROUTES"),
            ("transcript_path", "LEADFLOW_TRANSCRIPT"),
            ("require_signatures", "LEADFLOW_REQUIRE_SIGNATURES"),
            ("webhook_tolerance", "LEADFLOW_WEBHOOK_TOLERANCE"),
            ("reject_max_bytes", "LEADFLOW_REJECT_MAX_BYTES"),
            ("reject_keep", "LEADFLOW_REJECT_KEEP"),
            ("reject_max_age_days", "LEADFLOW_REJECT_MAX_AGE_DAYS"),
            ("reject_burst", "LEADFLOW_REJECT_BURST"),
            ("reject_burst_seconds", "LEADFLOW_REJECT_BURST_SECONDS"),
            ("web_research", "LEADFLOW_WEB_RESEARCH"),
            ("web_allow_private", "LEADFLOW_WEB_ALLOW_PRIVATE"),
        ):
            if env.get(var):
                values[field] = env[var]
        if env.get("LEADFLOW_CORS_ORIGINS"):
            values["cors_origins"] = tuple(o.strip() for o in env["LEADFLOW_CORS_ORIGINS"].split(",") if o.strip())
        values["llm"] = LLMSettings.from_env(env)
        return cls.model_validate(values)

    def reject_limits(self) -> RejectLimits:
        """The limits ``Store.add_reject`` applies, from these settings."""
        from leadflow.state.rejects import RejectLimits

        return RejectLimits(max_bytes=self.reject_max_bytes, keep=self.reject_keep,
                            max_age=timedelta(days=self.reject_max_age_days), burst=self.reject_burst,
                            window=timedelta(seconds=self.reject_burst_seconds))

    def ensure_dirs(self) -> None:
        """Create the folders of the SQLite files; ``ConfigError`` (one line) when one cannot be."""
        for url in (self.db_url, "sqlite:///" + self.transcript_path):
            if url.startswith("sqlite:///") and not url.startswith("sqlite:///:memory:"):
                folder = Path(url.removeprefix("sqlite:///")).parent
                try:
                    folder.mkdir(parents=True, exist_ok=True)
                except OSError as exc:
                    raise ConfigError(
                        f"cannot open the database {url}: cannot create the folder {folder}: "
                        f"{exc.strerror or exc}"
                    ) from exc
