"""A pushed update reaches the citizen on the channel the complaint came from, once (issue
16): SMS to the bundled SMSC simulator over real SMPP (its delivery receipt followed),
Telegram and X to their fakes over real HTTP; STOP holds it back and MULAI lets it
through; a Telegram chat that blocked the bot gets no more updates; `complaints
set-status` on the embedded store reaches the citizen too. One process, real sockets on
127.0.0.1, the events signed as the contract says."""

import pytest_twisted
from twisted.internet import defer, reactor

from gateway.channels.telegram.settings import TelegramSettings
from gateway.demo_fakes.fake_telegram import FakeTelegram
from gateway.demo_fakes.social import SocialDemo
from gateway.journal.citizen_journal import opt_in, opt_out, opted_out
from tests.smpp.gateway_harness import simulator, smpp_settings
from tests.support import MAPPING, cli_in_process, write_config
from tests.updates.helpers import EventsGateway, case_event

PHONE = "6281234567890"


def sms_gateway(tmp_path, sim, secrets: dict | None = None, **sections):
    return EventsGateway(tmp_path, sections={"smpp": smpp_settings(sim), **sections},
                         secrets={"smpp_password": "secret", **(secrets or {})})


@pytest_twisted.inlineCallbacks
def trackings(service) -> dict:
    """{channel: (complaint id, tracking number)} of the complaints so far."""
    rows = yield service.journal.list_complaints()
    return {r["channel"]: (r["id"], r["tracking_id"]) for r in rows}


def texts(submits) -> list[str]:
    return [s.short_message.decode("ascii") for s in submits]


@pytest_twisted.inlineCallbacks
def test_a_pushed_update_reaches_the_citizen_on_sms_telegram_and_x_once(tmp_path):
    sim, social = simulator(), SocialDemo(reactor)
    gw = yield sms_gateway(tmp_path, sim, social.secrets(), **social.sections()).start()
    try:
        sim.enqueue_mo(PHONE, "PekalonganKota Jalan rusak di Jl. Merdeka")
        mention = social.x.mention("warga_pkl", "@lapor1708 PekalonganKota Lampu PJU mati")
        social.telegram.say(880_001, "KabBanyumas Jembatan di Desa Kalisalak retak")
        yield defer.gatherResults([sim.wait_until_receipts_acknowledged(1), social.x.wait_for_replies(1),
                                   social.telegram.wait_for_sent(1)]).addTimeout(60, reactor)
        numbers = yield trackings(gw.service)
        assert set(numbers) == {"sms", "x", "telegram"}
        for channel, status in (("sms", "in_progress"), ("x", "resolved"), ("telegram", "rejected")):
            event = case_event(numbers[channel][1], status, f"Catatan untuk {channel}")
            for outcome in ("accepted", "replay"):
                assert (yield gw.post(event)) == (200, {"outcome": outcome})
        yield defer.gatherResults([sim.wait_until_receipts_acknowledged(2), social.x.wait_for_replies(2),
                                   social.telegram.wait_for_sent(2)]).addTimeout(60, reactor)
        sms_update = gw.service._updates.for_event(numbers["sms"][1], "in_progress", "Catatan untuk sms")
        x_update = gw.service._updates.for_event(numbers["x"][1], "resolved", "Catatan untuk x")
        tg_update = gw.service._updates.for_event(numbers["telegram"][1], "rejected", "Catatan untuk telegram")
        detail = yield gw.service.journal.show_complaint(numbers["sms"][0])
        update = detail["replies"][1]
        assert (update["kind"], update["state"], update["delivery_status"]) == ("update", "delivered", "DELIVRD")
    finally:
        yield gw.stop()   # every send under way finished: nothing more can come
        yield social.stop()
        yield sim.stop()
    assert [s.destination_addr for s in sim.submitted] == [PHONE, PHONE]
    assert texts(sim.submitted)[1] == sms_update
    assert [(r["in_reply_to_tweet_id"], r["text"]) for r in social.x.replies][1] == (mention, x_update)
    assert len(social.x.replies) == 2
    assert [(s["chat_id"], s["text"]) for s in social.telegram.sent][1:] == [(880_001, tg_update)]


