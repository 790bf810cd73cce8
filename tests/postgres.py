"""Fresh PostgreSQL databases on the test server `make test` starts (scripts/test-postgres-setup):
the `postgres_url` fixture's, and a module's own for tests that share one filled database.
`database_on` (any server) serves benchmarks/instances.py too."""
from __future__ import annotations

import contextlib
import os
import uuid

import pytest


@contextlib.contextmanager
def fresh_postgres_database():
    """The URL of a fresh, empty database on the test server, dropped afterwards."""
    base = os.environ.get("LAPOR_TEST_POSTGRES_URL")
    if not base:
        pytest.fail("LAPOR_TEST_POSTGRES_URL is not set: run the suite with `make test`,"
                    " which starts a PostgreSQL server (scripts/test-postgres-setup)")
    with database_on(base) as url:
        yield url


@contextlib.contextmanager
def database_on(server: str, prefix: str = "t"):
    """The URL of a new, empty database on the server `server` (a URL to connect to);
    dropped, its sessions ended, when the block is left."""
    import psycopg
    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(server, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield server.rsplit("/", 1)[0] + "/" + name
    finally:
        with psycopg.connect(server, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
