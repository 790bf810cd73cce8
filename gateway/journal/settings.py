"""The `[database]` config section: our database (SQLite by default, or PostgreSQL).

Until the next release the section may still be called `[store]` (its old name).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from gateway.config_schema import not_positive

#: the databases the gateway runs on (psycopg 3 for PostgreSQL: the `postgres` extra)
URL_SCHEMES = ("sqlite:///", "postgresql://", "postgresql+psycopg://")


@dataclass(frozen=True)
class DatabaseSettings:
    url: str = ""                       # default: SQLite file in the state directory
    migrate_on_start: bool = True
    group_commit_max: int = 500
    sqlite_synchronous: Literal["normal", "full"] = "normal"

    def problems(self) -> list[str]:
        """What is wrong with these settings, as `key: reason` (empty when fine)."""
        found = not_positive(self, "group_commit_max")
        if self.url and not self.url.startswith(URL_SCHEMES):
            found.append(f"url: must be sqlite:///PATH or postgresql://USER@HOST/DB (empty: SQLite in"
                         f" the state directory), not a {self.url.split(':', 1)[0]!r} URL")
        return found
