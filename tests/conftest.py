import os
import uuid

import pytest

from gateway import logging as gwlog
from tests.support import kill_started

# In-process tests log through the gateway's own pipeline (masking included), at INFO.
gwlog.configure("info", "console")


@pytest.fixture(autouse=True)
def _no_process_left_behind():
    """Whatever a test did, the daemons, simulators and fake servers it started (through
    tests.support.spawn) do not outlive it."""
    yield
    kill_started()


@pytest.fixture
def postgres_url():
    """A fresh, empty PostgreSQL database on the test server `make test` starts."""
    base = os.environ.get("LAPOR_TEST_POSTGRES_URL")
    if not base:
        pytest.fail("LAPOR_TEST_POSTGRES_URL is not set: run the suite with `make test`,"
                    " which starts a PostgreSQL server (scripts/test-postgres-setup)")
    import psycopg
    name = "t_" + uuid.uuid4().hex[:12]
    with psycopg.connect(base, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    yield base.rsplit("/", 1)[0] + "/" + name
    with psycopg.connect(base, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE "{name}" WITH (FORCE)')


@pytest.fixture(params=["sqlite", "postgres"])
def database_url(request, tmp_path):
    """Each store test runs on the embedded SQLite and on a real PostgreSQL."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'gateway.db'}"
    return request.getfixturevalue("postgres_url")
