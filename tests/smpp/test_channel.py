"""The SMS channel end to end: the bundled SMSC simulator over TCP on 127.0.0.1 →
the gateway's ESME → store → parser → embedded case store → submit_sm reply → receipt."""
import pytest_twisted
from twisted.internet import defer, reactor

from tests.smpp.gateway_harness import gateway, simulator


@pytest_twisted.inlineCallbacks
def test_sms_becomes_a_complaint_and_the_reply_is_delivered(tmp_path):
    sim = simulator()
    service = gateway(tmp_path, sim)
    yield service.start()
    try:
        sim.enqueue_mo("6281234567890", "PekalonganKota Jalan rusak di Jl. Merdeka")
        yield sim.wait_until_acknowledged(1)
        yield sim.wait_until_receipts_acknowledged(1)
        (complaint,) = yield service.journal.list_complaints()
        detail = yield service.journal.show_complaint(complaint["id"])
        assert (detail["region"], detail["state"]) == ("33.75", "forwarded")
        assert detail["sender"] == "+6281234567890"
        (reply,) = detail["replies"]
        assert (reply["state"], reply["delivery_status"]) == ("delivered", "DELIVRD")
        (submitted,) = sim.submitted
        assert (submitted.destination_addr, submitted.source_addr) == ("6281234567890", "1708")
        assert submitted.registered_delivery == 1
        assert f"#{detail['tracking_id']}" in submitted.short_message.decode("ascii")
    finally:
        yield service.stop()
        yield sim.stop()


def texts_of(service):
    """Every committed message text, by sender (straight from the store)."""
    from sqlalchemy import select

    from gateway.journal.tables import messages

    def read(conn):
        return [(r.sender, r.text, tuple(r.flags), r.raw_hex)
                for r in conn.execute(select(messages).order_by(messages.c.id))]
    return service.journal.database.transact(read)


@pytest_twisted.inlineCallbacks
def test_wrong_password_is_refused_and_retried_with_backoff_not_a_hot_loop(tmp_path):
    from twisted.internet import reactor

    from tests.logwatch import LogWatch
    sim = simulator()
    service = gateway(tmp_path, sim, password="wrong", reconnect_initial_s=2.0, reconnect_max_s=4.0)
    (session,) = service.channels["sms"].sessions
    failed, lost = session.next_event("failed"), session.next_event("lost")
    with LogWatch() as logs:
        yield service.start()
        refused = yield logs.wait_for("SMPP bind failed")
    try:
        yield failed
        yield lost
        # the name an SMSC's documentation uses, and the number on the wire
        refusal = "bind refused with command_status ESME_RINVPASWD (0x0e)"
        assert refused["error"] == session.last_error == refusal
        assert not session.bound and not service.channels["sms"].is_up()
        wait = session._retry.getTime() - reactor.seconds()
        assert 1.0 <= wait <= 2.0, wait     # half to all of reconnect_initial_s, jittered
        assert sim.bound == []
    finally:
        yield service.stop()
        yield sim.stop()


@pytest_twisted.inlineCallbacks
def test_a_reconnect_logs_no_twisted_factory_lines_at_info(tmp_path):
    from tests.logwatch import LogWatch
    sim = simulator()
    service = gateway(tmp_path, sim)
    (session,) = service.channels["sms"].sessions
    first_bind = session.next_event("bound")   # ours, not the simulator's view of it: the
    with LogWatch() as logs:                     # bind_resp may still be on its way
        yield service.start()
        try:
            yield first_bind
            lost, bound = session.next_event("lost"), session.next_event("bound")
            sim.bound[0].transport.loseConnection()
            yield lost
            yield bound
            assert logs.count("SMPP bound") == 2
            chatter = [e["event"] for e in logs.events if "factory" in e["event"].lower()]
            assert chatter == []   # "Starting factory <...Factory object at 0x...>" on each connect
        finally:
            yield service.stop()
            yield sim.stop()


