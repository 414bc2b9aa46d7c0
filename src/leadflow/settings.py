"""Settings read at the entry points (CLI, app factory) and passed down as one frozen object."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field

from leadflow.exceptions import ConfigError
from leadflow.llm.settings import LLMSettings


class Settings(BaseModel):
    model_config = ConfigDict(frozen=True)

    db_url: str = "sqlite:///var/leadflow.db"
    bus_url: str = "memory://"
    workspace: str = "default"
    routes_path: str | None = None
    transcript_path: str = "var/transcript.db"
    api_max_body: int = 1_000_000
    cors_origins: tuple[str, ...] = ()
    """Origins a browser may call the API from (CORS); none by default."""
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
        ):
            if env.get(var):
                values[field] = env[var]
        if env.get("LEADFLOW_CORS_ORIGINS"):
            values["cors_origins"] = tuple(o.strip() for o in env["LEADFLOW_CORS_ORIGINS"].split(",") if o.strip())
        values["llm"] = LLMSettings.from_env(env)
        return cls.model_validate(values)

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
