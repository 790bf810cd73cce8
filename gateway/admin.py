"""Admin commands over the database: `complaints list`, `complaints show`, `complaints retry`
(and `complaints set-status`, in admin_status.py).

They work on the database directly, so they need no daemon and work the same whether
it runs or not, and print JSON or a short table so Diskominfo staff and ops can see
where each complaint is. `show` and `retry` take what a citizen quotes — the tracking
number (`1000001`, `#1000001`), the gateway's reference (the start of the id) — or the
id, and refuse to guess when it names more than one complaint. `retry` moves dead
letters back to `parsed`: a running gateway takes them on within
`[forwarder].rescan_interval_s`, a stopped one at start. None of them creates a database.
"""
from __future__ import annotations

import argparse
import json
import re
import sys
from datetime import datetime, timedelta, timezone

from gateway.admin_status import register as register_set_status
from gateway.model import ComplaintState, ReplyState, utcnow
from gateway.journal.for_admin import MIN_REFERENCE, JournalForAdmin

#: what `--reply-state` takes: a reply's state, or "none" for a complaint without one
REPLY_STATES = [*(s.value for s in ReplyState), "none"]
_RELATIVE = re.compile(r"(\d+)([smhdw])")
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days", "w": "weeks"}


def open_journal_for_admin(args) -> JournalForAdmin:
    """The database `--config` (or $LAPOR_CONFIG, or the default config) names."""
    from gateway.config import settings_for_command
    settings = settings_for_command(args.config)
    return JournalForAdmin(settings.database_url,
                           None if settings.source == "<defaults>" else settings.source)


def parse_since(text: str, now: datetime | None = None) -> datetime:
    """`--since`: a time ago (`30m`, `2h`, `3d`, also `s` and `w`) or an ISO date or date
    and time (`2026-03-01`, `2026-03-01T08:00`, `…+07:00`); without an offset it is UTC,
    as the list shows times. Returned in UTC."""
    relative = _RELATIVE.fullmatch(text.strip().lower())
    if relative:
        return (now or utcnow()) - timedelta(**{_UNITS[relative[2]]: int(relative[1])})
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is neither a time ago (30m, 2h, 3d) nor an ISO"
                                         " date or time (2026-03-01, 2026-03-01T08:00+07:00)") from None
    return moment.replace(tzinfo=timezone.utc) if moment.tzinfo is None else moment.astimezone(timezone.utc)


def region_prefix(text: str) -> str:
    if not re.fullmatch(r"\d[\d.]*", text):
        raise argparse.ArgumentTypeError(f"{text!r} is not a Kemendagri code or its start (33, 33.02)")
    return text


def print_rows(rows: list[dict], as_json: bool, header: str, line) -> int:
    """Rows as JSON lines, or as a table: `header`, then `line(row, error)` per row (the
    row's last_error on one line)."""
    if as_json:
        for row in rows:
            print(json.dumps(row, ensure_ascii=False))
        return 0
    print(header)
    for row in rows:
        print(line(row, " ".join((row["last_error"] or "-").split())))
    return 0


def cmd_list(args) -> int:
    from gateway.channels.registry import channel_kinds
    channels = sorted(kind.name for kind in channel_kinds().values())
    if args.channel and args.channel not in channels:
        print(f"lapor-gateway: complaints list: no channel {args.channel!r} (the channels: "
              f"{', '.join(channels)})", file=sys.stderr)
        return 2
    rows = open_journal_for_admin(args).list_complaints(
        args.state, args.limit, since=args.since, channel=args.channel, region=args.region,
        reply_state=args.reply_state)
    return print_rows(
        rows, args.json,
        f"{'TIME':20}  {'CHANNEL':8}  {'STATE':9}  {'ROUTING':9}  {'REGION':8}  {'TRACKING':12}  "
        f"{'REF':8}  {'REPLY':9}  ERROR",
        lambda r, error: (f"{_second(r['received_at']):20}  {r['channel']:8}  {r['state']:9}  "
                          f"{r['routing'] or '-':9}  {r['region'] or '-':8}  {r['tracking_id'] or '-':12}  "
                          f"{r['id'][:8]:8}  {r['reply_state'] or '-':9}  {error[:60]}"))


