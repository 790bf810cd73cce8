"""What the tests of the bundled SMSC share: `sim_factory` makes simulators listening
on 127.0.0.1 (a free port) and stops them at the end of the test."""
import pytest

from gateway.smsc_sim.simulator import SmscSimulator


@pytest.fixture
def sim_factory():
    """`make(**options)`: an SmscSimulator("lapor", "secret") started on a free port;
    deliveries an ESME refused come again after 0.01 s unless `redelivery_delay` says."""
    sims = []

    def make(**kwargs):
        kwargs.setdefault("redelivery_delay", 0.01)
        sim = SmscSimulator("lapor", "secret", **kwargs)
        sim.start(0)
        sims.append(sim)
        return sim
    yield make
    for sim in sims:
        sim.stop()
