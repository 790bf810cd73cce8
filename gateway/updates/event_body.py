"""A pushed event's body, read strictly: `{event_id, tracking_id, status, status_text?,
occurred_at}` (docs/case-store-api.yaml, CaseEvent) → a `CaseEvent`, or `MalformedEvent`
saying what is wrong — the case store's developers read it in our 400 answer.

Strict because what is stored here is told to a citizen: an event whose fields do not
say clearly which case moved to what, and when, is refused rather than guessed at.
"""
from __future__ import annotations

import json
from datetime import datetime, timezone

from gateway.case_status import CaseEvent, normalised_status

#: the most of a body read at all (a larger one is answered 413 unread)
MAX_BODY_BYTES = 64 * 1024
FIELDS = {"event_id", "tracking_id", "status", "status_text", "occurred_at"}
#: column sizes of `case_events`
MAX_EVENT_ID, MAX_TRACKING_ID, MAX_STATUS_TEXT = 128, 64, 2000


class MalformedEvent(ValueError):
    """The body is not an event of the contract; the message says why."""


def read_event(body: bytes) -> CaseEvent:
    try:
        document = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise MalformedEvent("the body is not JSON") from None
    if not isinstance(document, dict):
        raise MalformedEvent("the body is not a JSON object")
    unknown = sorted(set(document) - FIELDS)
    if unknown:
        raise MalformedEvent(f"unknown field {unknown[0]!r} (fields: {', '.join(sorted(FIELDS))})")
    status = normalised_status(document.get("status"))
    if status is None:
        raise MalformedEvent("status: must be a word of letters, digits, _ or -, at most 32 characters")
    text = document.get("status_text")
    if text is not None and (not isinstance(text, str) or len(text) > MAX_STATUS_TEXT):
        raise MalformedEvent(f"status_text: must be a string of at most {MAX_STATUS_TEXT} characters")
    return CaseEvent(event_id=_word(document, "event_id", MAX_EVENT_ID),
                     tracking_id=_word(document, "tracking_id", MAX_TRACKING_ID), status=status,
                     status_text=(text.strip() or None) if text else None,
                     occurred_at=_moment(document.get("occurred_at")))


def _word(document: dict, key: str, longest: int) -> str:
    value = document.get(key)
    if isinstance(value, int) and not isinstance(value, bool) and key == "tracking_id":
        value = str(value)   # a tracking number sent as a JSON number is still that number
    if not isinstance(value, str) or not value.strip() or len(value) > longest or value != value.strip():
        raise MalformedEvent(f"{key}: must be a non-empty string of at most {longest} characters")
    return value


def _moment(value) -> datetime:
    """An RFC 3339 date-time with its offset, as UTC."""
    if not isinstance(value, str):
        raise MalformedEvent("occurred_at: must be an RFC 3339 date-time, e.g. 2026-03-01T08:00:00Z")
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        raise MalformedEvent("occurred_at: must be an RFC 3339 date-time, e.g. 2026-03-01T08:00:00Z") from None
    if moment.tzinfo is None:
        raise MalformedEvent("occurred_at: must name its offset (Z or +07:00)")
    return moment.astimezone(timezone.utc)
