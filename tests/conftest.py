import pytest

from gateway import logging as gwlog
from tests.postgres import fresh_postgres_database
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
    with fresh_postgres_database() as url:
        yield url


@pytest.fixture(params=["sqlite", "postgres"])
def database_url(request, tmp_path):
    """Each store test runs on the embedded SQLite and on a real PostgreSQL."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'gateway.db'}"
    return request.getfixturevalue("postgres_url")
