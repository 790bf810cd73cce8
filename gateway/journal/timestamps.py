"""Timestamps as the database hands them back: SQLite returns naive datetimes, PostgreSQL
aware ones; everything we store is UTC, so both are read as aware UTC."""
from __future__ import annotations

from datetime import datetime, timezone


def as_utc(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)
