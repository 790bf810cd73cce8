"""Malformed and over-long PDUs over real TCP: each gets a permanent error status (so an
SMSC stops repeating it) and the connection stays up; only a command_length below the
header closes it. A raw TCP client writes the bytes; the server is the framing base."""
import struct

import pytest
import pytest_twisted
from twisted.internet import defer, endpoints, protocol, reactor
from twisted.internet.testing import StringTransport

from gateway.channels.smpp import codec
from gateway.channels.smpp.constants import (
    ESME_RINVCMDID,
    ESME_RINVMSGLEN,
    ESME_RINVOPTPARSTREAM,
    ESME_ROK,
    ESME_RSYSERR,
)
from gateway.channels.smpp.framing import MAX_PDU_LENGTH, SmppProtocol

from .esme import listen_raw


class Peer(SmppProtocol):
    """The far end: takes deliver_sm, or fails on one whose text is b"boom"."""

    def __init__(self, delivered):
        super().__init__(enquire_link_interval=None, inactivity_timeout=None)
        self.delivered = delivered

    def handle_deliver_sm(self, pdu):
        if pdu.short_message == b"boom":
            raise RuntimeError("a bug of ours")
        self.delivered.append(pdu)
        self.respond(pdu)


class RawClient(protocol.Protocol):
    """Writes bytes as given; reads the answers back as decoded PDUs."""

    def __init__(self):
        self.buffer = b""
        self.answers = []
        self.closed = defer.Deferred()
        self._waiters = []

    def dataReceived(self, data):
        self.buffer += data
        while len(self.buffer) >= 4 and len(self.buffer) >= struct.unpack(">L", self.buffer[:4])[0]:
            length = struct.unpack(">L", self.buffer[:4])[0]
            self.answers.append(codec.decode(self.buffer[:length]))
            self.buffer = self.buffer[length:]
        ready = [w for w in self._waiters if len(self.answers) >= w[0]]
        self._waiters = [w for w in self._waiters if w not in ready]
        for n, d in ready:
            d.callback(self.answers[:n])

    def wait_answers(self, n):
        d = defer.Deferred()
        self._waiters.append((n, d))
        self.dataReceived(b"")
        return d

    def connectionLost(self, reason=None):
        self.closed.callback(None)


@pytest.fixture
def peer():
    """(port, delivered): a listening Peer and what it was delivered."""
    delivered = []
    port = listen_raw(lambda: Peer(delivered))
    yield port.getHost().port, delivered
    port.stopListening()


def connect_raw(port):
    endpoint = endpoints.TCP4ClientEndpoint(reactor, "127.0.0.1", port)
    return endpoints.connectProtocol(endpoint, RawClient())


def relength(data):
    return struct.pack(">L", len(data)) + data[4:]


def deliver_sm(sequence, text=b"Jateng jalan rusak", **fields):
    return codec.encode("deliver_sm", sequence, source_addr="6281200000001",
                        destination_addr="1708", short_message=text, **fields)


def enquire_link(sequence):
    return codec.encode("enquire_link", sequence)


def header(length, command_id, sequence):
    return struct.pack(">LLLL", length, command_id, 0, sequence)


MALFORMED = {
    # a request that is its bare header: none of its mandatory fields
    "bare header": (header(16, 0x00000005, 11), "deliver_sm_resp", ESME_RINVMSGLEN),
    # service_type's C-string never ends
    "no NUL": (relength(deliver_sm(12)[:20]), "deliver_sm_resp", ESME_RINVMSGLEN),
    # sm_length says 200 octets, 3 follow
    "sm_length past the end": (relength(deliver_sm(13, b"abc")[:-4] + b"\xc8abc"),
                               "deliver_sm_resp", ESME_RINVMSGLEN),
    "TLV header cut": (relength(deliver_sm(14) + b"\x04\x24\x00"), "deliver_sm_resp",
                       ESME_RINVOPTPARSTREAM),
    "TLV value cut": (relength(deliver_sm(15) + b"\x04\x24\x00\x10abc"), "deliver_sm_resp",
                      ESME_RINVOPTPARSTREAM),
    "unknown command": (header(16, 0x00000999, 16), "generic_nack", ESME_RINVCMDID),
    "our own bug": (deliver_sm(17, b"boom"), "deliver_sm_resp", ESME_RSYSERR),
}


