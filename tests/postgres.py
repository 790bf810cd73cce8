"""Fresh PostgreSQL databases on the test server `make test` starts (scripts/test-postgres-setup):
the `postgres_url` fixture's, and a module's own for tests that share one filled database."""
from __future__ import annotations

import contextlib
import os
import uuid

import pytest


@contextlib.contextmanager
def fresh_postgres_database():
    """The URL of a fresh, empty database, dropped afterwards."""
    base = os.environ.get("LAPOR_TEST_POSTGRES_URL")
    if not base:
        pytest.fail("LAPOR_TEST_POSTGRES_URL is not set: run the suite with `make test`,"
                    " which starts a PostgreSQL server (scripts/test-postgres-setup)")
    import psycopg
    name = "t_" + uuid.uuid4().hex[:12]
    with psycopg.connect(base, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield base.rsplit("/", 1)[0] + "/" + name
    finally:
        with psycopg.connect(base, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