@pytest_twisted.inlineCallbacks
def test_reconnects_after_the_smsc_drops_and_nothing_is_lost(tmp_path):
    # The SMSC cuts the link at its 3rd PDU: bind, our first answer, our second answer.
    sim = simulator(drop_after_pdus=3)
    service = gateway(tmp_path, sim)
    (session,) = service.channels["sms"].sessions
    yield service.start()
    try:
        lost = session.next_event("lost")
        for n in range(4):
            sim.enqueue_mo(f"62812000001{n}", f"Jateng Jalan rusak nomor {n}")
        yield lost
        sim.drop_after_pdus = None
        yield session.next_event("bound")
        yield sim.wait_until_acknowledged(4)
        stored = yield texts_of(service)
        assert sorted(t for _, t, _, _ in stored) == [f"Jateng Jalan rusak nomor {n}" for n in range(4)]
        assert session.reconnects >= 1
    finally:
        yield service.stop()
        yield sim.stop()


@pytest_twisted.inlineCallbacks
def test_long_messages_from_two_senders_with_one_reference_never_mix(tmp_path):
    from gateway.smsc_sim.mo import MoSpec, deliver_sm_fields
    sim = simulator()
    service = gateway(tmp_path, sim)
    yield service.start()
    try:
        yield sim.wait_until_bound(1)
        a = "KabBanyumas " + "jalan desa kami rusak parah sejak banjir tahun lalu " * 8 + "AKHIR-A"
        b = "Jateng " + "lampu penerangan di gang kami mati dan rawan kejahatan " * 8 + "AKHIR-B"
        parts_a = deliver_sm_fields(MoSpec("6281200000001", a), reference=7)
        parts_b = deliver_sm_fields(MoSpec("6281200000002", b, concat="udh16"), reference=7)
        assert len(parts_a) >= 3 and len(parts_b) >= 3
        # Interleaved, each in reverse order, with one part delivered twice.
        order = [x for pair in zip(reversed(parts_a), reversed(parts_b)) for x in pair] + [parts_a[0]]
        smsc = sim.bound[0]
        answers = yield defer.gatherResults([smsc.send_request("deliver_sm", **f) for f in order])
        assert {r.status for r in answers} == {0}
        stored = yield texts_of(service)
        assert sorted((s, t) for s, t, _, _ in stored) == [("+6281200000001", a), ("+6281200000002", b)]
        assert (yield service.journal.held_parts("sms")) == []
    finally:
        yield service.stop()
        yield sim.stop()


@pytest_twisted.inlineCallbacks
def test_every_data_coding_is_decoded_and_an_unknown_one_kept_raw(tmp_path):
    sim = simulator()
    service = gateway(tmp_path, sim)
    yield service.start()
    try:
        yield sim.wait_until_bound(1)
        cases = {
            "6281200000011": ("Jateng harga naik 10€ [mahal] {sekali} ~ ^ | \\ @ £ ¥ è", "gsm"),
            "6281200000012": ("Jateng jalan rusak 😡🚧 parah sekali — tolong", "ucs2"),
            "6281200000013": ("Jateng café façade señor ½", "latin1"),
            "6281200000014": ("Jateng " + "🙏 mohon bantu jalan rusak " * 8, "ucs2"),
        }
        for sender, (text, coding) in cases.items():
            sim.enqueue_mo(sender, text, coding=coding)
        smsc = sim.bound[0]
        ia5 = yield smsc.send_request("deliver_sm", source_addr="6281200000015", destination_addr="1708",
                                      data_coding=1, short_message=b"Jateng ASCII only")
        odd = yield smsc.send_request("deliver_sm", source_addr="6281200000016", destination_addr="1708",
                                      data_coding=0x05, short_message=b"\x81\x40\x82\xa0")
        assert (ia5.status, odd.status) == (0, 0)
        yield sim.wait_until_acknowledged(len(cases))
        stored = {s: (t, f, raw) for s, t, f, raw in (yield texts_of(service))}
        for sender, (text, _coding) in cases.items():
            assert stored["+" + sender][0] == text
        assert stored["+6281200000015"][0] == "Jateng ASCII only"
        text, flags, raw = stored["+6281200000016"]
        assert "undecodable" in flags and raw == "814082a0"
    finally:
        yield service.stop()
        yield sim.stop()