@pytest_twisted.inlineCallbacks
def test_stop_holds_the_update_back_and_mulai_lets_the_next_through(tmp_path):
    sim = simulator()
    gw = yield sms_gateway(tmp_path, sim).start()
    try:
        sim.enqueue_mo(PHONE, "PekalonganKota Jalan rusak")
        yield sim.wait_until_receipts_acknowledged(1).addTimeout(60, reactor)
        complaint_id, tracking = (yield trackings(gw.service))["sms"]
        journal = gw.service.journal
        yield journal.database.transact(lambda conn: opt_out(conn, "sms", f"+{PHONE}"))   # STOP
        assert (yield gw.post(case_event(tracking, "verified"))) == (200, {"outcome": "accepted"})
        yield journal.database.transact(lambda conn: opt_in(conn, "sms", f"+{PHONE}"))    # MULAI
        assert (yield gw.post(case_event(tracking, "assigned"))) == (200, {"outcome": "accepted"})
        yield sim.wait_until_receipts_acknowledged(2).addTimeout(60, reactor)
        detail = yield journal.show_complaint(complaint_id)
        assert [(e["status"], e["notice"]) for e in detail["events"]] == [("verified", "stopped"),
                                                                         ("assigned", "queued")]
    finally:
        yield gw.stop()
        yield sim.stop()
    assert len(sim.submitted) == 2       # the complaint's reply and the one update let through
    assert "diteruskan ke instansi" in texts(sim.submitted)[1]


@pytest_twisted.inlineCallbacks
def test_a_telegram_chat_that_blocked_the_bot_gets_no_more_updates(tmp_path):
    fake = FakeTelegram(reactor).listen()
    section = TelegramSettings(enabled=True, poll_timeout_s=10, request_timeout_s=10, api_base_url=fake.base_url)
    gw = yield EventsGateway(tmp_path, sections={"telegram": section},
                             secrets={"telegram_token": fake.token}).start()
    try:
        fake.say(41, "KabBanyumas Jembatan retak")
        yield fake.wait_for_sent(1).addTimeout(60, reactor)
        yield gw.service.channels["telegram"].deliveries.wait_for(1).addTimeout(60, reactor)
        complaint_id, tracking = (yield trackings(gw.service))["telegram"]
        fake.blocked.add(41)                                 # the citizen blocks the bot: 403
        assert (yield gw.post(case_event(tracking, "verified"))) == (200, {"outcome": "accepted"})
        yield gw.service.outbox.stop()                       # waits for the refused send to be recorded
        gone = yield gw.service.journal.database.transact(lambda conn: opted_out(conn, "telegram", "41"))
        assert gone
        assert (yield gw.post(case_event(tracking, "assigned"))) == (200, {"outcome": "accepted"})
        detail = yield gw.service.journal.show_complaint(complaint_id)
        assert [(r["kind"], r["state"]) for r in detail["replies"]] == [("routed", "delivered"), ("update", "failed")]
        assert [e["notice"] for e in detail["events"]] == ["queued", "stopped"]
        assert fake.calls.count("sendMessage") == 2          # the reply, and the update refused
    finally:
        yield gw.stop()
        yield fake.stop()


@pytest_twisted.inlineCallbacks
def test_a_group_that_removed_the_bot_does_not_stop_the_citizens_own_updates(tmp_path):
    """A 403 from a group (the bot was removed) fails that reply only: the citizen who
    complained there is no gone address — their private chat still gets its updates."""
    fake = FakeTelegram(reactor).listen()
    section = TelegramSettings(enabled=True, poll_timeout_s=10, request_timeout_s=10, api_base_url=fake.base_url)
    gw = yield EventsGateway(tmp_path, sections={"telegram": section},
                             secrets={"telegram_token": fake.token}).start()
    group, citizen = -100_500, 42
    try:
        fake.say(group, f"@{fake.bot_user['username']} KabBanyumas Jembatan retak", user_id=citizen,
                 chat_type="supergroup")
        yield fake.wait_for_sent(1).addTimeout(60, reactor)
        fake.say(citizen, "PekalonganKota Lampu jalan mati")
        yield fake.wait_for_sent(2).addTimeout(60, reactor)
        in_private, in_group = [r["tracking_id"] for r in (yield gw.service.journal.list_complaints())]
        fake.blocked.add(group)                              # removed from the group: 403 there
        assert (yield gw.post(case_event(in_group, "verified")))[0] == 200
        assert (yield gw.post(case_event(in_private, "verified")))[0] == 200
        yield fake.wait_for_sent(3).addTimeout(60, reactor)
        assert fake.sent[-1]["chat_id"] == citizen and f"#{in_private} sudah diverifikasi" in fake.sent[-1]["text"]
        yield gw.service.outbox.stop()                       # waits for the refused send to be recorded
        assert not (yield gw.service.journal.database.transact(
            lambda conn: opted_out(conn, "telegram", str(citizen))))
    finally:
        yield gw.stop()
        yield fake.stop()


