"""The simulator's load mode (`lapor-gateway smsc-sim --load`): an SMSC that is never
the limit of what it measures.

It delivers `count` MOs from a pool of pre-encoded deliver_sm (load_pool.py) to its
receiving binds, keeping `window` of them outstanding on each, and measures each one's
acknowledgement latency: deliver_sm written to its deliver_sm_resp read. With `spread`
(the default, as real SMSCs and the ordinary simulator do; dealing.py) every receiving
bind takes work as its window has room, and the later parts of a long MO
(`long_share`) go to the next binds in turn, waiting for room there; without it only
the first receiving bind gets any. With `start_after_binds` it delivers nothing until
that many binds are up, so that several ESMEs (gateway instances) are measured from the
same start.

Meanwhile it serves the ESME as the ordinary simulator does — bind, enquire_link,
unbind, submit_sm answered with a message id, then a delivery receipt after
`receipt_delay` when registered_delivery asks for one — and counts full cycles
(load_stats.py): an MO acknowledged, its reply submitted, the reply's receipt
acknowledged.

Like a real SMSC it keeps every deliver_sm until it is answered ESME_ROK: an error
answer or generic_nack means delivering it again after `redelivery_delay`, no answer
within `response_timeout` or a lost connection likewise. Receipts go before MOs when
the window has room (they are older work).

It finishes by itself: `done` fires with the summary (load_stats.LoadStats.summary)
once every MO is acknowledged (and, with `wait_cycles`, every cycle is complete), or
when `duration` seconds have passed since `start()`.
"""
from __future__ import annotations

import collections
import time

from twisted.internet import defer
from twisted.internet.protocol import Factory
from twisted.internet.task import LoopingCall

from gateway.channels.smpp.constants import (
    ESM_SMSC_DELIVERY_RECEIPT,
    ESM_UDHI,
    MESSAGE_STATE_NUMBERS,
    REGISTERED_DELIVERY_FAILURE,
    REGISTERED_DELIVERY_FINAL,
)
from gateway.smsc_sim import fastpdu
from gateway.smsc_sim.answers import bind_status, receipt_text
from gateway.smsc_sim.load_pool import MAX_MOS, MoPool, mo_number, part_counts
from gateway.smsc_sim.load_protocol import LoadConnection
from gateway.smsc_sim.load_stats import LoadStats

_PRINTABLE = bytes(c if 32 <= c < 127 else 63 for c in range(256))   # else "?"


