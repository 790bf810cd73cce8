"""Admin commands over the replies: `replies list`, `replies resend`.

A reply that failed for good (refused by the channel, or out of attempts) or that stays
uncertain (its send was in doubt and its channel could not tell whether it went out)
is visible here and can be sent again. `resend` puts it back to queued: a running
gateway sends it within `[forwarder].rescan_interval_s`, a stopped one at its next
start. Resending an uncertain reply is the admin's decision that a possible second
message is better than none. The list's REF is the reply's complaint's reference, which
`complaints show` takes ("-": the bot's own answer, about no complaint).
"""
from __future__ import annotations

import sys

from gateway.model import ReplyState

RESENDABLE = (ReplyState.FAILED.value, ReplyState.UNCERTAIN.value)


def cmd_list(args) -> int:
    from gateway.admin import open_journal_for_admin, print_rows
    rows = open_journal_for_admin(args).list_replies(args.state, args.limit)
    return print_rows(
        rows, args.json,
        f"{'ID':>7}  {'CHANNEL':8}  {'KIND':9}  {'STATE':9}  {'TRIES':>5}  {'RESENT':>6}  {'UPDATED':25}  "
        f"{'REF':8}  ERROR",
        lambda r, error: (f"{r['id']:>7}  {r['channel']:8}  {r['kind']:9}  {r['state']:9}  "
                          f"{r['attempts']:>5}  {r['resends']:>6}  {r['updated_at'][:25]:25}  "
                          f"{(r['complaint_id'] or '-')[:8]:8}  {error[:70]}"))


def cmd_resend(args) -> int:
    from gateway.admin import open_journal_for_admin
    if (args.id is None) == (not (args.all_failed or args.all_uncertain)):
        print("lapor-gateway: replies resend: give one ID, or --all-failed and/or --all-uncertain",
              file=sys.stderr)
        return 2
    states = RESENDABLE if args.id is not None else tuple(
        s for s, wanted in ((ReplyState.FAILED.value, args.all_failed),
                            (ReplyState.UNCERTAIN.value, args.all_uncertain)) if wanted)
    queued = open_journal_for_admin(args).resend_replies(args.id, states)
    if args.id is not None and not queued:
        print(f"lapor-gateway: reply {args.id} is not failed or uncertain (or does not exist);"
              " nothing to resend", file=sys.stderr)
        return 1
    for reply_id in queued:
        print(reply_id)
    print(f"{len(queued)} reply(ies) queued again: a running gateway sends them within"
          " [forwarder].rescan_interval_s, a stopped one when it starts", file=sys.stderr)
    return 0


def register(sub, add_config) -> None:
    replies = sub.add_parser("replies", help="list replies and send failed or uncertain ones again")
    verbs = replies.add_subparsers(dest="replies_command", required=True)
    p = verbs.add_parser("list", help="the newest replies, optionally in one state")
    add_config(p)
    p.add_argument("--state", choices=[s.value for s in ReplyState],
                   help="failed = refused or out of attempts; uncertain = may or may not have gone out")
    p.add_argument("--limit", type=int, default=50)
    p.add_argument("--json", action="store_true", help="one JSON object per line")
    p.set_defaults(func=cmd_list)
    p = verbs.add_parser("resend", help="queue failed or uncertain replies again (daemon running or not)")
    add_config(p)
    p.add_argument("id", nargs="?", type=int, help="the reply to send again")
    p.add_argument("--all-failed", action="store_true", help="every failed reply")
    p.add_argument("--all-uncertain", action="store_true", help="every uncertain reply")
    p.set_defaults(func=cmd_resend)
