"""The citizen's loop in `lapor-gateway demo`: after their complaints, a citizen on each
channel asks for the case's status (CEK) and hears when the case store moves it.

The demo runs on the embedded case store, so the case moves as it does in an embedded
deployment — `lapor-gateway complaints set-status` (here the same function, while the
gateway runs) records the change with the citizen's update, and the running gateway's
outbox sends it. A central case store would push the change to `POST /case-store/events`
instead; what the citizen gets is the same. Like demo.py, this module names no channel:
each demo part asks on its own channel and knows when its updates arrived.
"""
from __future__ import annotations

from twisted.internet import defer, threads
from twisted.internet.defer import inlineCallbacks

from gateway.admin_status import move_case

#: where the demo moves each case, and the case store's words for it
STATUS, NOTE = "verified", "Petugas akan meninjau lokasi."


@inlineCallbacks
def follow_cases(reactor, service, settings, parts, rows):
    """Each part's citizen asks for their case's status; then every such case moves and its
    citizen is told. [{"row", "asked", "answer", "update"}], the update as the journal
    holds it (text, delivery state)."""
    asked = []
    for part in parts:
        asked += yield part.ask_status(service, rows)
    arrived = defer.gatherResults([part.wait_for_updates(service) for part in parts], consumeErrors=True)
    for entry in asked:
        yield threads.deferToThreadPool(reactor, reactor.getThreadPool(), move_case, settings,
                                        int(entry["row"]["tracking_id"]), STATUS, NOTE)
    yield arrived.addTimeout(30, reactor)
    for entry in asked:
        replies = (yield service.journal.show_complaint(entry["row"]["id"]))["replies"]
        entry["update"] = replies[-1]
    return asked


def print_loop(asked) -> None:
    print("\nThe citizen's loop: each citizen asks for their case's status on their channel; then"
          f" the case store moves the case to {STATUS!r} (as `lapor-gateway complaints set-status"
          f" <nomor> {STATUS} --note ...` does) and the citizen hears of it:")
    for entry in asked:
        row, update = entry["row"], entry["update"]
        print(f"  {'#' + str(row['tracking_id']):9} {row['channel']:8} asks:   {entry['asked']}")
        print(f"      answer: {entry['answer']}")
        print(f"      update {update.get('delivery_status') or update.get('state', 'none')}: {update['text']}")