@pytest.mark.parametrize("case", sorted(MALFORMED))
@pytest_twisted.inlineCallbacks
def test_a_malformed_pdu_gets_its_permanent_status_and_the_link_stays(peer, case):
    port, delivered = peer
    data, command, status = MALFORMED[case]
    client = yield connect_raw(port)
    client.transport.write(data + enquire_link(99))
    refusal, alive = yield client.wait_answers(2)
    sequence = struct.unpack(">L", data[12:16])[0]
    assert (refusal.command, refusal.status, refusal.sequence) == (command, status, sequence)
    assert (alive.command, alive.status, alive.sequence) == ("enquire_link_resp", ESME_ROK, 99)
    assert delivered == []
    client.transport.loseConnection()
    yield client.closed


@pytest_twisted.inlineCallbacks
def test_a_decoder_fault_is_a_system_error_not_a_dropped_link(peer, monkeypatch):
    port, _ = peer
    real = codec.decode

    def broken(frame):
        if frame[4:8] == b"\x00\x00\x00\x05":
            raise AttributeError("a bug in the codec")
        return real(frame)
    monkeypatch.setattr(codec, "decode", broken)
    client = yield connect_raw(port)
    client.transport.write(deliver_sm(21) + enquire_link(22))
    refusal, alive = yield client.wait_answers(2)
    assert (refusal.command, refusal.status, refusal.sequence) == ("deliver_sm_resp", ESME_RSYSERR, 21)
    assert (alive.command, alive.sequence) == ("enquire_link_resp", 22)
    client.transport.loseConnection()
    yield client.closed


@pytest_twisted.inlineCallbacks
def test_the_largest_message_payload_fits(peer):
    port, delivered = peer
    payload = bytes(range(256)) * 255 + b"x" * 255          # 65,535 octets
    data = deliver_sm(31, b"", message_payload=payload, sar_msg_ref_num=1,
                      sar_total_segments=1, sar_segment_seqnum=1)
    assert len(data) <= MAX_PDU_LENGTH
    client = yield connect_raw(port)
    client.transport.write(data)
    (answer,) = yield client.wait_answers(1)
    assert (answer.command, answer.status) == ("deliver_sm_resp", ESME_ROK)
    assert delivered[0].message_payload == payload
    client.transport.loseConnection()
    yield client.closed


@pytest.mark.parametrize("command_id, command", [(0x00000005, "deliver_sm_resp"),
                                                 (0x00000999, "generic_nack")])
@pytest_twisted.inlineCallbacks
def test_an_over_long_pdu_is_refused_skipped_exactly_and_the_link_stays(peer, command_id, command):
    port, delivered = peer
    length = MAX_PDU_LENGTH + 1
    client = yield connect_raw(port)
    client.transport.write(header(length, command_id, 41))
    (refusal,) = yield client.wait_answers(1)          # answered before the body arrives
    assert (refusal.command, refusal.status, refusal.sequence) == (command, ESME_RINVMSGLEN, 41)
    body = b"\xff" * (length - 16)
    # The body in uneven pieces, the last one sharing its write with the next PDU.
    client.transport.write(body[:1000])
    client.transport.write(body[1000:-7])
    client.transport.write(body[-7:] + deliver_sm(42))
    _, accepted = yield client.wait_answers(2)
    assert (accepted.command, accepted.status, accepted.sequence) == ("deliver_sm_resp", ESME_ROK, 42)
    assert [p.sequence for p in delivered] == [42]
    client.transport.loseConnection()
    yield client.closed


def test_an_over_long_body_is_never_buffered():
    proto = Peer([])
    proto.makeConnection(StringTransport())
    length = 10 * MAX_PDU_LENGTH
    proto.dataReceived(header(length, 0x00000005, 51))
    for _ in range(length // 4096):
        proto.dataReceived(b"\0" * 4096)
        assert len(proto._buffer) == 0
    proto.dataReceived(b"\0" * (length - 16 - (length // 4096) * 4096) + enquire_link(52))
    answers = codec.decode(proto.transport.value()[-16:])
    assert (answers.command, answers.sequence) == ("enquire_link_resp", 52)


@pytest.mark.parametrize("length", [0, 8, 15])
@pytest_twisted.inlineCallbacks
def test_a_length_below_the_header_closes_the_connection(peer, length):
    # Nothing can say where the next PDU starts: the stream is lost (framing.py).
    port, _ = peer
    client = yield connect_raw(port)
    client.transport.write(struct.pack(">LLLL", length, 5, 0, 1))
    yield client.closed