@pytest_twisted.inlineCallbacks
def test_receipt_before_submit_resp_is_parked_then_matched(tmp_path):
    from tests.logwatch import LogWatch
    sim = simulator(receipt_before_response=True, receipt_id_decimal=True)
    service = gateway(tmp_path, sim)
    with LogWatch() as logs:
        yield service.start()
        try:
            sim.enqueue_mo("6281234500001", "KabBanyumas Jembatan ambrol")
            yield sim.wait_until_receipts_acknowledged(1)
            yield logs.wait_for("delivery receipt matched after waiting")
            (complaint,) = yield service.journal.list_complaints()
            detail = yield service.journal.show_complaint(complaint["id"])
            assert [(r["state"], r["delivery_status"]) for r in detail["replies"]] == [
                ("delivered", "DELIVRD")]
        finally:
            yield service.stop()
            yield sim.stop()


@pytest_twisted.inlineCallbacks
def test_redelivery_after_a_lost_deliver_sm_resp_is_the_same_complaint(tmp_path):
    # The SMSC drops the link at its 2nd PDU — our deliver_sm_resp — so it never sees
    # our acknowledgement and delivers the message again after reconnecting.
    sim = simulator(drop_after_pdus=2)
    service = gateway(tmp_path, sim)
    (session,) = service.channels["sms"].sessions
    yield service.start()
    try:
        lost = session.next_event("lost")
        sim.enqueue_mo("6281299990001", "Jateng Pungli saat mengurus KTP")
        yield lost
        sim.drop_after_pdus = None
        (acked,) = yield sim.wait_until_acknowledged(1).addCallback(lambda _: sim.acknowledged)
        assert acked.attempts == 2
        assert (yield service.journal.count_by_state()).keys() <= {"received", "parsed", "forwarded"}
        assert sum((yield service.journal.count_by_state()).values()) == 1
        assert service.pipeline.duplicates == 1
    finally:
        yield service.stop()
        yield sim.stop()


@pytest_twisted.inlineCallbacks
def test_store_that_cannot_commit_answers_rx_t_appn_and_loses_nothing(tmp_path):
    from tests.logwatch import LogWatch
    sim = simulator()
    service = gateway(tmp_path, sim)
    db = tmp_path / "gateway.db"
    with LogWatch() as logs:
        yield service.start()
        try:
            yield sim.wait_until_bound(1)
            # The database file goes away (a full disk, a bad mount): commits fail.
            service.journal.database.engine.dispose()
            db.rename(tmp_path / "away.db")
            sim.enqueue_mo("6281299990002", "KabBanyumas Air PDAM mati tiga hari")
            refused = yield logs.wait_for("deliver_sm not committed; asking the SMSC to deliver again")
            assert "no such table" in refused["error"]
            service.journal.database.engine.dispose()
            (tmp_path / "away.db").rename(db)
            yield sim.wait_until_acknowledged(1)
            assert sim.acknowledged[0].attempts >= 2
            stored = yield texts_of(service)
            assert [t for _, t, _, _ in stored] == ["KabBanyumas Air PDAM mati tiga hari"]
        finally:
            yield service.stop()
            yield sim.stop()


@pytest_twisted.inlineCallbacks
def test_malformed_input_never_takes_the_bind_down_except_a_broken_length(tmp_path):
    import struct

    from gateway.channels.smpp import codec
    from tests.logwatch import LogWatch
    sim = simulator()
    service = gateway(tmp_path, sim)
    (session,) = service.channels["sms"].sessions
    with LogWatch() as logs:
        yield service.start()
        try:
            yield sim.wait_until_bound(1)
            smsc = sim.bound[0]
            # An unknown command: answered with generic_nack, the bind stays.
            smsc.transport.write(struct.pack(">LLLL", 16, 0x00000999, 0, 4242))
            # A deliver_sm with a vendor TLV (0x1401): the TLV is ignored, the message kept.
            pdu = codec.encode("deliver_sm", 4243, source_addr="6281299990003", destination_addr="1708",
                               short_message=b"Jateng vendor TLV")
            pdu += struct.pack(">HH", 0x1401, 2) + b"\x00\x01"
            smsc.transport.write(struct.pack(">L", len(pdu)) + pdu[4:])
            yield logs.wait_for("message accepted")
            assert session.reconnects == 0 and session.bound
            # A command_length that cannot be right: the stream is lost; drop and reconnect.
            lost = session.next_event("lost")
            smsc.transport.write(struct.pack(">L", 3) + b"\x00" * 12)
            yield lost
            yield session.next_event("bound")
            assert session.reconnects == 1
            assert [t for _, t, _, _ in (yield texts_of(service))] == ["Jateng vendor TLV"]
        finally:
            yield service.stop()
            yield sim.stop()


