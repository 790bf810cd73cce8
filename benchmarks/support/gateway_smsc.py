"""The SMSC side of benchmarks/smpp_throughput.py, run in its own process so that it
does not share a core's GIL with the gateway: the bundled simulator delivering N
generated MOs (window 100) as soon as the gateway binds, answering its submits and
sending receipts; prints one JSON line of figures when every reply is submitted."""
from __future__ import annotations

import json
import sys
import time

from twisted.internet import asyncioreactor

asyncioreactor.install()
from twisted.internet import defer, reactor  # noqa: E402

from gateway.smsc_sim.simulator import SmscSimulator  # noqa: E402
from gateway.smsc_sim.mo import ComplaintGenerator  # noqa: E402


def percentile(values, q):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else float("nan")


@defer.inlineCallbacks
def main(count: int, window: int):
    sim = SmscSimulator("lapor", "bench", window=window, receipt_delay=0.0, redelivery_delay=2.0,
                        response_timeout=60.0)
    sim.start(0)
    print(json.dumps({"event": "listening", "port": sim.port}), flush=True)
    yield sim.wait_until_bound(1)
    generator = ComplaintGenerator(seed=1708, long_share=0.1, ucs2_share=0.1)
    left = [count]

    def feed(_acked=None):
        # Keep `window` MOs outstanding, as an SMSC with a backlog does: latency is then
        # the gateway's, not time spent queueing inside the simulator.
        if left[0] > 0:
            left[0] -= 1
            sim.enqueue_spec(generator.next())
    sim.on_acknowledged.append(feed)
    start = time.monotonic()
    for _ in range(min(window, count)):
        feed()
    yield sim.wait_until_acknowledged(count)
    acked_at = time.monotonic()
    print(json.dumps({"event": "acknowledged", "mo": count, "ack_seconds": acked_at - start,
                      "ack_p50_ms": percentile(sim.ack_latencies, 0.50) * 1000,
                      "ack_p99_ms": percentile(sim.ack_latencies, 0.99) * 1000}), flush=True)
    yield sim.wait_until_submitted(count)
    replied_at = time.monotonic()
    print(json.dumps({
        "event": "done", "mo": count, "mo_pdus": len(sim.ack_latencies),
        "ack_seconds": acked_at - start, "reply_seconds": replied_at - start,
        "ack_p50_ms": percentile(sim.ack_latencies, 0.50) * 1000,
        "ack_p99_ms": percentile(sim.ack_latencies, 0.99) * 1000,
        # MOs the gateway did not acknowledge the first time (RX_T_APPN, lost responses)
        "redeliveries": sum(acked.attempts - 1 for acked in sim.acknowledged),
    }), flush=True)
    reactor.stop()


if __name__ == "__main__":
    reactor.callWhenRunning(main, int(sys.argv[1]), int(sys.argv[2]))
    reactor.run()
