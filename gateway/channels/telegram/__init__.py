"""The Telegram channel: citizens chat with the LAPOR! bot; each complaint is answered in the
chat with the tracking number and the region it was routed to.

    settings.py   the [channels.telegram] config section
    updates.py    an update → complaint, the bot's own answer, or nothing (the rules)
    channel.py    PTB's Application driven by the gateway: polling with offset after commit, replies
    webhook.py    the twisted.web resource for webhook mode

Only the settings and this record load with the package: python-telegram-bot loads when
the channel is built.
"""
from gateway.channels.registry import ChannelKind
from gateway.channels.telegram.settings import TOKEN_SECRET, WEBHOOK_SECRET_NAME, TelegramSettings


def _build(settings: TelegramSettings, secrets, reactor):
    from gateway.channels.telegram.channel import from_settings
    return from_settings(settings, secrets, reactor)


def _required(settings: TelegramSettings) -> list[str]:
    return [TOKEN_SECRET] + ([WEBHOOK_SECRET_NAME] if settings.mode == "webhook" else [])


CHANNEL = ChannelKind(name="telegram", section="telegram", settings=TelegramSettings, build=_build,
                      required_secrets=_required, secret_names=(TOKEN_SECRET, WEBHOOK_SECRET_NAME))
