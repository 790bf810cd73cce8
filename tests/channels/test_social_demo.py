"""X, Telegram and the local channel in one gateway process, as the demo runs them: real
timers, the fake X and Telegram servers, one store and pipeline for all three."""
import pytest_twisted
import treq
from twisted.internet import reactor

from gateway.channels.local.settings import LocalSettings
from gateway.channels.telegram.updates import HELP_TEXT
from gateway.config import GivenSecrets, with_channels
from gateway.demo_fakes.social import SocialDemo
from gateway.service import GatewayService
from tests.support import settings_for


@pytest_twisted.inlineCallbacks
def test_the_channels_run_together_and_every_citizen_gets_a_number(tmp_path):
    social = SocialDemo(reactor)
    settings = with_channels(settings_for(tmp_path), http=LocalSettings(enabled=True, port=0),
                             **social.sections())
    service = GatewayService(settings, reactor, secrets=GivenSecrets(social.secrets()))
    local = service.channels["local"]
    yield service.start()
    try:
        social.post_samples()
        response = yield treq.post(f"http://127.0.0.1:{local.port}/messages",
                                   json={"from": "+6281200000009", "text": "Jateng Bus ngetem"})
        assert response.code == 202
        yield social.wait_for_replies(service.channels, timeout_s=20)
        yield local.deliveries.wait_for(1).addTimeout(20, reactor)
        rows = yield social.rows(service.journal)
        # the two pollers race; which complaint is stored first does not matter
        assert sorted((r["channel"], r["region"]) for r in rows) == [("telegram", "33.02"), ("x", "33.75")]
        for row in rows:
            (reply,) = row["replies"]
            assert reply["state"] == "delivered" and f"#{row['tracking_id']}" in reply["text"]
        (x_row,) = [r for r in rows if r["channel"] == "x"]
        assert f"#{x_row['tracking_id']}" in social.x.replies[0]["text"]
        assert [a["text"] for a in social.bot_answers()] == [HELP_TEXT]
        assert (yield service.journal.count_by_state()) == {"forwarded": 3}
    finally:
        yield service.stop()
        yield social.stop()
