"""`complaints set-status TRACKING STATUS [--note TEXT]`: move a case of the embedded case
store, and tell its citizen.

For drills and for sites that run on the embedded store (`[forwarder].adapter = "local"`):
the embedded store is its own case store, so moving a case is also a case event — stored
with the citizen's notification (`[replies.templates.updates]`, unless held back: STOP,
`[replies].updates_per_case_per_day`) in the transaction that moves it. Like the other
admin commands it works on the database directly: a running gateway sends the
notification within `[forwarder].rescan_interval_s`, a stopped one at its next start.
Exit 1 for a number the embedded store does not have, 78 for a config or database
problem.
"""
from __future__ import annotations

import argparse
import sys

from gateway.case_status import STATUSES

#: what `complaints set-status` says of each notice (see gateway/journal/event_journal.py)
NOTICE_WORDS = {
    "queued": "the citizen's update is queued: a running gateway sends it within"
              " [forwarder].rescan_interval_s, a stopped one when it starts",
    "stopped": "the citizen is not told: their address sent STOP (or is gone)",
    "capped": "the citizen is not told: [replies].updates_per_case_per_day updates in the last 24 h",
    "superseded": "the citizen is not told: a later status event of the case is on record",
    "unchanged": "the citizen is not told: the case had this status and note already",
}


def tracking_number(text: str) -> int:
    number = text.strip().lstrip("#")
    if not number.isdigit() or len(number) > 18:
        raise argparse.ArgumentTypeError(f"{text!r} is not a tracking number of the embedded case"
                                         " store (digits, e.g. 1000001 or '#1000001')")
    return int(number)


def move_case(settings, tracking: int, status: str, note: str | None):
    """Move case `tracking` of the embedded store to `status` and record the change as a
    case event with the citizen's update: (the status before, the `EventRecord`), or
    (None, None) when the store has no such case. What `complaints set-status` does; the
    demo does it too, while its gateway runs."""
    from gateway.journal.for_admin import JournalForAdmin
    from gateway.update_text import UpdateWriter
    journal = JournalForAdmin(settings.database_url, None if settings.source == "<defaults>" else settings.source)
    note = " ".join(note.split()) or None if note else None
    text = UpdateWriter(settings.replies.templates.updates).for_event(str(tracking), status, note)
    try:
        return journal.set_case_status(tracking, status, note, text, settings.replies.updates_per_case_per_day)
    finally:
        journal.close()


def cmd_set_status(args) -> int:
    from gateway.config import settings_for_command
    settings = settings_for_command(args.config)
    before, record = move_case(settings, args.tracking, args.status, args.note)
    if before is None:
        where = ("" if settings.forwarder.adapter == "local" else
                 f"; [forwarder].adapter is {settings.forwarder.adapter!r}: the central case store keeps"
                 " its cases' statuses and pushes them to POST /case-store/events")
        print(f"lapor-gateway: complaints set-status: the embedded case store has no case"
              f" #{args.tracking}{where}", file=sys.stderr)
        return 1
    print(f"#{args.tracking}: {before.status} -> {args.status}")
    if record.outcome == "accepted":
        print(NOTICE_WORDS[record.notice], file=sys.stderr)
    else:   # the case is numbered, its complaint not yet recorded as forwarded
        print(f"no complaint carries #{args.tracking} yet: the status moved, the citizen is not told",
              file=sys.stderr)
    return 0


def register(verbs, add_config) -> None:
    """`complaints set-status`, among the `complaints` verbs."""
    p = verbs.add_parser("set-status", help="move a case of the embedded case store to a status and"
                                            " tell its citizen (drills, embedded deployments)")
    add_config(p)
    p.add_argument("tracking", type=tracking_number, help="the case's tracking number (1000001 or '#1000001')")
    p.add_argument("status", choices=STATUSES, metavar="STATUS",
                   help=f"where the case stands now: {', '.join(STATUSES)}")
    p.add_argument("--note", help="words for the citizen about the change (shown in the update when"
                                  " the template has {status_text}, cut to fit one SMS)")
    p.set_defaults(func=cmd_set_status)
