"""The case store's event survives a `kill -9` (issue 16): `lapor-gateway run` as a process
with SMS bound to the bundled SMSC simulator (another process); the event is posted
three times, the daemon is SIGKILLed right after the first 2xx, restarted, and posted
the event again — the citizen gets the update exactly once (counted at the SMSC, from
its log of accepted submits), and the event is stored once."""
import json
import sqlite3
import urllib.error
import urllib.request

from tests.forwarder.case_store_events import case_event, signed_headers
from tests.support import Daemon, cli, daemon_config, simulator_process, stop_all, wait_until

SECRET = "kill-drill-secret"
PHONE = "6281234567001"
ENV = {"LAPOR_SMPP_PASSWORD": "secret", "LAPOR_CASE_STORE_WEBHOOK_SECRET": SECRET}


def config(tmp_path, port):
    # receipt_window_s: a send the kill left in doubt that had not gone out is sent again
    # after 5 s without its receipt (600 s by default)
    return daemon_config(tmp_path, f"""[http]
port = 0
[channels.smpp]
enabled = true
receipt_window_s = 5.0
[[channels.smpp.binds]]
port = {port}
reconnect_initial_s = 0.1
reconnect_max_s = 0.5
""")


def post(port: int, event: dict) -> tuple[int, dict]:
    body = json.dumps(event).encode()
    request = urllib.request.Request(f"http://127.0.0.1:{port}/case-store/events", data=body, method="POST",
                                     headers={"Content-Type": "application/json", **signed_headers(SECRET, body)})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as refused:
        return refused.code, json.loads(refused.read())


def started(tmp_path, port) -> tuple[Daemon, int]:
    daemon = Daemon(config(tmp_path, port), env=ENV)
    listening = daemon.start(until="http server listening").lines[-1]
    daemon.wait_for("gateway ready")
    return daemon, listening["port"]


def rows(db, query: str) -> list[tuple]:
    with sqlite3.connect(db) as conn:
        return conn.execute(query).fetchall()


def updates_at_the_smsc(tmp_path, text: str) -> int:
    lines = (tmp_path / "submits.jsonl").read_text().splitlines()
    return sum(1 for s in map(json.loads, lines) if s["destination_addr"] == PHONE and text in json.dumps(s))


def test_an_event_posted_three_times_across_a_sigkill_is_told_once(tmp_path):
    sim, sim_port = simulator_process(tmp_path, [{"from": PHONE, "text": "PekalonganKota Jalan rusak"}])
    db = tmp_path / "state" / "gateway.db"
    daemons = []
    try:
        first, port = started(tmp_path, sim_port)
        daemons.append(first)
        first.wait_for("reply outcome")          # the complaint's reply, delivered
        (listed,) = map(json.loads, cli("complaints", "list", "--json", "--config", first.config).stdout.splitlines())
        event = case_event(listed["tracking_id"], "in_progress", "Sedang diperbaiki", event_id="ev-kill-1")
        assert post(port, event) == (200, {"outcome": "accepted"})
        first.kill()                              # right after the 2xx
        assert rows(db, "select event_id, notice from case_events") == [("ev-kill-1", "queued")]
        assert len(rows(db, "select id from replies where kind = 'update'")) == 1

        second, port = started(tmp_path, sim_port)
        daemons.append(second)
        assert post(port, event) == (200, {"outcome": "replay"})
        assert post(port, event) == (200, {"outcome": "replay"})
        wait_until(lambda: rows(db, "select state from replies where kind = 'update'") == [("delivered",)],
                   60, "the update delivered (its receipt back)")
        assert second.terminate() == 0
        assert rows(db, "select count(*) from case_events") == [(1,)]
        assert updates_at_the_smsc(tmp_path, "Sedang diperbaiki") == 1
        assert PHONE not in first.log_text() + second.log_text()
    finally:
        stop_all(daemons, sim)
