"""The `[database]` config section: our database (SQLite by default, or PostgreSQL).

Until the next release the section may still be called `[store]` (its old name).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from gateway.config_schema import not_positive

#: the databases the gateway runs on (psycopg 3 for PostgreSQL: the `postgres` extra)
URL_SCHEMES = ("sqlite:///", "postgresql://", "postgresql+psycopg://")
SUPPORTED = "sqlite:///PATH or postgresql://USER@HOST/DB; empty: SQLite in the state directory"


@dataclass(frozen=True)
class DatabaseSettings:
    url: str = ""                       # default: SQLite file in the state directory
    migrate_on_start: bool = True
    group_commit_max: int = 500
    sqlite_synchronous: Literal["normal", "full"] = "normal"

    def problems(self) -> list[str]:
        """What is wrong with these settings, as `key: reason` (empty when fine)."""
        found = not_positive(self, "group_commit_max")
        if self.url:
            found += _url_problems(self.url)
        return found


def _url_problems(url: str) -> list[str]:
    """Whatever `run` could only fail on at start (exit 1, restarted for ever by systemd)
    is refused here, as configuration. The URL is never echoed: it may hold a password."""
    if not url.startswith(URL_SCHEMES):
        return [f"url: unsupported database {url.split(':', 1)[0]!r} ({SUPPORTED})"]
    try:
        parsed = make_url(url)
    except (ArgumentError, ValueError):   # a port that is not a number, say
        return [f"url: not a database URL that can be read ({SUPPORTED})"]
    if parsed.get_backend_name() == "sqlite" and parsed.database in (None, "", ":memory:"):
        # SQLAlchemy's in-memory database: every complaint would be gone at the next restart.
        return ["url: an SQLite database must be a file (sqlite:///PATH), not in memory"]
    return []
