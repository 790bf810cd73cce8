"""Exponential backoff with jitter, capped: how every retry in the gateway waits.

Jitter keeps a thousand complaints that failed together from retrying together
(and keeps several gateways from reconnecting to an SMSC in lockstep).
"""
from __future__ import annotations

import math
import random


def backoff_delay(attempt: int, initial: float, maximum: float, rng=random.random) -> float:
    """Seconds to wait before retry number `attempt` (1 for the first retry).

    "Equal jitter": half the exponential step is fixed, half random, so the wait grows
    reliably yet two callers rarely pick the same moment.
    """
    step = min(maximum, initial * (2 ** max(0, attempt - 1)))
    return step / 2 + rng() * step / 2


def delay_until(now: float, moment: float) -> float:
    """The delay for a timer that must not fire before `moment`, float rounding included
    (`now + (moment - now)` can come out a hair below `moment`)."""
    delay = max(0.0, moment - now)
    while now + delay < moment:
        delay = math.nextafter(delay, math.inf)
    return delay