def _second(iso: str) -> str:
    """A stored UTC time as the list shows it: ISO 8601 to the second, `Z`."""
    return datetime.fromisoformat(iso).astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def one_complaint(journal: JournalForAdmin, key: str) -> str | None:
    """The id of the one complaint `key` names; None (said on stderr) when it names
    none, or several — then their ids, and how each matched, for the admin to choose."""
    found = journal.find_complaints(key)
    if len(found) == 1:
        return found[0].complaint_id
    if not found:
        print(f"lapor-gateway: no complaint {key} (looked for an id, a tracking number, and a"
              f" reference: the start of an id, {MIN_REFERENCE} hex characters or more)", file=sys.stderr)
    elif all(f.how == "tracking number" for f in found):
        print(f"lapor-gateway: tracking number {key.lstrip('#')} is on {len(found)} complaints — a"
              " case store should never number two alike, tell its operators; give one of their"
              " ids:", file=sys.stderr)
    else:
        by_number = any(f.how == "tracking number" for f in found)
        print(f"lapor-gateway: {key} names {len(found)} complaints; give more of the id"
              f"{f', or #{key} for the tracking number' if by_number else ''}:", file=sys.stderr)
    for f in found:
        print(f"  {f.complaint_id}  ({f.how})", file=sys.stderr)
    return None


def cmd_show(args) -> int:
    journal = open_journal_for_admin(args)
    complaint_id = one_complaint(journal, args.id)
    if complaint_id is None:
        return 1
    print(json.dumps(journal.show_complaint(complaint_id), ensure_ascii=False, indent=2, default=str))
    return 0


def cmd_retry(args) -> int:
    if (args.id is None) == (not args.all_dead):
        print("lapor-gateway: complaints retry: give one ID or --all-dead", file=sys.stderr)
        return 2
    journal = open_journal_for_admin(args)
    complaint_id = None
    if args.id is not None and (complaint_id := one_complaint(journal, args.id)) is None:
        return 1
    revived, current = journal.revive_dead(complaint_id)
    if complaint_id and not revived:
        print(f"lapor-gateway: complaint {complaint_id} is {current['state']}, not dead; nothing to"
              " retry", file=sys.stderr)
        return 1
    for revived_id in revived:
        print(revived_id)
    print(f"{len(revived)} complaint(s) back to parsed: a running gateway forwards them within"
          " [forwarder].rescan_interval_s, a stopped one when it starts", file=sys.stderr)
    return 0


def register(sub, add_config) -> None:
    complaints = sub.add_parser("complaints", help="list and inspect complaints")
    verbs = complaints.add_subparsers(dest="complaints_command", required=True)
    p = verbs.add_parser("list", help="the newest complaints, narrowed by the options given (no"
                                      " personal data)")
    add_config(p)
    p.add_argument("--state", choices=["pending", *(s.value for s in ComplaintState)],
                   help="pending = received or parsed (not yet forwarded); dead = refused by the"
                        " case store, see ERROR")
    p.add_argument("--since", type=parse_since, metavar="WHEN",
                   help="received since: a time ago (30m, 2h, 3d) or an ISO date or time, UTC unless"
                        " it says otherwise (2026-03-01, 2026-03-01T08:00+07:00)")
    p.add_argument("--channel", help="sms, x, telegram, local")
    p.add_argument("--region", type=region_prefix, metavar="CODE",
                   help="a Kemendagri code or its start: 33 is all of Jawa Tengah, 33.02 Banyumas")
    p.add_argument("--reply-state", choices=REPLY_STATES,
                   help="the state of the complaint's latest reply; none: no reply yet")
    p.add_argument("--limit", type=int, default=50)
    p.add_argument("--json", action="store_true", help="one JSON object per line")
    p.set_defaults(func=cmd_list)
    p = verbs.add_parser("show", help="one complaint with its message and replies (personal data!)")
    add_config(p)
    p.add_argument("id", help="its tracking number (1000001 or '#1000001'), the gateway's reference"
                              f" (the start of its id, {MIN_REFERENCE}+ characters) or its id")
    p.set_defaults(func=cmd_show)
    p = verbs.add_parser("retry", help="send dead letters to the case store again (daemon running"
                                       " or not)")
    add_config(p)
    p.add_argument("id", nargs="?", help="the dead complaint to retry: its id or reference")
    p.add_argument("--all-dead", action="store_true", help="retry every dead complaint")
    p.set_defaults(func=cmd_retry)
    register_set_status(verbs, add_config)
