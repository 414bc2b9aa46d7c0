"""Pytest fixtures for the external services the tests use (PostgreSQL, Redis).

`make test` (scripts/test.sh) starts a throw-away PostgreSQL cluster and Redis
server and exports their URLs:

    LEADFLOW_TEST_PG_URL=postgresql+psycopg://leadflow@127.0.0.1:PORT/leadflow_test
    LEADFLOW_TEST_REDIS_URL=redis://127.0.0.1:PORT/0

A test asks for `pg_url` / `redis_url`. When a URL is not set the test is skipped
with the reason, except under CI (the CI environment variable set), where a missing
URL is an error: CI must never silently skip the PostgreSQL or Redis tests.

A test that needs a database of its own (the end-to-end runs) wraps its work in
`fresh_pg_database(pg_url, "prefix")`: a uniquely named database on the same server,
dropped (with any connections left open) when the block ends, unless
LEADFLOW_TEST_KEEP_DB=1 asks to keep it for a post-mortem.

To run such tests by hand against servers of your own:

    eval "$(scripts/services.sh start)"
    .venv/bin/pytest -m postgres
    scripts/services.sh stop "$LEADFLOW_SERVICES_DIR"
"""

from __future__ import annotations

import os
import socket
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

PG_URL_ENV = "LEADFLOW_TEST_PG_URL"
REDIS_URL_ENV = "LEADFLOW_TEST_REDIS_URL"
KEEP_DB_ENV = "LEADFLOW_TEST_KEEP_DB"  # set to 1: fresh_pg_database keeps its database for a post-mortem


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


@contextmanager
def fresh_pg_database(pg_url: str, prefix: str = "leadflow_test") -> Iterator[str]:
    """Create a uniquely named database on `pg_url`'s server; yield its URL; drop it after."""
    from sqlalchemy import create_engine, make_url, text

    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    if not name.replace("_", "").isalnum() or len(name) > 63:
        raise ValueError(f"bad database name prefix {prefix!r}: letters, digits and _ only, short")
    admin = create_engine(pg_url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        try:
            yield make_url(pg_url).set(database=name).render_as_string(hide_password=False)
        finally:
            if os.environ.get(KEEP_DB_ENV, "") in ("", "0"):
                with admin.connect() as conn:
                    conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            else:
                print(f"kept database {name} ({KEEP_DB_ENV} is set)")
    finally:
        admin.dispose()


def empty_schema(url: str) -> None:
    """Drop every leadflow table (and Alembic's mark) of the database at ``url``, so the next
    store opened on it migrates a fresh schema: each contract test starts from nothing."""
    from sqlalchemy import create_engine, text

    from leadflow.state import schema

    engine = create_engine(url)
    try:
        with engine.begin() as conn:
            schema.metadata.drop_all(conn)
            conn.execute(text("DROP TABLE IF EXISTS alembic_version"))
    finally:
        engine.dispose()
