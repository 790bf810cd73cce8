"""The small interface every channel implements, and the one it is given.

A channel knows its protocol and nothing else: it turns what arrives into
`Message` records, hands them to the `Intake`, acknowledges upstream only when the
intake's Deferred fires (the message is committed by then), and sends the replies
the pipeline gives it. Adding a channel means one folder: a package implementing
`Channel` and exposing a `ChannelKind` (see `registry.py`).
"""
from __future__ import annotations

import abc
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Iterable, Protocol

from twisted.internet import defer
from twisted.internet.defer import Deferred

from gateway.model import (AcceptResult, DeliveryReport, HeldPart, Message, PartOutcome, Reply,
                           DatabaseUnavailable)

__all__ = ["Channel", "Intake", "DatabaseUnavailable", "ReplyRejected", "RecipientGone", "ReplyUncertain",
           "ReplyPaused", "ChannelNotReady", "Settlement"]


class Intake(Protocol):
    """What the pipeline offers a channel."""

    def accept(self, message: Message) -> Deferred[AcceptResult]:
        """Fires after the message is committed (errback `DatabaseUnavailable` if it could not be)."""

    def report_delivery(self, report: DeliveryReport) -> Deferred[bool]:
        """Record what became of a reply this channel sent; False if no reply has that id yet."""

    def hold_part(self, part: HeldPart) -> Deferred[PartOutcome]:
        """Store one part of a long message before acknowledging it (or learn that it is
        held already, or that its message was committed already: a late copy, or that with
        it all of its message's parts are held: COMPLETES, commit the message from them).
        The `Message` that completes it names the same `parts_key`, which deletes the
        held parts in the transaction that commits the message."""

    def held_parts(self, channel: str, parts_key: str | None = None) -> Deferred[list[HeldPart]]:
        """The parts still held for `channel` (to restore reassembly after a restart), or
        of one message (`parts_key`: its parts came through several binds or instances)."""

    def claim_expired_parts(self, channel: str, older_than: datetime,
                            completed_since: datetime) -> Deferred[list[HeldPart]]:
        """The parts of messages whose first part came before `older_than` and whose
        others stopped coming, claimed for this instance alone: commit each as a partial
        message (its `parts_key` deletes them). Parts of a message committed since
        `completed_since` are late copies and are dropped, not returned."""

    def load_cursor(self, channel: str) -> Deferred[str | None]:
        """A poller's stored position (X since_id, Telegram offset), or None."""

    def save_cursor(self, channel: str, value: str) -> Deferred[None]:
        """Store a poller's position; call it only after the messages before it are accepted."""

    def load_hint(self, key: str) -> Deferred[dict | None]:
        """What a server told this channel to respect (a pause, a request budget), as stored."""

    def save_hint(self, key: str, value: dict) -> Deferred[None]:
        """Remember a server's hint across restarts."""

    def spend_budget(self, key: str, limit: int, window_s: float, now: float) -> Deferred[float]:
        """Spend one request of a budget that counts per account, shared by every instance
        (at most `limit` in any `window_s` s, none while blocked): 0.0 when spent, else the
        seconds to wait, nothing spent."""

    def block_budget(self, key: str, until: float) -> Deferred[None]:
        """No request of that shared budget before `until` (epoch seconds), on any instance."""

    def find_parked_report(self, channel: str, address: str, since: datetime,
                           snippet: str | None) -> Deferred[int | None]:
        """A parked delivery report about `address` since `since` that fits `snippet`: the
        proof that a reply whose send was in doubt went out (see `Channel.settle`)."""