@pytest_twisted.inlineCallbacks
def test_set_status_on_the_embedded_store_reaches_the_citizen_and_cek_sees_it(tmp_path):
    sim = simulator()
    gw = yield sms_gateway(tmp_path, sim).start()
    config = write_config(tmp_path / "admin.toml", f"[gateway]\nstate_directory = '{tmp_path}'\n"
                                                   f"[parser]\nmapping = '{MAPPING}'\n")
    try:
        sim.enqueue_mo(PHONE, "PekalonganKota Jalan rusak")
        yield sim.wait_until_receipts_acknowledged(1).addTimeout(60, reactor)
        _, tracking = (yield trackings(gw.service))["sms"]
        before = yield gw.service.case_status(tracking)
        assert before.status == "received"
        done = cli_in_process("complaints", "set-status", f"#{tracking}", "resolved", "--note",
                              "Jalan sudah diperbaiki", "--config", config)
        assert done.returncode == 0, done.stderr
        assert done.stdout == f"#{tracking}: received -> resolved\n" and "queued" in done.stderr
        yield sim.wait_until_receipts_acknowledged(2).addTimeout(60, reactor)   # the rescan sends it
        after = yield gw.service.case_status(tracking)
        assert (after.status, after.status_text) == ("resolved", "Jalan sudah diperbaiki")
        unknown = cli_in_process("complaints", "set-status", "7777777", "closed", "--config", config)
        assert unknown.returncode == 1 and "no case #7777777" in unknown.stderr
        wrong = cli_in_process("complaints", "set-status", tracking, "finished", "--config", config)
        assert wrong.returncode == 2
    finally:
        yield gw.stop()
        yield sim.stop()
    assert texts(sim.submitted)[1] == (f"LAPOR! Aduan #{tracking} sudah ditindaklanjuti. Jalan sudah diperbaiki")


@pytest_twisted.inlineCallbacks
def test_stop_and_mulai_sent_by_sms_hold_back_and_let_through_a_pushed_update(tmp_path):
    """The acceptance's sequence by the citizen's own commands: STOP, an update → nothing
    sent; MULAI, an update → sent, its receipt followed; none of it a complaint."""
    sim = simulator()
    gw = yield sms_gateway(tmp_path, sim).start()
    try:
        sim.enqueue_mo(PHONE, "PekalonganKota Jalan rusak")
        yield sim.wait_until_receipts_acknowledged(1).addTimeout(60, reactor)
        complaint_id, tracking = (yield trackings(gw.service))["sms"]
        sim.enqueue_mo(PHONE, "STOP")
        yield sim.wait_until_receipts_acknowledged(2).addTimeout(60, reactor)    # "stopped" answer
        assert (yield gw.post(case_event(tracking, "verified"))) == (200, {"outcome": "accepted"})
        sim.enqueue_mo(PHONE, "Mulai")
        yield sim.wait_until_receipts_acknowledged(3).addTimeout(60, reactor)    # "started" answer
        assert (yield gw.post(case_event(tracking, "assigned"))) == (200, {"outcome": "accepted"})
        yield sim.wait_until_receipts_acknowledged(4).addTimeout(60, reactor)    # the update
        detail = yield gw.service.journal.show_complaint(complaint_id)
        assert [(e["status"], e["notice"]) for e in detail["events"]] == [("verified", "stopped"),
                                                                         ("assigned", "queued")]
        assert [(r["kind"], r["state"]) for r in detail["replies"]] == [("routed", "delivered"),
                                                                        ("update", "delivered")]
        assert len((yield gw.service.journal.list_complaints())) == 1
    finally:
        yield gw.stop()
        yield sim.stop()
    assert len(sim.submitted) == 4     # reply, "stopped", "started", the one update let through
    assert "diteruskan ke instansi" in texts(sim.submitted)[3]
