"""The Telegram channel: citizens chat with the LAPOR! bot; each complaint is answered in the
chat with the tracking number and the region it was routed to.

    settings.py   the [channels.telegram] config section
    updates.py    an update → complaint, the bot's own answer, or nothing (the rules)
    channel.py    PTB's Application driven by the gateway: polling with offset after commit, replies
    webhook.py    the twisted.web resource for webhook mode
"""

import importlib

# Lazy, so that the config can import the settings class without loading tweepy or
# python-telegram-bot.
_EXPORTS = {'TelegramChannel': 'channel', 'build_application': 'channel', 'from_settings': 'channel', 'TelegramSettings': 'settings'}
__all__ = sorted(_EXPORTS)


def __getattr__(name):
    if name not in _EXPORTS:
        raise AttributeError(name)
    return getattr(importlib.import_module(f"{__name__}.{_EXPORTS[name]}"), name)
