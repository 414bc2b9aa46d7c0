"""Pytest fixtures for the external services the tests use (PostgreSQL, Redis).

`make test` (scripts/test.sh) starts a throw-away PostgreSQL cluster and Redis
server and exports their URLs:

    LEADFLOW_TEST_PG_URL=postgresql+psycopg://leadflow@127.0.0.1:PORT/leadflow_test
    LEADFLOW_TEST_REDIS_URL=redis://127.0.0.1:PORT/0

A test asks for `pg_url` / `redis_url`. When a URL is not set the test is skipped
with the reason, except under CI (the CI environment variable set), where a missing
URL is an error: CI must never silently skip the PostgreSQL or Redis tests.

To run such tests by hand against servers of your own:

    eval "$(scripts/services.sh start)"
    .venv/bin/pytest -m postgres
    scripts/services.sh stop "$LEADFLOW_SERVICES_DIR"
"""

from __future__ import annotations

import os
import socket

import pytest

PG_URL_ENV = "LEADFLOW_TEST_PG_URL"
REDIS_URL_ENV = "LEADFLOW_TEST_REDIS_URL"


def in_ci() -> bool:
    """True when running under CI (CI set to anything but empty/0/false)."""
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port on `host` that is free right now (the OS picks it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind((host, 0))
        port: int = s.getsockname()[1]
        return port


def service_url(env_var: str, what: str) -> str:
    """The URL in `env_var`; skips the test if unset, or fails it under CI."""
    url = os.environ.get(env_var, "").strip()
    if url:
        return url
    reason = f"{what} not available: {env_var} is not set (run the tests with `make test`)"
    if in_ci():
        pytest.fail(f"{reason}; under CI this is an error, not a skip", pytrace=False)
    pytest.skip(reason)


@pytest.fixture(scope="session")
def pg_url() -> str:
    """SQLAlchemy URL of the test PostgreSQL database (postgresql+psycopg://...)."""
    return service_url(PG_URL_ENV, "PostgreSQL")


@pytest.fixture(scope="session")
def redis_url() -> str:
    """URL of the test Redis server (redis://127.0.0.1:PORT/0)."""
    return service_url(REDIS_URL_ENV, "Redis")
