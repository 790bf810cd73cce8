"""A read never creates a database (issue 14): `complaints list/show` and `replies list`
— and the admin's writes, `retry` and `resend` — against a config whose database is
missing, empty, not ours or behind exit 78 with a message naming the database, the
config it came from and the fix, and leave the disk as they found it. Only `db upgrade`
and `run` create a database."""
from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import uuid

import psycopg
import pytest
from sqlalchemy import inspect

from gateway.journal import migrate
from gateway.journal.database import make_engine
from tests.admin_journal import admin_config
from tests.support import cli, cli_in_process

READS = (("complaints", "list"), ("complaints", "show", "1000001"), ("replies", "list"))
WRITES = (("complaints", "retry", "--all-dead"), ("replies", "resend", "--all-failed"))


def test_a_missing_sqlite_database_is_named_with_its_config_and_nothing_is_created(tmp_path):
    config = admin_config(tmp_path)
    database = tmp_path / "state" / "gateway.db"
    for command in READS:
        result = cli(*command, "--config", config)
        assert result.returncode == 78 and result.stdout == "", command
        assert f"no database at {database} (config {config}); a read creates none" in result.stderr
        assert f"`lapor-gateway db upgrade --config {config}`" in result.stderr
    for command in WRITES:
        assert cli_in_process(*command, "--config", config).returncode == 78, command
    assert not (tmp_path / "state").exists()


def test_without_a_config_the_message_says_the_built_in_defaults_were_used(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in ("LAPOR_CONFIG", "STATE_DIRECTORY")}
    result = subprocess.run([sys.executable, "-m", "gateway", "complaints", "list"], cwd=tmp_path, env=env,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 78
    assert (f"no database at {tmp_path / 'state' / 'gateway.db'} (the built-in defaults: no --config,"
            " $LAPOR_CONFIG or config/gateway.toml)") in result.stderr
    assert "create it with `lapor-gateway db upgrade`" in result.stderr
    assert os.listdir(tmp_path) == []


def test_an_empty_file_is_not_a_gateway_database_and_stays_empty(tmp_path):
    config = admin_config(tmp_path)
    (tmp_path / "state").mkdir()
    database = tmp_path / "state" / "gateway.db"
    database.touch()
    for command in READS:
        result = cli(*command, "--config", config)
        assert result.returncode == 78, command
        assert (f"{database} (config {config}): not a lapor-gateway database or schema missing: run"
                f" `lapor-gateway db upgrade --config {config}`") in result.stderr
    assert database.stat().st_size == 0
    assert sorted(os.listdir(tmp_path / "state")) == ["gateway.db"]


def test_another_programs_sqlite_database_is_not_ours_and_gets_no_tables(tmp_path):
    config = admin_config(tmp_path)
    (tmp_path / "state").mkdir()
    database = tmp_path / "state" / "gateway.db"
    with sqlite3.connect(database) as conn:
        conn.execute("CREATE TABLE notes (text TEXT)")
    conn.close()
    result = cli_in_process("complaints", "list", "--config", config)
    assert result.returncode == 78 and "not a lapor-gateway database or schema missing" in result.stderr
    with sqlite3.connect(database) as conn:
        assert conn.execute("SELECT name FROM sqlite_master").fetchall() == [("notes",)]
    conn.close()


def test_a_file_that_is_not_sqlite_is_reported_not_overwritten(tmp_path):
    config = admin_config(tmp_path)
    (tmp_path / "state").mkdir()
    database = tmp_path / "state" / "gateway.db"
    database.write_text("a text file where the database should be\n" * 20)
    before = database.read_bytes()
    result = cli_in_process("replies", "list", "--config", config)
    assert result.returncode == 78
    assert f"cannot open the database {database} (config {config}): file is not a database" in result.stderr
    assert database.read_bytes() == before


def test_an_older_schema_names_the_upgrade_with_its_config(tmp_path):
    config = admin_config(tmp_path)
    (tmp_path / "state").mkdir()
    engine = make_engine(f"sqlite:///{tmp_path / 'state' / 'gateway.db'}")
    migrate.upgrade(engine, "0003")
    engine.dispose()
    result = cli_in_process("complaints", "list", "--config", config)
    assert result.returncode == 78
    assert (f"database schema is at 0003, this version needs {migrate.head_revision()}; run"
            f" `lapor-gateway db upgrade --config {config}`") in result.stderr


def test_an_empty_postgresql_database_gets_no_tables(tmp_path, postgres_url):
    config = admin_config(tmp_path, postgres_url)
    for command in READS:
        result = cli_in_process(*command, "--config", config)
        assert result.returncode == 78, command
        assert ("not a lapor-gateway database or schema missing: run"
                f" `lapor-gateway db upgrade --config {config}`") in result.stderr
    engine = make_engine(postgres_url)
    try:
        assert inspect(engine).get_table_names() == []
    finally:
        engine.dispose()


def test_a_postgresql_database_that_does_not_exist_is_named_without_its_password(tmp_path):
    base = os.environ.get("LAPOR_TEST_POSTGRES_URL")
    if not base:
        pytest.fail("LAPOR_TEST_POSTGRES_URL is not set: run the suite with `make test`")
    name = "t_missing_" + uuid.uuid4().hex[:8]
    server = base.rsplit("/", 1)[0]
    url = server.replace("://lapor@", "://lapor:s3cret@") + "/" + name
    assert "s3cret" in url
    config = admin_config(tmp_path, url)
    result = cli_in_process("complaints", "list", "--config", config)
    assert result.returncode == 78
    assert "cannot open the database postgresql://lapor:***@" in result.stderr
    assert f"/{name} (config {config}):" in result.stderr and "does not exist" in result.stderr
    assert "s3cret" not in result.stderr
    with psycopg.connect(base) as conn:
        assert conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchall() == []
