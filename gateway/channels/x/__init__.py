"""The X (Twitter) channel: citizens mention @lapor1708; each mention becomes a complaint and
is answered by a post in reply, with the tracking number.

    settings.py   the [channels.x] config section
    api.py        tweepy's v2 Client in threads, with timeouts and a redirectable base URL
    mentions.py   a page of mentions → complaint messages (the rules, as pure functions)
    channel.py    the poller (paging, since_id after commit, budget, 429) and the replies
"""

import importlib

# Lazy, so that the config can import the settings class without loading tweepy or
# python-telegram-bot.
_EXPORTS = {'XChannel': 'channel', 'from_settings': 'channel', 'XSettings': 'settings'}
__all__ = sorted(_EXPORTS)


def __getattr__(name):
    if name not in _EXPORTS:
        raise AttributeError(name)
    return getattr(importlib.import_module(f"{__name__}.{_EXPORTS[name]}"), name)
