"""The X (Twitter) channel: citizens mention @lapor1708; each mention becomes a complaint and
is answered by a post in reply, with the tracking number.

    settings.py   the [channels.x] config section
    api.py        tweepy's v2 Client in threads, with timeouts and a redirectable base URL
    mentions.py   a page of mentions → complaint messages (the rules, as pure functions)
    channel.py    the poller (paging, since_id after commit, budget, 429) and the replies

Only the settings and this record load with the package: tweepy loads when the channel
is built.
"""
from gateway.channels.registry import ChannelKind
from gateway.channels.x.settings import SECRETS, XSettings


def _build(settings: XSettings, secrets, reactor):
    from gateway.channels.x.channel import from_settings
    return from_settings(settings, secrets, reactor)


CHANNEL = ChannelKind(name="x", section="x", settings=XSettings, build=_build,
                      required_secrets=lambda settings: list(SECRETS), secret_names=SECRETS)
