"""Issue 16 on Telegram and X (the fakes, real HTTP): the citizen's commands are answered
where they were asked, none is a complaint, CEK tells only the filing address, and STOP
then MULAI by command hold back and let through a pushed update."""
import pytest_twisted
from twisted.internet import defer, reactor

from gateway.command_texts import CommandTexts
from gateway.demo_fakes.social import SocialDemo
from tests.updates.helpers import EventsGateway, case_event
from tests.updates.test_channels import trackings

TEXTS = CommandTexts()
CHAT, OTHER_CHAT = 880_101, 880_102


@pytest_twisted.inlineCallbacks
def test_commands_on_telegram_and_x_are_answered_there_and_stop_holds_updates_back(tmp_path):
    social = SocialDemo(reactor)
    tg, x = social.telegram, social.x
    gw = None
    try:
        gw = yield EventsGateway(tmp_path, sections=social.sections(), secrets=social.secrets()).start()
        tg.say(CHAT, "KabBanyumas Jembatan di Desa Kalisalak retak")
        x.mention("warga_pkl", "@lapor1708 PekalonganKota Lampu PJU mati")
        yield defer.gatherResults([tg.wait_for_sent(1), x.wait_for_replies(1)]).addTimeout(60, reactor)
        numbers = yield trackings(gw.service)
        tg_tracking, x_tracking = numbers["telegram"][1], numbers["x"][1]

        tg.say(CHAT, f"/cek {tg_tracking}")
        tg.say(OTHER_CHAT, f"/cek {tg_tracking}")          # not the filing chat: not told
        tg.say(CHAT, "/stop")
        x.mention("warga_pkl", f"@lapor1708 cek #{x_tracking}")
        x.mention("warga_pkl", "@lapor1708 bantuan")
        yield defer.gatherResults([tg.wait_for_sent(4), x.wait_for_replies(3)]).addTimeout(60, reactor)
        answers = {(s["chat_id"], s["text"]) for s in tg.sent[1:]}
        assert (OTHER_CHAT, TEXTS.not_found.format(tracking=tg_tracking)) in answers
        assert (CHAT, TEXTS.stopped) in answers
        assert any(c == CHAT and t.startswith(f"LAPOR! Aduan #{tg_tracking}: menunggu verifikasi")
                   for c, t in answers)
        x_answers = [r["text"] for r in x.replies[1:]]
        assert any(a.startswith(f"LAPOR! Aduan #{x_tracking}: menunggu verifikasi") for a in x_answers)
        assert TEXTS.help in x_answers
        assert len((yield gw.service.journal.list_complaints())) == 2, "no command is a complaint"

        assert (yield gw.post(case_event(tg_tracking, "verified")))[0] == 200   # stopped: held back
        tg.say(CHAT, "/mulai")
        yield tg.wait_for_sent(5).addTimeout(60, reactor)
        assert tg.sent[-1]["text"] == TEXTS.started
        assert (yield gw.post(case_event(tg_tracking, "assigned")))[0] == 200   # sent
        yield tg.wait_for_sent(6).addTimeout(60, reactor)
        assert "diteruskan" in tg.sent[-1]["text"] and tg.sent[-1]["chat_id"] == CHAT
    finally:
        if gw is not None:
            yield gw.stop()
        yield social.stop()
    assert len(tg.sent) == 6, "the complaint's reply, three answers, MULAI's, one update"


@pytest_twisted.inlineCallbacks
def test_on_x_the_same_answer_to_two_citizens_is_posted_to_both_and_cek_tells_only_the_filer(tmp_path):
    """X refuses the same words twice from one account: the help (or "not found") asked by
    two citizens still reaches both. A CEK from another author hears "not found"; STOP
    holds an update back on X, MULAI lets the next one through."""
    social = SocialDemo(reactor)
    x = social.x
    gw = None
    try:
        gw = yield EventsGateway(tmp_path, sections=social.sections(), secrets=social.secrets()).start()
        x.mention("warga_pkl", "@lapor1708 PekalonganKota Lampu PJU mati")
        yield x.wait_for_replies(1).addTimeout(60, reactor)
        tracking = (yield trackings(gw.service))["x"][1]
        x.mention("warga_satu", "@lapor1708 bantuan")
        x.mention("warga_dua", "@lapor1708 BANTUAN")
        x.mention("warga_lain", f"@lapor1708 cek #{tracking}")        # not the filer
        x.mention("warga_pkl", "@lapor1708 stop")
        yield x.wait_for_replies(5).addTimeout(60, reactor)
        answers = [r["text"] for r in x.replies[1:]]
        helps = [a for a in answers if a.startswith(TEXTS.help)]
        assert len(helps) == 2 and len(set(helps)) == 2, "both asked, both answered"
        assert TEXTS.not_found.format(tracking=tracking) in answers
        assert TEXTS.stopped in answers
        assert (yield gw.post(case_event(tracking, "verified")))[0] == 200        # held back
        x.mention("warga_pkl", "@lapor1708 mulai")
        yield x.wait_for_replies(6).addTimeout(60, reactor)
        assert x.replies[-1]["text"] == TEXTS.started
        assert (yield gw.post(case_event(tracking, "assigned")))[0] == 200
        yield x.wait_for_replies(7).addTimeout(60, reactor)
        assert x.replies[-1]["text"].startswith(f"LAPOR! Aduan #{tracking} sudah diteruskan")
        assert len((yield gw.service.journal.list_complaints())) == 1, "no command is a complaint"
    finally:
        if gw is not None:
            yield gw.stop()
        yield social.stop()
    assert len(x.replies) == 7, "the complaint's reply, five answers, one update"
