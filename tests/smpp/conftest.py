"""What the tests of the bundled SMSC share: `sim_factory` and `load_smsc` make
simulators (ordinary and load mode) listening on 127.0.0.1 (a free port) and stop them
at the end of the test."""
import pytest

from gateway.smsc_sim.load import LoadSmsc
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


@pytest.fixture
def load_smsc():
    """`make(count, **options)`: a LoadSmsc("lapor", "secret") of `count` MOs started
    on a free port, stopping by itself after 30 s unless `duration` says."""
    made = []

    def make(count, **kwargs):
        kwargs.setdefault("duration", 30.0)
        smsc = LoadSmsc(count, "lapor", "secret", **kwargs)
        smsc.start(0)
        made.append(smsc)
        return smsc
    yield make
    for smsc in made:
        smsc.stop()
