"""The Telegram channel: citizens chat with the LAPOR! bot; each complaint is answered in the
chat with the tracking number and the region it was routed to.

    settings.py   the [channels.telegram] config section
    updates.py    an update → complaint, the bot's own answer, or nothing (the rules)
    channel.py    PTB's Application driven by the gateway: polling with offset after commit, replies
    webhook.py    the twisted.web resource for webhook mode
"""
from gateway.channels.telegram.channel import TelegramChannel, build_application, from_settings
from gateway.channels.telegram.settings import TelegramSettings

__all__ = ["TelegramChannel", "TelegramSettings", "build_application", "from_settings"]
