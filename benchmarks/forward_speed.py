"""Forwarding throughput to a central case store over HTTP, printed as `name value` lines.

    .venv/bin/python benchmarks/forward_speed.py [--complaints 10000] [--latency-ms 50] [--concurrency 200]

A fake case store (tests/forwarder/fake_case_store.py) runs in its own process on
127.0.0.1 and answers every request after `latency-ms`, as a remote store would. The
gateway's real forwarding path does the work: the HTTP JSON adapter (kept-alive
connections, the complaint id as Idempotency-Key on every request), the worker, and
the receipt + reply written to the store (SQLite, group commit) for each complaint.

forward_rate_complaints_per_s: complaints forwarded per second, from the first
submission to the last receipt committed. Concurrency, not skipping the key, is what
gets past 1/latency: 50 ms allows 20/s per connection.
"""
from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))


def start_fake_store(latency_ms: float) -> tuple[subprocess.Popen, int]:
    proc = subprocess.Popen([sys.executable, str(REPO / "tests" / "forwarder" / "fake_case_store.py"),
                             "--latency-ms", str(latency_ms)], cwd=REPO, stdout=subprocess.PIPE, text=True)
    line = proc.stdout.readline()
    if not line.startswith("port "):
        proc.kill()
        raise SystemExit(f"fake case store did not start: {line!r}")
    return proc, int(line.split()[1])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--complaints", type=int, default=10_000)
    parser.add_argument("--latency-ms", type=float, default=50.0)
    parser.add_argument("--concurrency", type=int, default=200)
    args = parser.parse_args()

    from gateway.cli import install_reactor
    reactor = install_reactor()
    from twisted.internet.defer import gatherResults, inlineCallbacks

    from gateway import logging as gwlog
    from gateway.reply_text import ReplyTemplates
    from gateway.forwarder.http_json import HttpJsonCaseStore
    from gateway.forwarder.settings import ForwarderSettings
    from gateway.forwarder.worker import ForwardingWorker
    from gateway.model import Message, Region, RegionLevel, Routing, RoutingStatus, utcnow
    from gateway.reply_text import ReplyWriter
    from gateway.journal import open_journal

    gwlog.configure("error", "json")
    fake, port = start_fake_store(args.latency_ms)
    figures: dict[str, object] = {}
    region = Region("33.02", "Kabupaten Banyumas", RegionLevel.KABUPATEN)

    @inlineCallbacks
    def run():
        with tempfile.TemporaryDirectory() as folder:
            store = yield open_journal(f"sqlite:///{folder}/gateway.db", reactor)
            start = utcnow()
            accepted = yield gatherResults([store.accept(Message(
                "sms", f"+62815{n:08d}", f"KabBanyumas Jalan rusak {n}", f"k{n}",
                received_at=start + timedelta(microseconds=n))) for n in range(args.complaints)])
            routing = Routing(RoutingStatus.ROUTED, "Jalan rusak", region)
            yield gatherResults([store.record_routing(a.complaint_id, routing) for a in accepted])
            complaints = yield store.unfinished_complaints()

            case_store = HttpJsonCaseStore(reactor, f"http://127.0.0.1:{port}", "test-case-store-token",
                                           connections=args.concurrency)
            worker = ForwardingWorker(case_store, store, reactor,
                                      ForwarderSettings(concurrency=args.concurrency, timeout_s=30.0,
                                                        retry_initial_s=0.1, retry_max_s=1.0),
                                      reply_for=ReplyWriter(ReplyTemplates()).for_complaint,
                                      on_reply=lambda reply: None)
            began, cpu_began = time.perf_counter(), time.process_time()
            for complaint in complaints:
                worker.enqueue(complaint)
            yield worker.settled()
            elapsed = time.perf_counter() - began
            cpu = time.process_time() - cpu_began
            counts = yield store.count_by_state()
            yield worker.stop()
            yield store.drain()
            store.close()
        import treq
        stats = yield (yield treq.get(f"http://127.0.0.1:{port}/stats")).json()
        figures.update({
            "forward_rate_complaints_per_s": round(args.complaints / elapsed),
            "complaints": args.complaints, "store_latency_ms": args.latency_ms,
            "concurrency": args.concurrency, "seconds": round(elapsed, 2),
            "gateway_cpu_ms_per_complaint": round(cpu * 1000 / args.complaints, 3),
            "forwarded": counts.get("forwarded", 0), "dead": counts.get("dead", 0),
            "store_requests": stats["requests"], "store_cases": stats["cases"],
            "requests_without_idempotency_key": stats["without_key"],
        })

    def finish(result):
        reactor.stop()
        return result

    reactor.callWhenRunning(lambda: run().addBoth(finish))
    try:
        reactor.run()
    finally:
        fake.terminate()
        fake.wait(10)
    if not figures:
        return 1
    for name, value in figures.items():
        print(f"{name} {value}")
    ok = figures["forwarded"] == figures["store_cases"] == args.complaints
    return 0 if ok and not figures["requests_without_idempotency_key"] else 1


if __name__ == "__main__":
    sys.exit(main())
