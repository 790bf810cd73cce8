"""The X (Twitter) channel: citizens mention @lapor1708; each mention becomes a complaint and
is answered by a post in reply, with the tracking number.

    settings.py   the [channels.x] config section
    api.py        tweepy's v2 Client in threads, with timeouts and a redirectable base URL
    mentions.py   a page of mentions → complaint messages (the rules, as pure functions)
    channel.py    the poller (paging, since_id after commit, budget, 429) and the replies
"""
from gateway.channels.x.channel import XChannel, from_settings
from gateway.channels.x.settings import XSettings

__all__ = ["XChannel", "XSettings", "from_settings"]
