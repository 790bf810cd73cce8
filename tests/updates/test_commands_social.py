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
    gw = yield EventsGateway(tmp_path, sections=social.sections(), secrets=social.secrets()).start()
    tg, x = social.telegram, social.x
    try:
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
        yield gw.stop()
        yield social.stop()
    assert len(tg.sent) == 6, "the complaint's reply, three answers, MULAI's, one update"
