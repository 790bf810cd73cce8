"""The shared protocol base: framing, dispatch, window, timeouts, keep-alive."""
import struct

import pytest
import pytest_twisted
from twisted.internet import error
from twisted.internet.task import Clock
from twisted.internet.testing import StringTransport

from gateway.channels.smpp import codec
from gateway.channels.smpp.constants import ESME_RINVCMDID, ESME_RINVMSGLEN, ESME_ROK, ESME_RSYSERR
from gateway.channels.smpp.framing import ResponseTimeout, SmppProtocol

from .esme import connect, listen_raw


class Recorder(SmppProtocol):
    def __init__(self, **kw):
        kw.setdefault("clock", Clock())
        super().__init__(**kw)
        self.delivered = []

    def handle_deliver_sm(self, pdu):
        self.delivered.append(pdu)
        self.respond(pdu)


def connected(**kw):
    proto = Recorder(**kw)
    transport = StringTransport()
    proto.makeConnection(transport)
    return proto, transport


def written(transport):
    data, out = transport.value(), []
    transport.clear()
    while data:
        (length,) = struct.unpack(">L", data[:4])
        out.append(codec.decode(data[:length]))
        data = data[length:]
    return out


def test_pdus_split_and_coalesced_across_reads():
    proto, transport = connected()
    data = b"".join(codec.encode("deliver_sm", n, short_message=b"m%d" % n) for n in (1, 2, 3))
    for i in range(0, len(data), 7):
        proto.dataReceived(data[i:i + 7])
    assert [p.short_message for p in proto.delivered] == [b"m1", b"m2", b"m3"]
    assert [(p.command, p.sequence) for p in written(transport)] == [
        ("deliver_sm_resp", 1), ("deliver_sm_resp", 2), ("deliver_sm_resp", 3)]


def test_unknown_command_gets_generic_nack():
    proto, transport = connected()
    proto.dataReceived(struct.pack(">LLLL", 16, 0x00000777, 0, 31))
    (nack,) = written(transport)
    assert (nack.command, nack.status, nack.sequence) == ("generic_nack", ESME_RINVCMDID, 31)
    assert not transport.disconnecting and not transport.disconnected


def test_unhandled_known_request_gets_generic_nack():
    proto, transport = connected()
    proto.dataReceived(codec.encode("submit_sm", 5, short_message=b"x"))
    assert [(p.command, p.status) for p in written(transport)] == [("generic_nack", ESME_RINVCMDID)]


def test_malformed_body_gets_error_response():
    proto, transport = connected()
    data = codec.encode("deliver_sm", 8, source_addr="+62812", short_message=b"hello")[:22]
    proto.dataReceived(struct.pack(">L", len(data)) + data[4:])
    (resp,) = written(transport)
    assert (resp.command, resp.status, resp.sequence) == ("deliver_sm_resp", ESME_RINVMSGLEN, 8)
    assert proto.delivered == []


@pytest.mark.parametrize("length", [0, 15])   # over-long ones: test_malformed_pdus.py
def test_broken_command_length_drops_connection(length):
    proto, transport = connected()
    proto.dataReceived(struct.pack(">LLLL", length, 5, 0, 1) + b"rest")
    assert transport.disconnected


def test_handler_exception_answers_system_error():
    class Broken(Recorder):
        def handle_deliver_sm(self, pdu):
            raise RuntimeError("boom")
    proto, transport = Broken(), StringTransport()
    proto.makeConnection(transport)
    proto.dataReceived(codec.encode("deliver_sm", 3))
    assert [(p.command, p.status) for p in written(transport)] == [("deliver_sm_resp", ESME_RSYSERR)]


def test_window_limits_outstanding_requests():
    proto, transport = connected(window=2)
    results = [proto.send_request("submit_sm", short_message=b"%d" % i) for i in range(5)]
    sent = written(transport)
    assert len(sent) == 2 and proto.outstanding == 2 and proto.queued == 3
    proto.dataReceived(codec.encode("submit_sm_resp", sent[0].sequence, message_id="A"))
    (third,) = written(transport)
    assert third.short_message == b"2"
    fired = []
    results[0].addCallback(fired.append)
    assert fired[0].message_id == "A" and proto.outstanding == 2 and proto.queued == 2


def test_response_timeout_fails_with_response_timeout_and_frees_slot():
    clock = Clock()
    proto, transport = connected(clock=clock, window=1, response_timeout=5)
    first = proto.send_request("submit_sm", short_message=b"a")
    second = proto.send_request("submit_sm", short_message=b"b")
    assert len(written(transport)) == 1
    failures = []
    first.addErrback(failures.append)
    clock.advance(4.9)
    assert not failures
    clock.advance(0.2)
    assert failures[0].check(ResponseTimeout)
    (resent,) = written(transport)
    assert resent.short_message == b"b"        # the next one, never the timed-out one again
    proto.dataReceived(codec.encode("submit_sm_resp", 1, message_id="late"))  # ignored
    assert proto.outstanding == 1
    second.addErrback(lambda f: None)


def test_sequence_numbers_wrap_and_skip_outstanding():
    proto, _ = connected()
    proto._last_sequence = 0x7FFFFFFE
    assert [proto.next_sequence() for _ in range(3)] == [0x7FFFFFFF, 1, 2]


def test_enquire_link_after_silence_and_drop_when_unanswered():
    clock = Clock()
    proto, transport = connected(clock=clock, enquire_link_interval=30, response_timeout=10,
                                 inactivity_timeout=None)
    proto.start_keepalive()
    clock.advance(29)
    assert written(transport) == []
    clock.advance(1)
    (enq,) = written(transport)
    assert enq.command == "enquire_link"
    proto.dataReceived(codec.encode("enquire_link_resp", enq.sequence))
    clock.advance(30)
    (enq2,) = written(transport)
    clock.advance(10)
    assert transport.disconnected


def test_inactivity_drops_connection():
    clock = Clock()
    proto, transport = connected(clock=clock, inactivity_timeout=60)
    clock.advance(59)
    proto.dataReceived(codec.encode("enquire_link", 1))
    clock.advance(59)
    assert not transport.disconnected
    clock.advance(1)
    assert transport.disconnected


def test_connection_lost_fails_outstanding_and_queued():
    proto, _ = connected(window=1)
    a, b = proto.send_request("enquire_link"), proto.send_request("enquire_link")
    failures = []
    a.addErrback(failures.append), b.addErrback(failures.append)
    proto.connectionLost(error.ConnectionDone())
    assert len(failures) == 2 and all(f.check(error.ConnectionLost) for f in failures)


@pytest_twisted.inlineCallbacks
def test_broken_length_over_tcp_closes_connection():
    port = listen_raw(lambda: Recorder(clock=None))
    try:
        esme = yield connect(port.getHost().port)
        esme.transport.write(struct.pack(">LLLL", 8, 5, 0, 1))
        yield esme.closed
    finally:
        yield port.stopListening()


@pytest_twisted.inlineCallbacks
def test_request_response_over_tcp():
    port = listen_raw(lambda: Recorder(clock=None))
    try:
        esme = yield connect(port.getHost().port)
        resp = yield esme.send_request("deliver_sm", short_message=b"x")
        assert resp.command == "deliver_sm_resp" and resp.status == ESME_ROK
        esme.transport.loseConnection()
        yield esme.closed
    finally:
        yield port.stopListening()