@pytest_twisted.inlineCallbacks
def test_throttled_submits_back_off_and_all_replies_go_out_once(tmp_path):
    sim = simulator(throttle_per_second=2)
    service = gateway(tmp_path, sim, submit_per_second=1000.0)  # we burst; the SMSC pushes back
    yield service.start()
    try:
        for n in range(6):
            sim.enqueue_mo(f"62812777000{n}", f"Jateng Sampah menumpuk nomor {n}")
        yield sim.wait_until_receipts_acknowledged(6)
        assert service.channels["sms"].sender.throttled >= 1
        destinations = sorted(s.destination_addr for s in sim.submitted)
        assert destinations == [f"62812777000{n}" for n in range(6)]
    finally:
        yield service.stop()
        yield sim.stop()


def gateway_in_doubt(tmp_path, sim, receipt_window_s: float):
    """A gateway whose submit_sm times out fast (0.3 s), with the given receipt window."""
    import dataclasses

    from tests.smpp.gateway_harness import smpp_settings
    smpp = dataclasses.replace(smpp_settings(sim, response_timeout_s=0.3, enquire_link_s=60.0),
                               receipt_window_s=receipt_window_s)
    return gateway(tmp_path, sim, smpp=smpp)


@pytest_twisted.inlineCallbacks
def the_only_reply(service):
    (complaint,) = yield service.journal.list_complaints()
    (reply,) = (yield service.journal.show_complaint(complaint["id"]))["replies"]
    return reply


@pytest_twisted.inlineCallbacks
def test_a_submit_without_response_is_settled_by_its_receipt_not_resent(tmp_path):
    """The SMSC took the submit but its response came too late: the reply is in doubt,
    and the delivery receipt (parked: it names no id we know) proves it went out."""
    from tests.logwatch import LogWatch
    sim = simulator(receipt_delay=0.0)
    service = gateway_in_doubt(tmp_path, sim, receipt_window_s=30.0)
    with LogWatch() as logs:
        yield service.start()
        try:
            sim.enqueue_mo("6281288880001", "Jateng Jalan rusak")
            yield sim.wait_until_acknowledged(1)
            sim.response_delay = 1.0          # our submit_sm times out; the SMSC keeps it
            yield logs.wait_for("reply may or may not have gone out; settling it")
            settled = yield logs.wait_for("reply in doubt had gone out")
            assert settled["how"] == "a delivery receipt names it"
            assert len(sim.submitted) == 1    # never sent twice
            reply = yield the_only_reply(service)
            assert (reply["state"], reply["delivery_status"], reply["resends"]) == (
                "delivered", "DELIVRD", 0)
        finally:
            yield service.stop()
            yield sim.stop()


@pytest_twisted.inlineCallbacks
def test_a_submit_the_smsc_never_saw_is_sent_again_once_after_the_receipt_window(tmp_path):
    from tests.logwatch import LogWatch
    sim = simulator()
    service = gateway_in_doubt(tmp_path, sim, receipt_window_s=1.0)
    with LogWatch() as logs:
        yield service.start()
        try:
            sim.enqueue_mo("6281288880001", "Jateng Jalan rusak")
            yield sim.wait_until_acknowledged(1)
            sim.black_hole = True   # the SMSC hears nothing: our submit is lost
            yield logs.wait_for("reply may or may not have gone out; settling it")
            assert sim.submitted == []
            sim.black_hole = False
            resent = yield logs.wait_for("reply in doubt had not gone out; sending it again")
            assert "no delivery receipt within 1 s" in resent["how"]
            yield sim.wait_until_receipts_acknowledged(1)
            assert len(sim.submitted) == 1
            reply = yield the_only_reply(service)
            assert (reply["resends"], reply["attempts"]) == (1, 1)
        finally:
            yield service.stop()
            yield sim.stop()


