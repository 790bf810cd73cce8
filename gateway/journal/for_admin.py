"""The journal as the admin commands see it: synchronous, no daemon needed, and never
creating or upgrading a database (an admin's look-up must not make an empty one that
then hides the service's real database).

The admin commands (`complaints …`, `replies …`) use this and nothing else of the
journal: it is the same door as `Journal`, for short-lived processes that run beside a
daemon or without one. Writes (`revive_dead`, `resend_replies`) are single transactions
the daemon picks up at its next rescan.
"""
from __future__ import annotations

from datetime import datetime
from pathlib import Path

from gateway.journal import complaint_journal, complaint_lookup, migrate, reply_journal
from gateway.journal.complaint_lookup import Found
from gateway.journal.database import make_engine


class JournalForAdmin:
    def __init__(self, url: str):
        if url.startswith("sqlite:///") and not Path(url[len("sqlite:///"):]).exists():
            raise migrate.SchemaMismatch(f"no database at {url[len('sqlite:///'):]}; run"
                                         " `lapor-gateway db upgrade` or start the gateway first")
        self._engine = make_engine(url)
        migrate.ensure_schema(self._engine, migrate=False)

    def list_complaints(self, state: str | None, limit: int, *, since: datetime | None = None,
                        channel: str | None = None, region: str | None = None,
                        reply_state: str | None = None) -> list[dict]:
        with self._engine.connect() as conn:
            return complaint_journal.list_complaints(conn, state, limit, since=since, channel=channel,
                                                     region=region, reply_state=reply_state)

    def find_complaints(self, key: str) -> list[Found]:
        """The complaints `key` names: an id, a tracking number, a reference (see
        `complaint_lookup`)."""
        with self._engine.connect() as conn:
            return complaint_lookup.find_complaints(conn, key)

    def show_complaint(self, complaint_id: str) -> dict | None:
        with self._engine.connect() as conn:
            return complaint_journal.show_complaint(conn, complaint_id)

    def revive_dead(self, complaint_id: str | None) -> tuple[list[str], dict | None]:
        """(ids put back to parsed, the complaint asked for when it was not dead)."""
        with self._engine.begin() as conn:
            revived = complaint_journal.revive_dead(conn, complaint_id)
            current = (complaint_journal.show_complaint(conn, complaint_id)
                       if complaint_id and not revived else None)
        return revived, current

    def list_replies(self, state: str | None, limit: int) -> list[dict]:
        with self._engine.connect() as conn:
            return reply_journal.list_replies(conn, state, limit)

    def resend_replies(self, reply_id: int | None, states: tuple[str, ...]) -> list[int]:
        with self._engine.begin() as conn:
            return reply_journal.resend_replies(conn, reply_id, states)

    def close(self) -> None:
        self._engine.dispose()
