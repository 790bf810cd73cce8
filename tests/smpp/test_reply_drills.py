"""The reply leg under the intake's drills, with the gateway and the SMSC simulator as
real processes: SIGKILL ten times mid-burst, then every citizen has exactly one reply
(counted at the SMSC, from its log of accepted submit_sm); restarts while replies wait
for a bind spend no attempts."""
import json
import sqlite3
import time
from collections import Counter

from tests.support import Daemon, daemon_config, simulator_process, stop_all, wait_until

N = 3000
SENDERS = [f"62816{n:07d}" for n in range(N)]
ENV = {"LAPOR_SMPP_PASSWORD": "secret"}


def mixed_burst() -> list[dict]:
    """Short and long (concatenated) messages, GSM and UCS-2, each from its own citizen."""
    long = " dan sudah dilaporkan berkali-kali tanpa tanggapan dari dinas terkait" * 3
    mos = []
    for n, sender in enumerate(SENDERS):
        mo = {"from": sender, "text": f"Jateng Jalan rusak no {n}{long if n % 10 == 0 else ''}"}
        if n % 7 == 0:
            mo |= {"text": f"KabBanyumas Lampu mati 💡 no {n}", "coding": "ucs2"}
        mos.append(mo)
    return mos


def config(tmp_path, port, mode="transceiver", max_attempts=20):
    return daemon_config(tmp_path, f"""[replies]
max_attempts = {max_attempts}
[channels.smpp]
enabled = true
receipt_window_s = 10.0
[[channels.smpp.binds]]
port = {port}
mode = "{mode}"
window = 50
submit_per_second = 2000.0
reconnect_initial_s = 0.1
reconnect_max_s = 0.5
""")


def reply_states(db) -> Counter:
    with sqlite3.connect(db) as conn:
        return Counter(dict(conn.execute("select state, count(*) from replies group by state")))


def forwarded(db) -> int:
    with sqlite3.connect(db) as conn:
        return conn.execute("select count(*) from complaints where state = 'forwarded'").fetchone()[0]


def all_settled(db, n):
    with sqlite3.connect(db) as conn:
        forwarded = conn.execute("select count(*) from complaints where state = 'forwarded'").fetchone()[0]
        open_replies = conn.execute("select count(*) from replies where state not in"
                                    " ('delivered', 'failed')").fetchone()[0]
    return forwarded == n and open_replies == 0


def replies_at_the_smsc(tmp_path) -> Counter:
    """Replies the SMSC accepted, per citizen (a long reply counts once, by its first part)."""
    lines = (tmp_path / "submits.jsonl").read_text().splitlines()
    return Counter(s["destination_addr"] for s in map(json.loads, lines)
                   if s.get("part", "1/1").startswith("1/"))


def test_sigkill_ten_times_mid_burst_every_citizen_gets_exactly_one_reply(tmp_path):
    sim, port = simulator_process(tmp_path, mixed_burst())
    db = tmp_path / "state" / "gateway.db"
    runs = []
    try:
        for _ in range(10):
            run = Daemon(config(tmp_path, port), env=ENV)
            runs.append(run)          # before start: stopped in `finally` even if start fails
            run.start().wait_for_count({"message accepted", "reply outcome"}, 300, timeout=60)
            run.kill()
            time.sleep(0.5)              # the drill: restart half a second after each kill
        last = Daemon(config(tmp_path, port), env=ENV)
        runs.append(last)
        last.start()
        wait_until(lambda: all_settled(db, N), 240, "every complaint forwarded and every reply settled")
        assert last.terminate() == 0
    finally:
        stop_all(runs, sim)
    with sqlite3.connect(db) as conn:
        senders = Counter(s for (s,) in conn.execute("select sender from messages"))
    assert senders == Counter({f"+{s}": 1 for s in SENDERS})      # every MO one complaint
    assert replies_at_the_smsc(tmp_path) == Counter({s: 1 for s in SENDERS})  # one reply each
    assert reply_states(db) == Counter({"delivered": N})
    in_doubt = sum(line.get("event") == "reply may or may not have gone out; settling it"
                   for run in runs for line in run.lines)
    resumed = [line for run in runs for line in run.lines if line.get("event") == "resumed unfinished replies"]
    settled = Counter(line.get("how") for run in runs for line in run.lines
                      if line.get("event", "").startswith("reply in doubt had"))
    print(f"\nin doubt at each restart: {[r.get('in_doubt', 0) for r in resumed]};"
          f" doubts from dropped links: {in_doubt}; settled: {dict(settled)}")
    journal = "\n".join(run.log_text() for run in runs)
    assert not any(sender in journal for sender in SENDERS)      # no phone number in the log


def test_restarts_while_replies_wait_for_a_bind_spend_no_attempts(tmp_path):
    n = 200
    sim, port = simulator_process(tmp_path, mixed_burst()[:n])
    db = tmp_path / "state" / "gateway.db"
    runs = []
    try:
        # A receiver-only bind: complaints flow in, replies cannot go out.
        first = Daemon(config(tmp_path, port, mode="receiver", max_attempts=1), env=ENV)
        runs.append(first)
        first.start()
        wait_until(lambda: forwarded(db) == n, 60, "every complaint forwarded")
        assert first.terminate() == 0
        for _ in range(10):
            runs.append(Daemon(config(tmp_path, port, mode="receiver", max_attempts=1), env=ENV))
            assert runs[-1].start().terminate() == 0
        assert reply_states(db) == Counter({"queued": n})              # none given up
        last = Daemon(config(tmp_path, port, max_attempts=1), env=ENV)
        runs.append(last)
        last.start()
        wait_until(lambda: all_settled(db, n), 60, "every reply delivered")
        assert last.terminate() == 0
    finally:
        stop_all(runs, sim)
    assert reply_states(db) == Counter({"delivered": n})
    with sqlite3.connect(db) as conn:
        assert conn.execute("select max(attempts) from replies").fetchone()[0] == 1
    assert replies_at_the_smsc(tmp_path) == Counter({s: 1 for s in SENDERS[:n]})


def run_with_faults(tmp_path, n, *faults):
    sim, port = simulator_process(tmp_path, mixed_burst()[:n], *faults)
    db = tmp_path / "state" / "gateway.db"
    daemon = Daemon(config(tmp_path, port), env=ENV)
    try:
        daemon.start()
        wait_until(lambda: all_settled(db, n), 120, "every complaint forwarded and every reply settled")
        assert daemon.terminate() == 0
    finally:
        stop_all([daemon], sim)
    assert replies_at_the_smsc(tmp_path) == Counter({s: 1 for s in SENDERS[:n]})
    assert reply_states(db) == Counter({"delivered": n})
    return daemon


def test_the_smsc_dropping_the_link_mid_burst_costs_no_reply_and_doubles_none(tmp_path):
    daemon = run_with_faults(tmp_path, 1000, "--drop-after", "700")
    drops = sum(line.get("event") == "SMPP connection lost" for line in daemon.lines)
    assert drops >= 3


def test_every_fault_the_simulator_can_inject_at_once_costs_no_reply_and_doubles_none(tmp_path):
    daemon = run_with_faults(tmp_path, 1000, "--drop-after", "900", "--drop-submit-resp-every", "97",
                             "--throttle", "100", "--response-delay", "0.002",
                             "--receipt-before-response", "--receipt-id-decimal")
    events = Counter(line.get("event") for line in daemon.lines)
    assert events["SMPP connection lost"] >= 3
    assert events["reply may or may not have gone out; settling it"] >= 5   # the withheld responses
    assert events["server asked us to wait; channel sends paused"] >= 1     # the throttling
