"""Several gateway instances as real processes on one PostgreSQL, for the drills of
issue 15: the bundled SMSC (spreading MOs and receipts over the binds of one account)
delivers a burst, the fake central case store notes whether each request's complaint
was claimed at that moment, and the database says what became of every MO."""
from __future__ import annotations

import json
import subprocess
import sys
import urllib.request
from collections import Counter
from pathlib import Path

import psycopg

from tests.support import MAPPING, REPO, Daemon, cli, spawn, wait_until, write_config

CASE_STORE_TOKEN = "test-case-store-token"   # tests/forwarder/fake_case_store.py's
LONG = " — jalan berlubang dan tergenang, sudah dilaporkan ke kelurahan berkali-kali tanpa tanggapan"


def burst(count: int, long_every: int = 5) -> list[dict]:
    """`count` MOs from distinct numbers; every `long_every`th one spans 2–3 parts."""
    return [{"from": f"62816{n:08d}",
             "text": f"Jateng Jalan rusak nomor {n}" + (LONG * (1 + n % 2) if n % long_every == 0 else "")}
            for n in range(count)]


def start_case_store(database_url: str) -> tuple[subprocess.Popen, str]:
    proc = spawn([sys.executable, str(REPO / "tests" / "forwarder" / "fake_case_store.py"),
                  "--claims-database", database_url], cwd=REPO, stdout=subprocess.PIPE, text=True)
    line = proc.stdout.readline()
    assert line.startswith("port "), line
    return proc, f"http://127.0.0.1:{int(line.split()[1])}"


def case_store_stats(base_url: str) -> dict:
    with urllib.request.urlopen(base_url + "/stats", timeout=10) as answer:
        return json.load(answer)


def instance_config(folder: Path, name: str, database_url: str, smsc_port: int, case_store: str,
                    lease_ttl_s: float = 2.0) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    return write_config(folder / "gateway.toml", f"""
[gateway]
state_directory = "{folder / 'state'}"
instance_id = "{name}"
lease_ttl_s = {lease_ttl_s}
drain_timeout_s = 5.0
[database]
url = "{database_url}"
migrate_on_start = false
[logging]
format = "json"
[parser]
mapping = "{MAPPING}"
[forwarder]
adapter = "http"
concurrency = 50
rescan_interval_s = 1.0
retry_initial_s = 0.2
retry_max_s = 1.0
[forwarder.http]
base_url = "{case_store}"
[replies]
retry_initial_s = 0.2
retry_max_s = 1.0
[channels.smpp]
enabled = true
receipt_window_s = 20.0
[[channels.smpp.binds]]
port = {smsc_port}
window = 50
submit_per_second = 2000.0
reconnect_initial_s = 0.1
reconnect_max_s = 0.5
response_timeout_s = 5.0
""")


class Drill:
    """The SMSC with `mos`, the case store, the schema upgraded once, and `names`
    daemons (not started) on `database_url`."""

    def __init__(self, tmp_path: Path, database_url: str, mos: list[dict], names=("a", "b"),
                 sim_options: tuple[str, ...] = ()):
        self.database_url = database_url
        self.mos = mos
        self.case_store, self.case_store_url = start_case_store(database_url)
        self.acks = tmp_path / "acks.jsonl"
        self.submits = tmp_path / "submits.jsonl"
        self.sim = spawn([sys.executable, "-m", "gateway", "smsc-sim", "--port", "0", "--stdin",
                          "--ack-log", str(self.acks), "--submit-log", str(self.submits),
                          "--redelivery-delay", "0.5", "--window", "100", "--receipt-delay", "0",
                          "--status-interval", "0", *sim_options],
                         cwd=REPO, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        listening = json.loads(self.sim.stdout.readline())
        assert listening["event"] == "smsc-sim listening", listening
        port = listening["port"]
        configs = {n: instance_config(tmp_path / n, n, database_url, port, self.case_store_url) for n in names}
        upgraded = cli("db", "upgrade", "--config", str(configs[names[0]]))
        assert upgraded.returncode == 0, upgraded.stderr
        env = {"LAPOR_SMPP_PASSWORD": "secret", "LAPOR_CASE_STORE_TOKEN": CASE_STORE_TOKEN}
        self.daemons = {n: Daemon(configs[n], env=env) for n in names}

    def start(self) -> None:
        """Every daemon bound, then the burst: the SMSC deals it over all their binds."""
        for daemon in self.daemons.values():
            daemon.start()
        self.sim.stdin.write("".join(json.dumps(mo) + "\n" for mo in self.mos))
        self.sim.stdin.flush()

    def acknowledged(self) -> list[dict]:
        if not self.acks.exists():
            return []
        return [json.loads(line) for line in self.acks.read_text(encoding="utf-8").splitlines()]

    def submitted_to(self) -> Counter:
        """How many replies each number got (the first part of each)."""
        if not self.submits.exists():
            return Counter()
        lines = [json.loads(line) for line in self.submits.read_text(encoding="utf-8").splitlines()]
        return Counter(s["destination_addr"] for s in lines if str(s.get("part", "1")).startswith("1"))

    def query(self, sql: str, *params):
        with psycopg.connect(self.database_url, autocommit=True) as conn:
            return conn.execute(sql, params).fetchall()

    def progress(self) -> dict:
        """Messages stored, complaints forwarded, replies delivered (receipt matched), held parts."""
        (row,) = self.query(
            "SELECT (SELECT count(*) FROM messages),"
            " (SELECT count(*) FROM complaints WHERE state = 'forwarded'),"
            " (SELECT count(*) FROM replies WHERE state = 'delivered'),"
            " (SELECT count(*) FROM message_parts),"
            " (SELECT count(*) FROM parked_receipts)")
        return dict(zip(("messages", "forwarded", "delivered", "parts", "parked"), row))

    def done(self) -> bool:
        n = len(self.mos)
        return self.progress() == {"messages": n, "forwarded": n, "delivered": n, "parts": 0, "parked": 0}

    def wait_done(self, timeout: float, what: str) -> None:
        """Until `done()`; on failure says how far it got and what the daemons logged
        above info (for a drill that fails one run in many)."""
        try:
            wait_until(self.done, timeout, what)
        except AssertionError as missed:
            notes = [f"progress: {self.progress()}",
                     f"parked: {self.query('SELECT channel_message_id, address, snippet, received_at FROM parked_receipts LIMIT 3')}",
                     f"resent: {self.query('SELECT id, recipient, channel_message_id, sending_at, state, attempts, resends, last_error FROM replies WHERE resends > 0 LIMIT 3')}"]
            for name, daemon in self.daemons.items():
                loud = [json.dumps(e)[:400] for e in daemon.read_so_far() if e.get("level") in ("warning", "error")]
                notes.append(f"{name}: {len(loud)} warnings/errors; last: " + "\n".join(loud[-12:]))
            raise AssertionError(f"{missed}\n" + "\n".join(notes)) from None

    def stored_texts(self) -> Counter:
        return Counter(t for (t,) in self.query("SELECT text FROM messages"))

    def replies_per_complaint(self) -> Counter:
        return Counter(n for (n,) in self.query(
            "SELECT count(r.id) FROM complaints c LEFT JOIN replies r ON r.complaint_id = c.id GROUP BY c.id"))
