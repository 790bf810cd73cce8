"""A tiny test ESME on framing.py: binds, records deliver_sm, answers them as told."""
from twisted.internet import defer, endpoints, reactor
from twisted.internet.protocol import Factory

from gateway.channels.smpp.constants import ESME_ROK
from gateway.channels.smpp.framing import SmppProtocol


class TestEsme(SmppProtocol):
    def __init__(self, answer=ESME_ROK, **kwargs):
        kwargs.setdefault("enquire_link_interval", None)
        super().__init__(**kwargs)
        self.answer = answer            # status, or a callable(pdu) -> status / None (no answer)
        self.received = []
        self.closed = defer.Deferred()
        self._waiters = []

    def handle_deliver_sm(self, pdu):
        self.received.append(pdu)
        status = self.answer(pdu) if callable(self.answer) else self.answer
        if status is not None:
            self.respond(pdu, status)
        self._check()

    def wait_received(self, n):
        d = defer.Deferred()
        self._waiters.append((n, d))
        self._check()
        return d

    def _check(self):
        ready = [(n, d) for n, d in self._waiters if len(self.received) >= n]
        self._waiters = [w for w in self._waiters if w not in ready]
        for _, d in ready:
            d.callback(self.received)

    def bind(self, system_id="lapor", password="secret", mode="transceiver"):
        return self.send_request("bind_" + mode, system_id=system_id, password=password,
                                 system_type="", interface_version=0x34)

    def connectionLost(self, reason=None):
        super().connectionLost(reason)
        self.closed.callback(None)


def connect(port, **kwargs):
    """Deferred firing with a connected TestEsme."""
    endpoint = endpoints.TCP4ClientEndpoint(reactor, "127.0.0.1", port)
    return endpoints.connectProtocol(endpoint, TestEsme(**kwargs))


def listen_raw(protocol_factory):
    """A 127.0.0.1 server for framing tests; returns the listening port."""
    return reactor.listenTCP(0, Factory.forProtocol(protocol_factory), interface="127.0.0.1")
