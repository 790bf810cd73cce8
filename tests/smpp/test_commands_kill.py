"""A CEK caught by `kill -9` is answered once (issue 16: the answer is the citizen's receipt,
like a complaint's reply). `lapor-gateway run` as a process, SMS from the bundled SMSC
simulator (a process, MOs typed on its standard input), the central case store (the fake,
a process) holding the first status look-up unanswered: the CEK is acknowledged, the
daemon is SIGKILLed while it waits for the store, restarted — and the citizen gets exactly
one answer, with the case's status, counted at the SMSC."""
import json
import subprocess
import sys
import urllib.request

from tests.forwarder.fake_case_store import TOKEN
from tests.support import REPO, Daemon, daemon_config, spawn, stop_all, wait_until

PHONE = "6281234567002"
ENV = {"LAPOR_SMPP_PASSWORD": "secret", "LAPOR_CASE_STORE_TOKEN": TOKEN}


def lines(path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


def status_requests(store_port: int) -> int:
    with urllib.request.urlopen(f"http://127.0.0.1:{store_port}/stats", timeout=10) as response:
        return json.loads(response.read())["status_requests"]


def test_a_cek_caught_by_a_sigkill_is_answered_once_after_the_restart(tmp_path):
    store = spawn([sys.executable, "tests/forwarder/fake_case_store.py", "--status-hang-first", "1"],
                  cwd=REPO, stdout=subprocess.PIPE, text=True)
    store_port = int(store.stdout.readline().split()[1])
    sim = spawn([sys.executable, "-m", "gateway", "smsc-sim", "--port", "0", "--stdin",
                 "--ack-log", str(tmp_path / "acks.jsonl"), "--submit-log", str(tmp_path / "submits.jsonl"),
                 "--redelivery-delay", "0.5", "--receipt-delay", "0", "--status-interval", "0"],
                cwd=REPO, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    sim_port = json.loads(sim.stdout.readline())["port"]
    config = daemon_config(tmp_path, f"""[forwarder]
adapter = "http"
status_timeout_s = 60.0
[forwarder.http]
base_url = "http://127.0.0.1:{store_port}"
[channels.smpp]
enabled = true
receipt_window_s = 5.0
[[channels.smpp.binds]]
port = {sim_port}
reconnect_initial_s = 0.1
reconnect_max_s = 0.5
""")
    daemons = []
    try:
        first = Daemon(config, env=ENV).start()
        daemons.append(first)
        sim.stdin.write(json.dumps({"from": PHONE, "text": "PekalonganKota Jalan rusak"}) + "\n")
        sim.stdin.flush()
        first.wait_for("reply outcome")                       # #5000001's reply, delivered
        sim.stdin.write(json.dumps({"from": PHONE, "text": "CEK 5000001"}) + "\n")
        sim.stdin.flush()
        wait_until(lambda: len(lines(tmp_path / "acks.jsonl")) == 2 and status_requests(store_port) == 1,
                   30, "the CEK acknowledged and the case store asked")
        first.kill()                                          # waiting for the store's answer

        second = Daemon(config, env=ENV).start()
        daemons.append(second)
        answers = lambda: [s for s in lines(tmp_path / "submits.jsonl") if s["destination_addr"] == PHONE]
        wait_until(lambda: len(answers()) == 2, 60, "the CEK answered after the restart")
        assert second.terminate() == 0
        texts = [json.dumps(s) for s in answers()]
        assert "LAPOR! Aduan #5000001: menunggu verifikasi" in texts[1], texts
        assert len(answers()) == 2, "the complaint's reply and one answer, nothing twice"
        assert PHONE not in first.log_text() + second.log_text()
    finally:
        stop_all(daemons, sim, store)
