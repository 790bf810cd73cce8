"""The SMS channel: the gateway as an ESME bound over SMPP 3.4 to the operator's SMSC(s).

    settings.py   the [channels.smpp] section and its [[channels.smpp.binds]]
    channel.py    the channel: sessions, inbound MOs, receipts, outbound replies
    session.py    one bind's life (connect, bind, enquire_link, reconnect)
    esme.py, framing.py, codec.py, constants.py   the protocol and its PDUs
    inbound.py, concat.py, text.py   MOs: commit-then-acknowledge, reassembly, alphabets
    outbound.py, addresses.py   replies as submit_sm (rate, segments, addresses)
    dlr.py, receipts.py   delivery receipts and their matching
    metrics.py    the binds' and receipts' figures for /metrics
"""
from gateway.channels.registry import ChannelKind
from gateway.channels.smpp.settings import PASSWORD_SECRET, SmppSettings


def _build(settings: SmppSettings, secrets, reactor):
    from gateway.channels.smpp.channel import SmppChannel
    passwords = {b.name: secrets.get(b.password_secret).reveal() for b in settings.binds}
    return SmppChannel(settings, passwords, reactor)


CHANNEL = ChannelKind(
    name="sms", section="smpp", settings=SmppSettings, build=_build,
    required_secrets=lambda settings: list(dict.fromkeys(b.password_secret for b in settings.binds)),
    secret_names=(PASSWORD_SECRET,), secret_prefixes=(PASSWORD_SECRET + "_",))
