"""A toy channel, registered from this folder alone — the test that adding a channel
needs no edit anywhere else in the gateway.

It registers the way a channel shipped as its own distribution would: an entry point
of group `lapor_gateway.channels` (see `dist/…dist-info/entry_points.txt`; the tests
put `dist/` on PYTHONPATH). Citizens "post" to it over HTTP on the gateway's own ops
server (a resource the channel mounts), and read their replies back the same way.

    [channels.toy]
    enabled = true
    greeting = "halo"              # what the toy's status line starts with
    max_text = 500                 # longer texts are refused (400)

Secret: toy_token (the bearer token a poster must show).
"""
from gateway.channels.registry import ChannelKind
from tests.toy_channel.settings import ToySettings

TOKEN = "toy_token"


def _build(settings: ToySettings, secrets, reactor):
    from tests.toy_channel.channel import ToyChannel
    return ToyChannel(settings, secrets.get(TOKEN).reveal())


CHANNEL = ChannelKind(name="toy", section="toy", settings=ToySettings, build=_build,
                      required_secrets=lambda settings: [TOKEN], secret_names=(TOKEN,))
