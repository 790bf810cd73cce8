"""The local channel: messages posted over HTTP on this machine, for demos, drills and tests.

    settings.py   the [channels.http] config section
    channel.py    the channel and its two resources (POST /messages, GET /replies)
"""
from gateway.channels.local.settings import LocalSettings
from gateway.channels.registry import ChannelKind

TOKEN_SECRET = "http_intake_token"


def _build(settings: LocalSettings, secrets, reactor):
    from gateway.channels.local.channel import LocalChannel
    token = secrets.get(TOKEN_SECRET).reveal() if settings.require_token else None
    return LocalChannel(reactor, settings.listen, settings.port, token)


CHANNEL = ChannelKind(
    name="local", section="http", settings=LocalSettings, build=_build,
    required_secrets=lambda settings: [TOKEN_SECRET] if settings.require_token else [],
    secret_names=(TOKEN_SECRET,))
