"""The channels built from their config sections and secrets, as the service builds them."""
import pytest
from twisted.internet import reactor

from gateway.channels.telegram.channel import from_settings as telegram_from_settings
from gateway.channels.telegram.settings import TelegramSettings
from gateway.channels.x.channel import from_settings as x_from_settings
from gateway.channels.x.settings import XSettings
from gateway.config import Secret
from gateway.config_schema import ConfigError


class Secrets:
    def __init__(self, **values):
        self._values = values

    def get(self, name, required=True):
        return Secret(self._values[name], "test")


X_SECRETS = Secrets(x_bearer_token="b", x_consumer_key="ck", x_consumer_secret="cs", x_access_token="at",
                    x_access_token_secret="ats")


def test_x_channel_from_its_section():
    channel = x_from_settings(XSettings(enabled=True, account_id="1708", requests_per_15min=7), X_SECRETS,
                              reactor)
    assert channel.name == "x" and channel.budget.limit == 7 and not channel.required


def test_settings_problems_name_the_key():
    assert XSettings().problems() == []
    assert [p.split(":")[0] for p in XSettings(max_results=500, account_id="@lapor1708").problems()] \
        == ["max_results", "account_id"]
    assert TelegramSettings().problems() == []
    assert [p.split(":")[0] for p in TelegramSettings(webhook_url="http://x", webhook_path="hook").problems()] \
        == ["webhook_path", "webhook_url"]


def test_telegram_channel_from_its_section_needs_a_valid_webhook_secret_in_webhook_mode():
    polling = telegram_from_settings(TelegramSettings(enabled=True), Secrets(telegram_token="1:T"), reactor)
    assert polling.mode == "polling" and polling.bot.base_url == "https://api.telegram.org/bot1:T"
    webhook = telegram_from_settings(TelegramSettings(mode="webhook"),
                                     Secrets(telegram_token="1:T", telegram_webhook_secret="ok_secret-1"),
                                     reactor)
    assert webhook.webhook_secret == "ok_secret-1"
    with pytest.raises(ConfigError, match="telegram_webhook_secret"):
        telegram_from_settings(TelegramSettings(mode="webhook"),
                               Secrets(telegram_token="1:T", telegram_webhook_secret="not allowed!"), reactor)
