"""The small interface every channel implements, and the one it is given.

A channel knows its protocol and nothing else: it turns what arrives into
`Message` records, hands them to the `Intake`, acknowledges upstream only when the
intake's Deferred fires (the message is committed by then), and sends the replies
the pipeline gives it. Adding a channel means one module implementing `Channel`.
"""
from __future__ import annotations

import abc
from typing import Protocol

from twisted.internet.defer import Deferred

from gateway.model import AcceptResult, DeliveryReport, HeldPart, Message, PartOutcome, Reply


class StoreUnavailable(Exception):
    """The store could not commit: acknowledge nothing, let the upstream deliver again."""


class Intake(Protocol):
    """What the pipeline offers a channel."""

    def accept(self, message: Message) -> Deferred[AcceptResult]:
        """Fires after the message is committed (errback `StoreUnavailable` if it could not be)."""

    def report_delivery(self, report: DeliveryReport) -> Deferred[bool]:
        """Record what became of a reply this channel sent; False if no reply has that id yet."""

    def hold_part(self, part: HeldPart) -> Deferred[PartOutcome]:
        """Store one part of a long message before acknowledging it (or learn that it is
        held already, or that its message was committed already: a late copy).
        The `Message` that completes it names the same `parts_key`, which deletes the
        held parts in the transaction that commits the message."""

    def held_parts(self, channel: str) -> Deferred[list[HeldPart]]:
        """The parts still held for `channel` (to restore reassembly after a restart)."""

    def load_cursor(self, channel: str) -> Deferred[str | None]:
        """A poller's stored position (X since_id, Telegram offset), or None."""

    def save_cursor(self, channel: str, value: str) -> Deferred[None]:
        """Store a poller's position; call it only after the messages before it are accepted."""


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

    @abc.abstractmethod
    def send(self, reply: Reply) -> Deferred[str]:
        """Send a reply to the citizen; fire with the channel's id for it.

        Fail with `ReplyRejected` when the channel will never take it (the pipeline
        marks it failed); any other failure is retried later.
        """

    def is_up(self) -> bool:
        """Whether the channel can receive right now (bound, polling, listening)."""
        return True

    def status(self) -> str:
        """A few words for `systemctl status`, e.g. "up" or "1/2 bound"."""
        return "up" if self.is_up() else "down"


class ReplyRejected(Exception):
    """The channel refused a reply for good (bad address, blocked user, ...)."""


class ReplyUncertain(Exception):
    """The reply may or may not have gone out (no answer from upstream). Sending it again
    could give the citizen two messages, so it is not retried; it is marked failed with
    this reason for an admin to see."""
