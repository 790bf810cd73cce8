"""The journal as the admin commands see it: synchronous, no daemon needed, and never
creating or upgrading a database.

An admin's look-up must not make an empty database that then hides the service's real
one (a mistyped `--config`, a state directory that is not the service's): a SQLite file
that is not there is reported, naming the path and the config that named it, and is
opened only if it exists (see `make_engine(must_exist=True)`); a database without our
schema is reported as such, with the `db upgrade` command that would make it, and
nothing is written to it. Only `db upgrade` and `run` create a database.

The admin commands (`complaints …`, `replies …`) use this and nothing else of the
journal: it is the same door as `Journal`, for short-lived processes that run beside a
daemon or without one. Writes (`revive_dead`, `resend_replies`) are single transactions
the daemon picks up at its next rescan.
"""
from __future__ import annotations

import uuid
from datetime import datetime
from pathlib import Path

from sqlalchemy import make_url
from sqlalchemy.exc import DBAPIError

from gateway.case_status import CaseEvent, CaseStatus
from gateway.model import utcnow
from gateway.journal import complaint_journal, complaint_lookup, event_journal, migrate, reply_journal
from gateway.journal.event_journal import EventRecord
from gateway.journal.complaint_lookup import MIN_REFERENCE, Found
from gateway.journal.database import make_engine

__all__ = ["MIN_REFERENCE", "Found", "JournalForAdmin", "NoJournal"]


class NoJournal(migrate.SchemaMismatch):
    """The database a config names is not there, cannot be opened, or is not ours."""


class JournalForAdmin:
    def __init__(self, url: str, config: str | None = None):
        """`config`: the file the settings came from (None: the built-in defaults), for
        the messages that say where the database was looked for and how to make it."""
        upgrade = "lapor-gateway db upgrade" + (f" --config {config}" if config else "")
        named = f"config {config}" if config else "the built-in defaults: no --config, $LAPOR_CONFIG" \
                                                  " or config/gateway.toml"
        if url.startswith("sqlite:///"):
            shown = path = make_url(url).database
            if not Path(path).is_file():
                raise NoJournal(f"no database at {path} ({named}); a read creates none: check"
                                f" [gateway].state_directory and [database].url, or create it with"
                                f" `{upgrade}`")
        else:
            shown = make_url(url).render_as_string(hide_password=True)
        self._engine = make_engine(url, must_exist=True)
        try:
            current = migrate.current_revision(self._engine)
            if current is None:
                raise NoJournal(f"{shown} ({named}): not a lapor-gateway database or schema missing:"
                                f" run `{upgrade}`")
            migrate.ensure_schema(self._engine, migrate=False, upgrade_command=upgrade)
        except DBAPIError as error:
            self.close()
            reason = (str(error.orig or error).splitlines() or ["?"])[0]
            raise NoJournal(f"cannot open the database {shown} ({named}): {reason}") from None
        except migrate.SchemaMismatch as mismatch:
            self.close()
            if isinstance(mismatch, NoJournal):
                raise
            raise migrate.SchemaMismatch(f"{shown} ({named}): {mismatch}") from None

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

    def set_case_status(self, tracking_number: int, status: str, note: str | None, notice_text: str,
                        updates_per_day: int) -> tuple[CaseStatus | None, EventRecord | None]:
        """The embedded case store moves a case, and — being its own case store — records
        the change as a case event with the citizen's notification (`notice_text`,
        unless held back), all in one transaction: (the status before, what the event
        came to), or (None, None) when it has no case by that number."""
        now = utcnow()
        with self._engine.begin() as conn:
            before = complaint_journal.set_local_case_status(conn, tracking_number, status, note, now)
            if before is None:
                return None, None
            event = CaseEvent(f"local-{uuid.uuid4()}", str(tracking_number), status, note, now)
            return before, event_journal.record_case_event(conn, event, notice_text, updates_per_day)

    def list_replies(self, state: str | None, limit: int) -> list[dict]:
        with self._engine.connect() as conn:
            return reply_journal.list_replies(conn, state, limit)

    def resend_replies(self, reply_id: int | None, states: tuple[str, ...]) -> list[int]:
        with self._engine.begin() as conn:
            return reply_journal.resend_replies(conn, reply_id, states)

    def close(self) -> None:
        self._engine.dispose()