@pytest_twisted.inlineCallbacks
def test_receiver_and_transmitter_pair_and_a_second_smsc(tmp_path):
    from gateway.channels.smpp.settings import SmppBindSettings, SmppSettings
    from tests.smpp.gateway_harness import FAST
    first, second = simulator(), simulator()
    smpp = SmppSettings(enabled=True, binds=(
        SmppBindSettings(name="operator-a", port=first.port, mode="pair", **FAST),
        SmppBindSettings(name="operator-b", port=second.port, **FAST)))
    service = gateway(tmp_path, first, smpp=smpp)
    yield service.start()
    try:
        roles = sorted((s.name, s.role) for s in service.channels["sms"].sessions)
        assert roles == [("operator-a", "receiver"), ("operator-a", "transmitter"),
                         ("operator-b", "transceiver")]
        yield first.wait_until_bound(2)
        first.enqueue_mo("6281266660001", "Jateng Jalan rusak lewat operator A")
        second.enqueue_mo("6281266660002", "KabBanyumas Jalan rusak lewat operator B")
        yield first.wait_until_receipts_acknowledged(1)
        yield second.wait_until_receipts_acknowledged(1)
        # Each reply went back through the operator the citizen used, A's on its transmitter.
        assert [s.destination_addr for s in first.submitted] == ["6281266660001"]
        assert [s.destination_addr for s in second.submitted] == ["6281266660002"]
        assert sorted(p.bound_as for p in first.bound) == ["receiver", "transmitter"]
    finally:
        yield service.stop()
        yield first.stop()
        yield second.stop()


@pytest_twisted.inlineCallbacks
def test_a_late_copy_of_a_part_after_a_restart_is_not_a_second_complaint(tmp_path):
    from gateway.smsc_sim.mo import MoSpec, deliver_sm_fields
    sim = simulator()
    service = gateway(tmp_path, sim)
    yield service.start()
    text = "KabBanyumas " + "irigasi sawah kami rusak sejak musim hujan lalu " * 8
    parts = deliver_sm_fields(MoSpec("6281255550001", text), reference=99)
    try:
        yield sim.wait_until_bound(1)
        answers = yield defer.gatherResults([sim.bound[0].send_request("deliver_sm", **f) for f in parts])
        assert {a.status for a in answers} == {0}
    finally:
        yield service.stop()
    # The daemon died before the SMSC heard the last answer; after the restart the SMSC
    # delivers that part again. The gateway remembers nothing of it in memory.
    restarted = gateway(tmp_path, sim)
    yield restarted.start()
    try:
        yield sim.wait_until_bound(1)
        again = yield sim.bound[0].send_request("deliver_sm", **parts[-1])
        assert again.status == 0
        assert (yield restarted.journal.held_parts("sms")) == []
        assert [t for _, t, _, _ in (yield texts_of(restarted))] == [text]
    finally:
        yield restarted.stop()
        yield sim.stop()


@pytest_twisted.inlineCallbacks
def test_an_alphanumeric_sender_is_a_complaint_but_gets_no_sms_back(tmp_path):
    from tests.logwatch import LogWatch
    sim = simulator()
    service = gateway(tmp_path, sim)
    with LogWatch() as logs:
        yield service.start()
        try:
            sim.enqueue_mo("INFO-PROMO", "Jateng Jalan rusak")
            yield sim.wait_until_acknowledged(1)
            refused = yield logs.wait_for("reply failed for good; `replies resend` sends it again") \
                .addTimeout(10, reactor)
            assert "no SMS reply possible" in refused["reason"]
            (complaint,) = yield service.journal.list_complaints()
            detail = yield service.journal.show_complaint(complaint["id"])
            assert detail["state"] == "forwarded"                 # still a complaint
            assert [r["state"] for r in detail["replies"]] == ["failed"]
            assert sim.submitted == []                            # nothing sent to a name
        finally:
            yield service.stop()
            yield sim.stop()