class Channel(abc.ABC):
    """One way citizens reach us (SMS, X, Telegram, ...)."""

    #: the name complaints and replies carry, e.g. "sms"; also the config section
    name: str

    #: a channel whose loss makes the gateway not ready (see /readyz)
    required: bool = True

    @abc.abstractmethod
    def start(self, intake: Intake) -> Deferred[None] | None:
        """Begin receiving; hand each message to `intake.accept`."""

    @abc.abstractmethod
    def stop(self) -> Deferred[None] | None:
        """Stop intake; fire once nothing more will be handed to the intake."""

    def polls(self) -> bool:
        """Whether this channel fetches its messages (X mentions, Telegram getUpdates): a
        job one instance at a time may run when several share a PostgreSQL. Such a channel
        fetches only between `start_polling` and `stop_polling`, which the service calls
        as this instance takes up and gives up the job (see gateway/leadership.py); it
        sends replies from `start` on either way. False (the default) where messages
        come to the channel (an SMPP bind, a webhook): every instance takes them."""
        return False

    def start_polling(self) -> Deferred[None] | None:
        """Begin fetching: this instance now runs the poller. Take the cursor and any
        stored hints (a request budget, a pause) afresh from the intake — another
        instance may have moved them since this one last polled."""

    def stop_polling(self) -> Deferred[None] | None:
        """Stop fetching (another instance may run the poller now); fire once no fetch
        is under way."""

    #: how many sends may be under way at once (one per conversation at most, see `conversation`)
    send_slots: int = 8

    #: the delivery status a reply has once the channel accepted it, for a channel where
    #: that is the delivery (a post on X, a Telegram message): recorded with the send
    #: itself, so a crash cannot leave it `sent`; None where a receipt tells (SMS)
    delivered_on_acceptance: str | None = None

    @abc.abstractmethod
    def send(self, reply: Reply) -> Deferred[str]:
        """Send a reply to the citizen; fire with the channel's id for it.

        Fail with `ReplyRejected` when the channel will never take it (the reply is marked
        failed) — `RecipientGone` when that is because the address is gone (no updates
        go there any more); `ReplyUncertain` when it may have gone out (the channel `settle`s it);
        `ReplyPaused` when a server asked us to wait and `ChannelNotReady` when nothing
        could be sent (both: queued again, no attempt spent); anything else is a failed
        attempt, retried later.
        """

    def can_send(self) -> bool:
        """Whether a reply could be delivered now (bound, bot started): the outbox sends
        nothing, and spends no attempt, while this is False."""
        return self.is_up()

    def conversation(self, reply: Reply) -> str:
        """Replies with the same conversation are sent one at a time, each recorded before
        the next goes: at most one call per chat is ever in doubt."""
        return reply.recipient

    def settle(self, reply: Reply) -> Deferred["Settlement"]:
        """Decide a reply whose send is in doubt (crash or dropped link mid-send). The
        default keeps it uncertain — visible, for an admin to resend — because sending it
        again blindly could give the citizen two."""
        return defer.succeed(Settlement.keep("this channel cannot tell whether it went out"))

    def is_up(self) -> bool:
        """Whether the channel can receive right now (bound, polling, listening)."""
        return True

    def status(self) -> str:
        """A few words for `systemctl status`, e.g. "up" or "1/2 bound"."""
        return "up" if self.is_up() else "down"

    def metrics(self) -> Iterable:
        """The channel's own figures for /metrics, as Prometheus metric families read at
        scrape time (labels: never an address). Whether it is up is shown for every channel."""
        return ()

    def http_resources(self) -> dict[str, Any]:
        """twisted.web resources to serve on the ops HTTP server, by path (a webhook)."""
        return {}


class ReplyRejected(Exception):
    """The channel refused a reply for good (bad address, blocked user, ...)."""


class RecipientGone(ReplyRejected):
    """The address itself is gone for good (a Telegram user who blocked the bot, a chat
    the bot was removed from): the reply fails, and the address gets no more status
    updates — as if it had sent STOP — until it sends MULAI."""


class ReplyUncertain(Exception):
    """The reply may or may not have gone out (no answer from upstream, the link dropped
    mid-send). Sending it again blindly could give the citizen two messages: it becomes
    uncertain and the channel `settle`s it."""


class ReplyPaused(Exception):
    """A server asked us to wait (HTTP 429, Telegram retry_after, SMPP throttling) and
    took nothing: the channel's sends pause until `until` (epoch seconds), remembered
    across restarts, and the reply waits without spending an attempt."""

    def __init__(self, until: float, reason: str):
        super().__init__(reason)
        self.until = until


class ChannelNotReady(Exception):
    """Nothing could be sent (no bind, the bot not started): no attempt is spent."""


@dataclass(frozen=True)
class Settlement:
    """What a channel decided about a reply in doubt."""

    outcome: str                      # sent | resend | wait | keep
    channel_message_id: str | None = None
    parked_report: int | None = None  # the parked delivery report that proves it went out
    wait_s: float = 0.0
    reason: str = ""

    @classmethod
    def sent(cls, channel_message_id: str | None = None, parked_report: int | None = None,
             reason: str = "") -> "Settlement":
        return cls("sent", channel_message_id, parked_report, reason=reason)

    @classmethod
    def resend(cls, reason: str) -> "Settlement":
        return cls("resend", reason=reason)

    @classmethod
    def wait(cls, seconds: float, reason: str = "") -> "Settlement":
        return cls("wait", wait_s=seconds, reason=reason)

    @classmethod
    def keep(cls, reason: str) -> "Settlement":
        return cls("keep", reason=reason)
