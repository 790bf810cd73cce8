"""Crash recovery: the daemon, a real subprocess, is killed with SIGKILL while messages
are between stages; after a restart every accepted message ends forwarded exactly once,
with one reply each — and the journal of both runs never shows a phone number."""
import json
import sqlite3
import urllib.request
from concurrent.futures import ThreadPoolExecutor

from tests.support import Daemon, daemon_config, wait_until

N = 150
PHONES = [f"+62813{n:08d}" for n in range(N)]


def config(tmp_path, latency_ms: int):
    return daemon_config(tmp_path, f"""[forwarder]
concurrency = 4
[forwarder.local]
latency_ms = {latency_ms}
[channels.http]
enabled = true
port = 0
""")


def post(port: int, n: int) -> dict:
    payload = {"from": PHONES[n], "text": f"KabBanyumas Jalan rusak nomor {n}", "id": f"mo-{n}"}
    request = urllib.request.Request(f"http://127.0.0.1:{port}/messages", method="POST",
                                     data=json.dumps(payload).encode(),
                                     headers={"content-type": "application/json"})
    with urllib.request.urlopen(request, timeout=30) as response:
        assert response.status == 202
        return json.loads(response.read())


def states(db) -> dict:
    with sqlite3.connect(db) as conn:
        return dict(conn.execute("select state, count(*) from complaints group by state").fetchall())


def test_sigkill_between_stages_then_restart_forwards_each_exactly_once(tmp_path):
    db = tmp_path / "state" / "gateway.db"
    first = Daemon(config(tmp_path, latency_ms=250))
    first.start(until="local channel listening")
    port = first.lines[-1]["port"]
    first.wait_for("gateway ready")
    with ThreadPoolExecutor(8) as pool:
        accepted = list(pool.map(lambda n: post(port, n), range(N)))
    first.kill()

    # Acknowledged means committed: every message is there, and many are mid-way.
    at_kill = states(db)
    assert sum(at_kill.values()) == N
    unfinished = N - at_kill.get("forwarded", 0)
    assert unfinished > 0, f"nothing was between stages at the kill: {at_kill}"

    second = Daemon(config(tmp_path, latency_ms=0))
    resumed = second.start(until="resumed unfinished complaints").lines[-1]
    assert resumed["complaints"] == unfinished
    wait_until(lambda: set(states(db)) == {"forwarded"}, 60, "every complaint forwarded")
    assert second.terminate() == 0

    with sqlite3.connect(db) as conn:
        complaints = dict(conn.execute("select id, tracking_id from complaints").fetchall())
        cases = dict(conn.execute("select idempotency_key, tracking_number from local_cases").fetchall())
        replies = conn.execute("select complaint_id, count(*) from replies group by complaint_id").fetchall()
    assert set(complaints) == {a["complaint_id"] for a in accepted}
    assert cases.keys() == complaints.keys()                       # one case per complaint
    assert all(complaints[c] == str(cases[c]) for c in complaints)  # with its tracking number
    assert len(set(cases.values())) == N
    assert sorted(n for _, n in replies) == [1] * N                # one reply each
    assert states(db) == {"forwarded": N}

    journal = first.log_text() + second.log_text()
    assert not any(phone in journal or phone[1:] in journal for phone in PHONES)
    assert "Jalan rusak" not in journal
    assert any(line.get("sender", "").startswith("p:") for line in first.lines)
