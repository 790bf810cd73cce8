"""Schema migrations (Alembic): upgrade, and the check `run` makes before it starts.

`run` upgrades a database that is behind when `[database].migrate_on_start` is true (the
default, right for the single embedded SQLite file); with it false — several
instances on one PostgreSQL, where an upgrade is an ops decision — it refuses to start
until `lapor-gateway db upgrade` has been run. A database *newer* than the code
(a rollback) is always refused.
"""
from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Engine

_MIGRATIONS = Path(__file__).parent / "migrations"


class SchemaMismatch(Exception):
    """The database is not at the schema this code needs."""


def _config(connection=None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(_MIGRATIONS))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def head_revision() -> str:
    return ScriptDirectory.from_config(_config()).get_current_head()


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def upgrade(engine: Engine, revision: str = "head") -> None:
    with engine.begin() as conn:
        command.upgrade(_config(conn), revision)


def ensure_schema(engine: Engine, migrate: bool, upgrade_command: str = "lapor-gateway db upgrade") -> str:
    """Bring the schema to head (if allowed) or raise SchemaMismatch, whose message names
    `upgrade_command` as the fix; returns what was done."""
    current, head = current_revision(engine), head_revision()
    if current == head:
        return "current"
    known = {s.revision for s in ScriptDirectory.from_config(_config()).walk_revisions()}
    if current is not None and current not in known:
        raise SchemaMismatch(f"database schema {current} is newer than this version ({head});"
                             " install the newer gateway or restore a matching backup")
    if not migrate:
        raise SchemaMismatch(f"database schema is at {current or 'empty'}, this version needs {head};"
                             f" run `{upgrade_command}`")
    upgrade(engine)
    return f"upgraded {current or 'empty'} -> {head}"


def upgrade_database(url: str) -> tuple[str | None, str]:
    """`lapor-gateway db upgrade`: bring the database at `url` to the newest schema
    (creating a SQLite file and its folder if need be); (revision before, after)."""
    from gateway.journal.database import make_engine   # the engine's pragmas live there
    if url.startswith("sqlite:///"):
        Path(url[len("sqlite:///"):]).parent.mkdir(parents=True, exist_ok=True)
    engine = make_engine(url)
    try:
        before = current_revision(engine)
        upgrade(engine)
        return before, current_revision(engine)
    finally:
        engine.dispose()
