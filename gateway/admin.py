"""Admin commands over the database: `complaints list`, `complaints show`, `complaints retry`.

They work on the database directly, so they need no daemon and work the same whether
it runs or not, and print JSON or a short table so Diskominfo staff and ops can see
where each complaint is. `retry` moves dead letters back to `parsed`: a running
gateway takes them on within `[forwarder].rescan_interval_s`, a stopped one at start.
"""
from __future__ import annotations

import json
import sys

from gateway.model import ComplaintState
from gateway.journal.for_admin import JournalForAdmin


def open_journal_for_admin(args) -> JournalForAdmin:
    """The database `--config` (or $LAPOR_CONFIG, or the default config) names."""
    from gateway.config import settings_for_command
    return JournalForAdmin(settings_for_command(args.config).database_url)


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
    rows = open_journal_for_admin(args).list_complaints(args.state, args.limit)
    return print_rows(
        rows, args.json,
        f"{'ID':36}  {'CHANNEL':8}  {'STATE':9}  {'ROUTING':9}  {'REGION':7}  {'TRACKING':12}  ERROR",
        lambda r, error: (f"{r['id']:36}  {r['channel']:8}  {r['state']:9}  {r['routing'] or '-':9}  "
                          f"{r['region'] or '-':7}  {r['tracking_id'] or '-':12}  {error[:80]}"))


def cmd_retry(args) -> int:
    if (args.id is None) == (not args.all_dead):
        print("lapor-gateway: complaints retry: give one ID or --all-dead", file=sys.stderr)
        return 2
    revived, current = open_journal_for_admin(args).revive_dead(args.id)
    if args.id and not revived:
        why = f"is {current['state']}, not dead" if current else "does not exist"
        print(f"lapor-gateway: complaint {args.id} {why}; nothing to retry", file=sys.stderr)
        return 1
    for complaint_id in revived:
        print(complaint_id)
    print(f"{len(revived)} complaint(s) back to parsed: a running gateway forwards them within"
          " [forwarder].rescan_interval_s, a stopped one when it starts", file=sys.stderr)
    return 0


def cmd_show(args) -> int:
    detail = open_journal_for_admin(args).show_complaint(args.id)
    if detail is None:
        print(f"lapor-gateway: no complaint {args.id}", file=sys.stderr)
        return 1
    print(json.dumps(detail, ensure_ascii=False, indent=2, default=str))
    return 0


def register(sub, add_config) -> None:
    complaints = sub.add_parser("complaints", help="list and inspect complaints")
    verbs = complaints.add_subparsers(dest="complaints_command", required=True)
    p = verbs.add_parser("list", help="the newest complaints, optionally in one state")
    add_config(p)
    p.add_argument("--state", choices=["pending", *(s.value for s in ComplaintState)],
                   help="pending = received or parsed (not yet forwarded); dead = refused by the"
                        " case store, see ERROR")
    p.add_argument("--limit", type=int, default=50)
    p.add_argument("--json", action="store_true", help="one JSON object per line")
    p.set_defaults(func=cmd_list)
    p = verbs.add_parser("show", help="one complaint with its message and replies (personal data!)")
    add_config(p)
    p.add_argument("id")
    p.set_defaults(func=cmd_show)
    p = verbs.add_parser("retry", help="send dead letters to the case store again (daemon running"
                                       " or not)")
    add_config(p)
    p.add_argument("id", nargs="?", help="the dead complaint to retry")
    p.add_argument("--all-dead", action="store_true", help="retry every dead complaint")
    p.set_defaults(func=cmd_retry)
