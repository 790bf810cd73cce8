"""https:// to the case store with the certificate checked (a trusted one answers, an
untrusted one or one for another name is a TemporaryFailure), and the connect timeout."""
import socket
import ssl

import pytest
import pytest_twisted
from twisted.internet import reactor
from twisted.internet.defer import TimeoutError as DeferredTimeout
from twisted.internet.ssl import Certificate
from twisted.internet.task import Clock

from gateway.forwarder.base import CaseStoreRefusesUs, TemporaryFailure
from gateway.forwarder.http_client import CaseStoreClient
from tests.forwarder.raw_http_server import OK, RawServer, self_signed_certificate


@pytest.fixture(scope="module")
def certificate(tmp_path_factory):
    """(the server's TLS context, its certificate as the client would trust it)."""
    cert_pem, key_pem = self_signed_certificate("127.0.0.1")
    folder = tmp_path_factory.mktemp("tls")
    (folder / "cert.pem").write_bytes(cert_pem)
    (folder / "key.pem").write_bytes(key_pem)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(folder / "cert.pem", folder / "key.pem")
    return context, Certificate.loadPEM(cert_pem)


def keep_alive(side, index):
    while side.read_request() is not None:
        side.send(OK)


@pytest_twisted.inlineCallbacks
def test_https_with_a_trusted_certificate_answers_on_one_kept_alive_connection(certificate):
    context, trusted = certificate
    server = RawServer(reactor, keep_alive, tls=context)
    client = CaseStoreClient(reactor, server.url("https"), connections=2, connect_timeout_s=5.0,
                             user_agent="t", tls_trust=trusted)
    try:
        for _ in range(3):
            assert (yield client.post(b"{}")).code == 200
        assert server.connections == 1 and len(server.requests) == 3
        assert client.stale_connections == 0   # the peek looks under the TLS layer, at the socket
    finally:
        yield client.close()
        server.stop()


@pytest.mark.parametrize("host, trust", [
    ("127.0.0.1", False),   # signed by no one the client trusts (the platform's roots)
    ("localhost", True),    # trusted, but issued for 127.0.0.1, not for this name
])
@pytest_twisted.inlineCallbacks
def test_https_with_a_certificate_that_does_not_check_out_means_the_case_store_refuses_us(certificate, host,
                                                                                          trust):
    context, trusted = certificate
    server = RawServer(reactor, keep_alive, tls=context)
    client = CaseStoreClient(reactor, server.url("https", host), connections=2, connect_timeout_s=5.0,
                             user_agent="t", tls_trust=trusted if trust else None)
    try:
        with pytest.raises(TemporaryFailure, match="no answer from the case store") as raised:
            yield client.post(b"{}")
        assert "certificate" in str(raised.value).lower() or "verif" in str(raised.value).lower()
        # not the complaint's fault, nor a passing one: an outage until ops fix it (issue 14)
        assert isinstance(raised.value, CaseStoreRefusesUs) and raised.value.why == "tls"
        assert server.requests == []
    finally:
        yield client.close()
        server.stop()


@pytest.fixture
def unanswered_address():
    """An address whose listener's accept queue is full: the kernel drops further SYNs, so
    a connect there neither succeeds nor is refused."""
    listener = socket.create_server(("127.0.0.1", 0), backlog=0)
    address = listener.getsockname()
    fillers = []
    for _ in range(4):
        filler = socket.socket()
        filler.setblocking(False)
        filler.connect_ex(address)
        fillers.append(filler)
    yield address
    for sock in [*fillers, listener]:
        sock.close()


@pytest_twisted.inlineCallbacks
def test_a_connection_that_is_not_accepted_in_time_is_a_temporary_failure(unanswered_address):
    client = CaseStoreClient(reactor, "http://%s:%d/complaints" % unanswered_address, connections=1,
                             connect_timeout_s=0.2, user_agent="t")
    try:
        with pytest.raises(TemporaryFailure, match="no answer from the case store: TimeoutError"):
            yield client.post(b"{}").addTimeout(20, reactor)
        assert client._pool._counted == 0   # its place in the pool is free again
    finally:
        yield client.close()


@pytest_twisted.inlineCallbacks
def test_the_worker_timeout_while_connecting_cancels_the_connect(unanswered_address):
    client = CaseStoreClient(reactor, "http://%s:%d/complaints" % unanswered_address, connections=1,
                             connect_timeout_s=30.0, user_agent="t")
    clock = Clock()
    try:
        connecting = client.post(b"{}").addTimeout(5, clock)
        clock.advance(5)
        with pytest.raises(DeferredTimeout):
            yield connecting
        assert client._pool._counted == 0
    finally:
        yield client.close()
