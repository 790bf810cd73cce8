"""Replies out: submit_sm from the short code, with a delivery receipt requested.

Long text is split without breaking a GSM escape or a surrogate pair, parts tied by a
16-bit reference. Submits keep to the operator's agreed rate. ESME_RTHROTTLED and
ESME_RMSGQFUL on a reply's first part pause the channel (`ReplyPaused`: no attempt
spent, the pause remembered across restarts); on a later part they pause the bind and
resend the refused part after a backoff (it was refused, so resending cannot duplicate
it, and the parts already taken must be completed). A submit that gets no response, or
whose link drops before the response, is never resent blindly — the reply becomes
uncertain and the channel settles it from the delivery receipts (see `channel.py`).
"""
from __future__ import annotations

import itertools

from twisted.internet import defer, error, task

from gateway.backoff import backoff_delay
from gateway.channels.base import ChannelNotReady, ReplyPaused, ReplyRejected, ReplyUncertain
from gateway.channels.smpp.addresses import reply_address, reply_address_problem
from gateway.channels.smpp.constants import ESME_RMSGQFUL, ESME_ROK, ESME_RTHROTTLED, status_text
from gateway.channels.smpp.dlr import normalise_message_id
from gateway.channels.smpp.framing import ResponseTimeout
from gateway.channels.smpp.text import encode_text
from gateway.logging import get_logger
from gateway.model import Reply

log = get_logger(__name__)

#: statuses after which the same submit may pass later (anything else: the SMSC refuses it)
TEMPORARY = {0x08, 0x14, 0x45, 0x58, 0x64}   # RSYSERR, RMSGQFUL, RSUBMITFAIL, RTHROTTLED, RX_T_APPN
MAX_THROTTLED_TRIES = 8


class NotBound(ChannelNotReady):
    """No bind can send right now; the reply waits for one (no attempt spent)."""


class SubmitRefused(Exception):
    def __init__(self, status: int):
        super().__init__(f"submit_sm refused with command_status {status_text(status)}")
        self.status = status


class RateLimit:
    """At most `per_second` submits a second, spread evenly (a token bucket of one)."""

    def __init__(self, reactor, per_second: float):
        self._reactor = reactor
        self._gap = 1.0 / per_second if per_second > 0 else 0.0
        self._next = 0.0
        self.paused_until = 0.0

    def turn(self) -> defer.Deferred:
        """Fires when the next submit may go."""
        now = self._reactor.seconds()
        at = max(now, self._next, self.paused_until)
        self._next = at + self._gap
        if at <= now:
            return defer.succeed(None)
        return task.deferLater(self._reactor, at - now, lambda: None)


class ReplySender:
    def __init__(self, reactor, sessions_for_sending, rate_limits: dict[str, RateLimit],
                 source_addrs: dict[str, str]):
        self._reactor = reactor
        self._sessions = sessions_for_sending   # () -> list of bound, transmit-capable sessions
        self._rates = rate_limits
        self._sources = source_addrs
        self._references = itertools.cycle(range(1, 0x10000))
        self.throttled = 0

    def _session(self, reply: Reply):
        sessions = self._sessions()
        if not sessions:
            raise NotBound("no SMPP bind is bound for sending")
        preferred = reply.reply_context.get("bind")
        return next((s for s in sessions if s.name == preferred), sessions[0])

    @defer.inlineCallbacks
    def send(self, reply: Reply):
        """Fires with the SMSC's message id of the last part (the one receipts follow)."""
        problem = reply_address_problem(reply.recipient, reply.reply_context)
        if problem is not None:   # an empty, over-long or alphanumeric sender: no reply
            raise ReplyRejected(f"no SMS reply possible: {problem}")
        session = self._session(reply)
        encoded = encode_text(reply.text, next(self._references))
        context = reply.reply_context
        fields = dict(source_addr=context.get("source_addr") or self._sources[session.name],
                      source_addr_ton=0, source_addr_npi=0,
                      destination_addr=reply_address(reply.recipient, context),
                      dest_addr_ton=context.get("dest_addr_ton", 1),
                      dest_addr_npi=context.get("dest_addr_npi", 1),
                      esm_class=encoded.esm_class, data_coding=encoded.data_coding,
                      registered_delivery=1)
        message_id = None
        for number, part in enumerate(encoded.parts):
            message_id = yield self._submit(session, dict(fields, short_message=part), first=number == 0)
        return message_id

    @defer.inlineCallbacks
    def _submit(self, session, fields: dict, first: bool):
        rate = self._rates[session.name]
        for attempt in range(1, MAX_THROTTLED_TRIES + 1):
            yield rate.turn()
            if not session.bound:
                raise NotBound(f"bind {session.name} is down")
            try:
                resp = yield session.protocol.send_request("submit_sm", **fields)
            except ResponseTimeout as timeout:
                raise ReplyUncertain(f"{timeout}; not resent to avoid a duplicate SMS") from None
            except error.ConnectionLost as lost:
                if "before sending" in str(lost):
                    raise NotBound(f"bind {session.name} went down before the submit") from None
                raise ReplyUncertain("connection lost awaiting submit_sm_resp; not resent") from None
            if resp.status == ESME_ROK:
                return normalise_message_id(resp.fields.get("message_id") or "")
            if resp.status in (ESME_RTHROTTLED, ESME_RMSGQFUL):
                self.throttled += 1
                pause = backoff_delay(attempt, 1.0, 30.0)
                rate.paused_until = self._reactor.seconds() + pause
                if first:   # nothing of this reply went out: it waits in the queue
                    raise ReplyPaused(rate.paused_until, f"SMSC throttling ({status_text(resp.status)})")
                log.warning("SMSC throttles; pausing submits", bind=session.name, pause_s=round(pause, 2))
                continue
            if resp.status in TEMPORARY:
                raise SubmitRefused(resp.status)
            raise ReplyRejected(f"submit_sm refused with command_status {status_text(resp.status)}")
        raise SubmitRefused(ESME_RTHROTTLED)
