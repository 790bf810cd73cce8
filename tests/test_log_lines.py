"""Logs stay useful at a fraction of the cost (issue 13): at info a complaint makes at most
two lines — accepted with its routing, and its reply's outcome — both naming it, so it can
be followed from accept to reply; a periodic line gives the rates."""
import json
import urllib.request
from collections import defaultdict

from twisted.internet.task import Clock

from gateway.throughput import ThroughputLog
from tests.support import Daemon, daemon_config, stop_all

N = 12


def post(port: int, n: int) -> None:
    body = json.dumps({"from": f"+62812000{n:05d}", "text": f"PekalonganKota Jalan rusak nomor {n}"})
    request = urllib.request.Request(f"http://127.0.0.1:{port}/messages", data=body.encode())
    with urllib.request.urlopen(request, timeout=30) as response:
        assert response.status == 202


def test_two_info_lines_per_complaint_and_a_throughput_line(tmp_path):
    config = daemon_config(tmp_path, "[channels.http]\nenabled = true\nport = 0\n[http]\nenabled = false\n",
                           logging="throughput_interval_s = 0.5")
    daemon = Daemon(config)
    try:
        port = daemon.start(until="local channel listening").lines[-1]["port"]
        daemon.wait_for("gateway ready")
        for n in range(N):
            post(port, n)
        daemon.wait_for_count({"reply outcome"}, N)
        throughput = daemon.wait_for("throughput")
    finally:
        stop_all([daemon])
    by_complaint = defaultdict(list)
    for line in daemon.lines:
        if line.get("level") == "info" and line.get("complaint"):
            by_complaint[line["complaint"]].append(line)
    assert len(by_complaint) == N
    for complaint, lines in by_complaint.items():
        events = [line["event"] for line in lines]
        assert events == ["message accepted", "reply outcome"], (complaint, events)
        accepted, outcome = lines
        assert accepted["routing"] == "routed" and accepted["region"] == "33.75"
        assert outcome["delivered"] is True and outcome["reply"] >= 1
    assert {"accepted", "accepted_per_s", "forwarded_per_s", "replies_sent_per_s", "backlog"} <= set(throughput)
    # no personal data or message text at info
    text = "\n".join(json.dumps(line) for line in daemon.lines)
    assert "+62812000" not in text and "Jalan rusak" not in text


def test_the_throughput_line_gives_deltas_and_rates_since_the_last_one():
    clock, totals = Clock(), {"accepted": 0, "backlog": 0}
    lines = ThroughputLog(clock, lambda: dict(totals), 10.0, levels=("backlog",))
    lines.start()
    totals.update(accepted=500, backlog=7)
    clock.advance(10)
    totals.update(accepted=600, backlog=2)
    clock.advance(5)
    assert lines.log_once() == {"accepted": 100, "accepted_per_s": 20.0, "backlog": 2}
    lines.stop()
