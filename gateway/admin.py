"""Admin commands over the store: `complaints list` and `complaints show`.

They read the database directly (no daemon needed) and print JSON or a short table,
so Diskominfo staff and ops can see where each complaint is.
"""
from __future__ import annotations

import json
import sys
from pathlib import Path

from gateway.model import ComplaintState
from gateway.store import journal, migrate
from gateway.store.database import make_engine


def _engine(args):
    """The database, read-only in spirit: never created or upgraded by an admin look-up."""
    from gateway.cli import load_settings
    url = load_settings(args).store_url
    if url.startswith("sqlite:///") and not Path(url[len("sqlite:///"):]).exists():
        raise migrate.SchemaMismatch(f"no database at {url[len('sqlite:///'):]}; run"
                                     " `lapor-gateway db upgrade` or start the gateway first")
    engine = make_engine(url)
    migrate.ensure_schema(engine, migrate=False)
    return engine


def cmd_list(args) -> int:
    with _engine(args).connect() as conn:
        rows = journal.list_complaints(conn, args.state, args.limit)
    if args.json:
        for row in rows:
            print(json.dumps(row, ensure_ascii=False))
        return 0
    print(f"{'ID':36}  {'CHANNEL':8}  {'STATE':9}  {'ROUTING':9}  {'REGION':7}  TRACKING")
    for r in rows:
        print(f"{r['id']:36}  {r['channel']:8}  {r['state']:9}  {r['routing'] or '-':9}  "
              f"{r['region'] or '-':7}  {r['tracking_id'] or '-'}")
    return 0


def cmd_show(args) -> int:
    with _engine(args).connect() as conn:
        detail = journal.show_complaint(conn, args.id)
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
    p.add_argument("--state", choices=[s.value for s in ComplaintState])
    p.add_argument("--limit", type=int, default=50)
    p.add_argument("--json", action="store_true", help="one JSON object per line")
    p.set_defaults(func=cmd_list)
    p = verbs.add_parser("show", help="one complaint with its message and replies (personal data!)")
    add_config(p)
    p.add_argument("id")
    p.set_defaults(func=cmd_show)
