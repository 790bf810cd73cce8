"""A reply that failed for good is visible (`replies list`) and sent again by
`replies resend` — a real CLI process on the store of a running gateway."""
import dataclasses
import json

import pytest_twisted
from twisted.internet import reactor, threads

from gateway.demo_fakes.fake_telegram import FakeTelegram
from gateway.service import GatewayService
from tests.channels.helpers import epoch_clock, step
from tests.channels.test_telegram_channel import telegram_channel
from tests.logwatch import LogWatch
from tests.support import MAPPING, cli, settings_for, write_config


def replies_cli(tmp_path, *args):
    config = write_config(tmp_path / "gateway.toml", f"[gateway]\nstate_directory = '{tmp_path}'\n"
                          f"[parser]\nmapping = '{MAPPING}'\n")
    return threads.deferToThread(cli, "replies", *args, "--config", config)


@pytest_twisted.inlineCallbacks
def test_a_failed_reply_is_listed_and_resent_while_the_gateway_runs(tmp_path):
    fake, clock = FakeTelegram(reactor).listen(), epoch_clock()
    fake.blocked.add(4201)                       # the citizen blocked the bot for now
    fake.say(4201, "PekalonganKota Jalan rusak")
    base = settings_for(tmp_path)
    settings = dataclasses.replace(base, forwarder=dataclasses.replace(base.forwarder, rescan_interval_s=0.2))
    channel = telegram_channel(fake, clock)
    service = GatewayService(settings, reactor, channels={"telegram": channel})
    with LogWatch() as logs:
        yield service.start()
        try:
            yield step(channel.loop, clock)
            yield logs.wait_for("reply failed for good; `replies resend` sends it again").addTimeout(10, reactor)
            listed = yield replies_cli(tmp_path, "list", "--state", "failed", "--json")
            (row,) = [json.loads(line) for line in listed.stdout.splitlines()]
            assert row["channel"] == "telegram" and "blocked" in row["last_error"]
            assert (yield replies_cli(tmp_path, "resend", "999")).returncode == 1
            fake.blocked.clear()
            resent = yield replies_cli(tmp_path, "resend", "--all-failed")
            assert resent.returncode == 0 and resent.stdout.split() == [str(row["id"])]
            yield fake.wait_for_sent(1).addTimeout(10, reactor)
            yield channel.deliveries.wait_for(1).addTimeout(10, reactor)
            assert [s["chat_id"] for s in fake.sent] == [4201]
            after = yield replies_cli(tmp_path, "list", "--json")
            assert [json.loads(line)["state"] for line in after.stdout.splitlines()] == ["delivered"]
        finally:
            yield service.stop()
            yield fake.stop()


def test_resend_needs_an_id_or_a_state():
    result = cli("replies", "resend")
    assert result.returncode == 2 and "give one ID" in result.stderr
