"""The process-wide Prometheus instruments the rooms observe as things happen (latencies,
receipts, messages in), and their one-line hooks.

Why apart from `metrics.py`: channels and the forwarder record into these, while
`metrics.py` reads the whole service at scrape time; living on the lowest floor, the
instruments let the rooms record without importing the module that knows them all.
"""
from __future__ import annotations

from prometheus_client import Counter, Histogram

#: forward latency: submit to the case store → its answer (or the timeout)
FORWARD_SECONDS = Histogram(
    "lapor_forward_seconds", "Seconds from submitting a complaint to the case store to its answer,"
    " by outcome (forwarded, refused: dead letter, failed: retried later).", ["outcome"],
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60), registry=None)
#: acknowledgement latency: deliver_sm received → deliver_sm_resp written (the commit's cost)
ACK_SECONDS = Histogram(
    "lapor_smpp_ack_seconds", "Seconds from a deliver_sm arriving to its deliver_sm_resp being"
    " written (it waits for the database's commit).",
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5), registry=None)
MESSAGES_IN = Counter(
    "lapor_messages_in", "Messages committed from each channel; outcome=duplicate when the database"
    " recognised a redelivery.", ["channel", "outcome"], registry=None)
RECEIPTS = Counter(
    "lapor_smpp_receipts", "SMS delivery receipts by their stat: field.", ["status"], registry=None)
COMMANDS = Counter(
    "lapor_commands", "Citizens' commands (not complaints) per command — cek, help, stop, start —"
    " and channel, once committed; a redelivery is not counted again.", ["command", "channel"], registry=None)

CASE_EVENTS = Counter(
    "lapor_case_events", "Status events the case store pushed (POST /case-store/events), by"
    " outcome: accepted (stored now), replay (stored before), or refused and not stored —"
    " bad_signature, stale, unknown_tracking, too_large, malformed, not_stored (our database"
    " failed: the case store sends it again).", ["outcome"], registry=None)
UPDATE_NOTICES = Counter(
    "lapor_update_notices", "What became of the citizen's notification of each stored status event:"
    " queued (on its way through the outbox), or held back — stopped (STOP, or a chat gone),"
    " capped ([replies].updates_per_case_per_day), superseded (a later event came first),"
    " unchanged (the same status again).", ["outcome"], registry=None)
EVENT_OUTCOMES = ("accepted", "replay", "bad_signature", "stale", "unknown_tracking", "too_large",
                  "malformed", "not_stored")
NOTICE_OUTCOMES = ("queued", "stopped", "capped", "superseded", "unchanged")
for _outcome in EVENT_OUTCOMES:   # every outcome a series from the start, 0 included
    CASE_EVENTS.labels(_outcome)
for _outcome in NOTICE_OUTCOMES:
    UPDATE_NOTICES.labels(_outcome)

#: receipt states of SMPP 3.4 appendix B; anything else an SMSC invents is counted as "other"
#: so that a misbehaving SMSC cannot grow the label set without bound
RECEIPT_STATES = {"DELIVRD", "EXPIRED", "DELETED", "UNDELIV", "ACCEPTD", "UNKNOWN", "REJECTD", "ENROUTE"}


def observe_forward(outcome: str, seconds: float) -> None:
    FORWARD_SECONDS.labels(outcome).observe(seconds)


def count_command(command: str, channel: str) -> None:
    COMMANDS.labels(command, channel).inc()


def observe_receipt(status: str | None) -> None:
    status = (status or "").upper()
    RECEIPTS.labels(status if status in RECEIPT_STATES else "other").inc()


def observe_ack(result, clock, started: float):
    """A Deferred callback that passes `result` through and records the ack latency."""
    ACK_SECONDS.observe(clock.seconds() - started)
    return result


def observe_case_event(outcome: str) -> None:
    CASE_EVENTS.labels(outcome).inc()


def observe_update_notice(outcome: str) -> None:
    UPDATE_NOTICES.labels(outcome).inc()