class LoadSmsc(Factory):
    """The load-mode SMSC on 127.0.0.1; `start(port)` then wait on `done`."""

    def __init__(self, count: int, system_id: str = "lapor", password: str = "secret", *,
                 window: int = 100, seed: int | None = 1708, pool_size: int = 512,
                 receipt_delay: float = 0.0, receipt_status: str = "DELIVRD",
                 redelivery_delay: float = 1.0, response_timeout: float = 30.0,
                 duration: float = 300.0, wait_cycles: bool = False, spread: bool = True,
                 long_share: float = 0.0, start_after_binds: int = 1):
        if not 0 < count <= MAX_MOS:
            raise ValueError(f"the load mode delivers 1 to {MAX_MOS} MOs")
        from twisted.internet import reactor
        self.reactor = reactor
        self.system_id, self.password = system_id, password
        self.window = max(1, window)
        self.receipt_delay, self.receipt_status = receipt_delay, receipt_status
        self.redelivery_delay, self.response_timeout = redelivery_delay, response_timeout
        self.duration, self.wait_cycles = duration, wait_cycles
        self.spread, self.start_after_binds = spread, start_after_binds
        self.pool = MoPool(pool_size, seed)
        self.stats = LoadStats(count, part_counts(count, long_share, seed))
        self.connections: list[LoadConnection] = []
        self._connections_made = 0
        self._acked_on_lost: dict[int, int] = {}   # deliver_sm acknowledged, closed connections
        self.done: defer.Deferred = defer.Deferred()   # fires with the summary dict
        self._retry: collections.deque = collections.deque()      # (MO, part) again
        self._unsent: collections.deque = collections.deque()     # (MO, part) a lost bind held
        self._receipts: collections.deque = collections.deque()   # (MO number, bytearray)
        self._due: list = []            # receipts due on the next turn (receipt_delay 0)
        self._due_call = None
        self._next_mo = 0
        self._message_id = 0x1A2B3C00
        self._stamp = (0, "")
        self._listening = None
        self._timers: list = []
        self._started_at = 0.0

    # -- life ---------------------------------------------------------------------------------

    def start(self, port: int = 0, interface: str = "127.0.0.1"):
        self._listening = self.reactor.listenTCP(port, self, interface=interface)
        self._started_at = time.perf_counter()
        self._timers.append(self.reactor.callLater(self.duration, self.finish))
        sweep = LoopingCall(self._sweep)
        sweep.clock = self.reactor
        sweep.start(min(1.0, self.response_timeout), now=False)
        self._timers.append(sweep)
        return self._listening

    @property
    def port(self) -> int:
        return self._listening.getHost().port

    def buildProtocol(self, addr) -> LoadConnection:
        proto = LoadConnection(self)
        proto.factory = self
        self._connections_made += 1
        proto.number = self._connections_made
        return proto

    def stop(self) -> defer.Deferred:
        """Stop listening, cut every connection, cancel the timers."""
        self._cancel_timers()
        for conn in list(self.connections):
            conn.transport.abortConnection()
        listening, self._listening = self._listening, None
        return defer.maybeDeferred(listening.stopListening) if listening else defer.succeed(None)

    def _cancel_timers(self) -> None:
        if self._due_call is not None and self._due_call.active():
            self._due_call.cancel()
        self._due_call = None
        for timer in self._timers:
            if isinstance(timer, LoopingCall):
                if timer.running:
                    timer.stop()
            elif timer.active():
                timer.cancel()
        self._timers = []

    def check_done(self) -> None:
        if not self.done.called and self.stats.complete(self.wait_cycles):
            self.finish()

    def finish(self) -> None:
        """Fire `done` with the summary (once): complete, or cut short by `duration`."""
        if self.done.called:
            return
        self._cancel_timers()
        summary = self.stats.summary(window=self.window,
                                     seconds=time.perf_counter() - self._started_at,
                                     complete=self.stats.complete(self.wait_cycles))
        summary["acked_per_bind"] = {str(number): acked for number, acked in sorted(
            {**self._acked_on_lost, **{c.number: c.acked for c in self.connections}}.items())}
        self.done.callback(summary)

    # -- binds and connections ------------------------------------------------------------------

    def check_bind(self, system_id: str, password: str) -> int:
        return bind_status(system_id, password, self.system_id, self.password)

    def bound(self, conn: LoadConnection) -> None:
        """`conn` has just bound: when it is the bind the run waited for, every bind
        may start — on the next turn, once `conn`'s bind_resp is written (a part of a
        long MO dealt to it now would go out before that answer)."""
        self.stats.binds += 1
        if self.stats.binds == self.start_after_binds:
            self._timers.append(self.reactor.callLater(0, self._kick))

    def connection_lost(self, conn: LoadConnection) -> None:
        if conn in self.connections:
            self.connections.remove(conn)
        self._acked_on_lost[conn.number] = conn.acked
        lost, conn.outstanding = list(conn.outstanding.values()), {}
        for entry in lost:
            self._again(entry)
        self._unsent.extend(conn.assigned)
        conn.assigned.clear()
        self._kick()

    # -- delivering ------------------------------------------------------------------------------

    def fill(self, conn: LoadConnection, out: list) -> None:
        """Append to `out` as many deliver_sm as `conn`'s window has room for: the
        parts of long MOs dealt to it, receipts, MOs to deliver again, new MOs."""
        room = self.window - len(conn.outstanding)
        if room <= 0 or not conn.receives or self.stats.binds < self.start_after_binds:
            return
        if not (self.spread or conn is self._first_receiver()):
            return
        stats, outstanding, now = self.stats, conn.outstanding, time.perf_counter()
        receipts, retry = self._receipts, self._retry
        for waiting in (conn.assigned, self._unsent):
            while room and waiting:
                self._write_part(conn, out, *waiting.popleft(), now)
                room -= 1
        while room and receipts:
            number, data = receipts.popleft()
            sequence = conn.next_sequence()
            fastpdu.patch_sequence(data, sequence)
            out.append(bytes(data))
            outstanding[sequence] = (number, now, data, 0)
            stats.receipts_sent += 1
            room -= 1
        while room and retry:
            self._write_part(conn, out, *retry.popleft(), now)
            stats.redeliveries += 1
            room -= 1
        if room and self._next_mo < stats.count:
            if stats.first_mo_at is None:
                stats.first_mo_at = now
            if stats.parts is None:
                self._new_single_mos(conn, out, room, now)
            else:
                self._new_mos(conn, out, room, now)

    def _new_single_mos(self, conn: LoadConnection, out: list, room: int, now: float) -> None:
        """The hot path when every MO is one deliver_sm: `room` new MOs to `conn`."""
        stats, outstanding = self.stats, conn.outstanding
        first = self._next_mo
        last = min(first + room, stats.count)
        pdu, sent_at, next_sequence = self.pool.pdu, stats.first_sent_at, conn.next_sequence
        for number in range(first, last):
            sequence = next_sequence()
            out.append(pdu(number, sequence))
            outstanding[sequence] = (number, now, None, 0)
            sent_at[number] = now
        stats.mo_sent += last - first
        self._next_mo = last

    def _new_mos(self, conn: LoadConnection, out: list, room: int, now: float) -> None:
        """New MOs, some long: the first part of each to `conn`, the others dealt to
        the binds after it in turn (to `conn` too when it is the only one)."""
        stats = self.stats
        while room and self._next_mo < stats.count:
            number = self._next_mo
            self._next_mo += 1
            stats.first_sent_at[number] = now
            self._write_part(conn, out, number, 0, now)
            room -= 1
            for part in range(1, stats.parts[number]):
                target = self._part_target(conn, part)
                if target is conn and room:
                    self._write_part(conn, out, number, part, now)
                    room -= 1
                elif target is conn:
                    conn.assigned.append((number, part))
                else:
                    self._hand(target, number, part, now)

    def _write_part(self, conn: LoadConnection, out: list, number: int, part: int,
                    now: float) -> None:
        sequence = conn.next_sequence()
        parts = 1 if self.stats.parts is None else self.stats.parts[number]
        out.append(self.pool.pdu(number, sequence, part, parts))
        conn.outstanding[sequence] = (number, now, None, part)
        self.stats.mo_sent += 1

    def _first_receiver(self) -> LoadConnection | None:
        return next((c for c in self.connections if c.receives and c.open), None)

    def _part_target(self, conn: LoadConnection, part: int) -> LoadConnection:
        """The bind `part` turns after `conn` (spread), else `conn`."""
        receivers = [c for c in self.connections if c.receives and c.open]
        if not self.spread or conn not in receivers:
            return conn
        return receivers[(receivers.index(conn) + part) % len(receivers)]

    def _hand(self, target: LoadConnection, number: int, part: int, now: float) -> None:
        """A part dealt to another bind: written there at once if its window has room
        and nothing dealt before waits, else queued on it."""
        if len(target.outstanding) < self.window and not target.assigned:
            out: list = []
            self._write_part(target, out, number, part, now)
            target.transport.write(bytes(out[0]))
        else:
            target.assigned.append((number, part))

    def _kick(self) -> None:
        """Write what is waiting to every receiving bind (outside a read)."""
        for conn in self.connections:
            if conn.receives and conn.open:
                out: list = []
                self.fill(conn, out)
                if out:
                    conn.transport.write(b"".join(out))

    def refused(self, entry: tuple) -> None:
        """An error answer (or generic_nack) to a deliver_sm: deliver it again later."""
        self.stats.nacks += 1
        self._timers.append(self.reactor.callLater(self.redelivery_delay, self._again_now, entry))

    def _again_now(self, entry: tuple) -> None:
        self._again(entry)
        self._kick()

    def _again(self, entry: tuple) -> None:
        number, _sent_at, receipt, part = entry
        if receipt is not None:
            self._receipts.append((number, receipt))
        elif not self.stats.part_acknowledged(number, part):
            self._retry.append((number, part))

    def _sweep(self) -> None:
        """Take back deliver_sm unanswered for `response_timeout` (oldest first)."""
        limit = time.perf_counter() - self.response_timeout
        for conn in self.connections:
            expired = []
            for sequence, entry in conn.outstanding.items():
                if entry[1] > limit:
                    break
                expired.append(sequence)
            for sequence in expired:
                self.stats.timeouts += 1
                self._again(conn.outstanding.pop(sequence))
        self._kick()
        self._timers = [t for t in self._timers if isinstance(t, LoopingCall) or t.active()]

    # -- submits and receipts --------------------------------------------------------------------

    def accept_submit(self, source: str, destination: str, esm_class: int,
                      registered_delivery: int, data_coding: int, short_message: bytes) -> str:
        """Record one submit_sm; returns its message id and schedules its receipt."""
        stats = self.stats
        stats.submits += 1
        self._message_id += 1
        message_id = f"{self._message_id:010X}"
        number = mo_number(destination)
        if number is None or number >= stats.count:
            stats.submits_unmatched += 1
            number = -1
        wants = registered_delivery & (REGISTERED_DELIVERY_FINAL | REGISTERED_DELIVERY_FAILURE)
        receipt = wants == REGISTERED_DELIVERY_FINAL or bool(wants and self.receipt_status != "DELIVRD")
        if number >= 0:
            stats.reply_submitted(number, receipt)
        if receipt:
            data = bytearray(self.receipt_pdu(source, destination, esm_class, data_coding,
                                              short_message, message_id))
            self._schedule_receipt(number, data)
        return message_id

    def receipt_pdu(self, source: str, destination: str, esm_class: int, data_coding: int,
                    short_message: bytes, message_id: str) -> bytes:
        """The receipt deliver_sm for a submit, encoded now (sequence 0, patched when
        sent): from the reply's recipient to its sender, text form and TLVs as the
        ordinary simulator sends them."""
        body = short_message
        if esm_class & ESM_UDHI and body:
            body = body[1 + body[0]:]
        snippet = body[:20].translate(_PRINTABLE).decode("ascii") if data_coding in (0, 1, 3) else ""
        status = self.receipt_status
        text = receipt_text(message_id, status, self._date_stamp(), snippet)
        return fastpdu.deliver_sm(0, source_addr=destination, destination_addr=source,
                                  esm_class=ESM_SMSC_DELIVERY_RECEIPT,
                                  short_message=text.encode("ascii"),
                                  message_state=MESSAGE_STATE_NUMBERS.get(status, 7),
                                  receipted_message_id=message_id)

    def _date_stamp(self) -> str:
        second = int(time.time())
        if self._stamp[0] != second:
            self._stamp = (second, time.strftime("%y%m%d%H%M", time.gmtime(second)))
        return self._stamp[1]

    def _schedule_receipt(self, number: int, data: bytearray) -> None:
        # Never inside the read that brought the submit: its submit_sm_resp goes first
        # (an ESME records the message id from it), on any connection.
        if self.receipt_delay > 0:
            self._timers.append(self.reactor.callLater(self.receipt_delay, self._release,
                                                       [(number, data)]))
            return
        self._due.append((number, data))
        if self._due_call is None:
            self._due_call = self.reactor.callLater(0, self._release_due)

    def _release_due(self) -> None:
        self._due_call, due, self._due = None, self._due, []
        self._release(due)

    def _release(self, receipts: list) -> None:
        self._receipts.extend(receipts)
        self._kick()
