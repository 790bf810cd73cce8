"""The simulator's load mode over real TCP on 127.0.0.1: exact counts against the
trivial ESME, cycles against an ESME that replies, redelivery after an error answer,
and latency figures that make sense."""
import asyncio

import pytest_twisted
from twisted.internet import defer

from gateway.channels.smpp.constants import ESM_SMSC_DELIVERY_RECEIPT, ESME_ROK, ESME_RX_T_APPN
from gateway.smsc_sim.ack_esme import AckEsme

from . import esme as test_esme
from .esme import connect


def connect_ack_esme(port):
    """The asyncio trivial ESME, on the reactor's own asyncio loop."""
    loop = asyncio.get_event_loop()
    future = asyncio.ensure_future(loop.create_connection(AckEsme, "127.0.0.1", port))
    return defer.Deferred.fromFuture(future).addCallback(lambda pair: pair[1])


def assert_sane_latency(summary):
    p50, p99, peak = summary["ack_p50_ms"], summary["ack_p99_ms"], summary["ack_max_ms"]
    assert 0 < p50 <= p99 <= peak < summary["seconds"] * 1000
    assert summary["mo_per_s"] > 0


@pytest_twisted.inlineCallbacks
def test_every_mo_reaches_the_trivial_esme_and_the_counts_are_exact(load_smsc):
    smsc = load_smsc(2_000, window=50)
    esme = yield connect_ack_esme(smsc.port)
    summary = yield smsc.done
    assert summary["complete"] is True
    assert (summary["mo_sent"], summary["mo_acked"], esme.acked) == (2_000, 2_000, 2_000)
    assert (summary["submits"], summary["receipts_sent"], summary["cycles"]) == (0, 0, 0)
    assert (summary["nacks"], summary["timeouts"], summary["redeliveries"], summary["errors"]) == (0, 0, 0, 0)
    assert summary["binds"] == 1 and summary["window"] == 50
    assert len(smsc.stats.ack_latencies) == 2_000
    assert_sane_latency(summary)
    assert summary["cycles_per_s"] is None and summary["cycle_p50_ms"] is None


class ReplyingEsme(test_esme.TestEsme):
    """Acknowledges everything; answers each MO with a reply submit_sm to its sender
    asking for a receipt, as the gateway and Kannel do."""

    def __init__(self, registered_delivery=1, **kwargs):
        super().__init__(**kwargs)
        self.registered_delivery = registered_delivery
        self.receipts = []
        self.replies = []

    def handle_deliver_sm(self, pdu):
        super().handle_deliver_sm(pdu)
        if pdu.esm_class & ESM_SMSC_DELIVERY_RECEIPT:
            self.receipts.append(pdu)
            return
        d = self.send_request("submit_sm", source_addr="1708", destination_addr=pdu.source_addr,
                              registered_delivery=self.registered_delivery,
                              short_message=b"LAPOR! Aduan diterima, nomor #5000001")
        d.addCallback(self.replies.append)


@pytest_twisted.inlineCallbacks
def test_cycles_are_counted_against_an_esme_that_replies(load_smsc):
    smsc = load_smsc(60, window=10, wait_cycles=True)
    esme = yield _connect_replying(smsc.port)
    yield esme.bind()
    summary = yield smsc.done
    assert summary["complete"] is True
    assert (summary["mo_acked"], summary["submits"], summary["submits_unmatched"]) == (60, 60, 0)
    assert (summary["receipts_sent"], summary["receipts_acked"], summary["cycles"]) == (60, 60, 60)
    assert all(r.status == ESME_ROK and r.message_id for r in esme.replies)
    # every receipt names the message id its submit_sm_resp gave, and goes to the sender
    ids = {r.message_id for r in esme.replies}
    assert {r.receipted_message_id for r in esme.receipts} == ids
    assert all(r.destination_addr == "1708" and r.source_addr.startswith("62812") for r in esme.receipts)
    assert summary["cycles_per_s"] > 0
    assert 0 < summary["cycle_p50_ms"] <= summary["cycle_p99_ms"] < summary["seconds"] * 1000
    assert_sane_latency(summary)


def _connect_replying(port, **kwargs):
    from twisted.internet import endpoints, reactor
    endpoint = endpoints.TCP4ClientEndpoint(reactor, "127.0.0.1", port)
    return endpoints.connectProtocol(endpoint, ReplyingEsme(**kwargs))


@pytest_twisted.inlineCallbacks
def test_a_reply_without_a_receipt_request_is_no_cycle(load_smsc):
    smsc = load_smsc(5, window=5, wait_cycles=True, duration=1.0)
    esme = yield _connect_replying(smsc.port, registered_delivery=0)
    yield esme.bind()
    summary = yield smsc.done      # cut short by the duration: no cycle can complete
    assert summary["complete"] is False
    assert (summary["mo_acked"], summary["submits"]) == (5, 5)
    assert (summary["receipts_sent"], summary["cycles"]) == (0, 0)


@pytest_twisted.inlineCallbacks
def test_an_error_answer_means_delivering_again(load_smsc):
    smsc = load_smsc(20, window=5, redelivery_delay=0.01)
    refused = []

    def answer(pdu):
        if pdu.source_addr.endswith("00000003") and not refused:
            refused.append(pdu)
            return ESME_RX_T_APPN
        return ESME_ROK
    esme = yield connect(smsc.port, answer=answer)
    yield esme.bind()
    summary = yield smsc.done
    assert summary["complete"] is True
    assert (summary["mo_acked"], summary["mo_sent"]) == (20, 21)
    assert (summary["nacks"], summary["redeliveries"]) == (1, 1)
    senders = [p.source_addr for p in esme.received]
    assert senders.count("6281200000003") == 2 and len(set(senders)) == 20


@pytest_twisted.inlineCallbacks
def test_a_wrong_password_is_refused(load_smsc):
    smsc = load_smsc(3)
    esme = yield connect(smsc.port)
    resp = yield esme.bind(password="wrong")
    assert resp.status != ESME_ROK
    yield esme.closed
    assert smsc.stats.binds == 0
