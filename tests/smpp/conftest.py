"""What the tests of the bundled SMSC share: `sim_factory` and `load_smsc` make
simulators (ordinary and load mode) listening on 127.0.0.1 (a free port) and stop them
at the end of the test."""
import contextlib

import pytest

from gateway.smsc_sim.load import LoadSmsc
from gateway.smsc_sim.simulator import SmscSimulator


@contextlib.contextmanager
def _started(build):
    """`make(...)`: `build(...)` started on a free port; every one stopped at the end."""
    made = []

    def make(*args, **kwargs):
        server = build(*args, **kwargs)
        server.start(0)
        made.append(server)
        return server
    try:
        yield make
    finally:
        for server in made:
            server.stop()


@pytest.fixture
def sim_factory():
    """`make(**options)`: an SmscSimulator("lapor", "secret"); deliveries an ESME
    refused come again after 0.01 s unless `redelivery_delay` says."""
    with _started(lambda **options: SmscSimulator(
            "lapor", "secret", **{"redelivery_delay": 0.01, **options})) as make:
        yield make


@pytest.fixture
def load_smsc():
    """`make(count, **options)`: a LoadSmsc("lapor", "secret") of `count` MOs,
    stopping by itself after 30 s unless `duration` says."""
    with _started(lambda count, **options: LoadSmsc(
            count, "lapor", "secret", **{"duration": 30.0, **options})) as make:
        yield make
