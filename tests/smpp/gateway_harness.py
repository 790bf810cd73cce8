"""The gateway with its SMPP channel bound to the bundled simulator, in one process."""
from __future__ import annotations


from twisted.internet import reactor

from gateway.channels.smpp.settings import SmppBindSettings, SmppSettings
from gateway.smsc_sim.simulator import SmscSimulator
from gateway.config import GivenSecrets, with_channels
from gateway.service import GatewayService
from tests.support import settings_for

FAST = dict(reconnect_initial_s=0.05, reconnect_max_s=0.2, enquire_link_s=30.0,
            response_timeout_s=5.0)


def simulator(**options) -> SmscSimulator:
    options.setdefault("redelivery_delay", 0.2)
    sim = SmscSimulator("lapor", "secret", **options)
    sim.start(0)
    return sim


def smpp_settings(sim: SmscSimulator, **bind) -> SmppSettings:
    return SmppSettings(enabled=True, binds=(SmppBindSettings(port=sim.port, **(FAST | bind)),),
                        concat_timeout_s=60.0)


def gateway(tmp_path, sim: SmscSimulator, password: str = "secret", database_url: str = "",
            smpp: SmppSettings | None = None, **bind) -> GatewayService:
    smpp = smpp or smpp_settings(sim, **bind)
    base = settings_for(tmp_path, database_url)
    secrets = GivenSecrets({b.password_secret: password for b in smpp.binds})
    # Built as `run` builds it: through the channel registry.
    return GatewayService(with_channels(base, smpp=smpp), reactor, secrets=secrets)
