"""SIGKILL of the daemon during a burst: every MO the SMSC saw acknowledged is in the
store, and after a restart the SMSC's redeliveries make no second complaint."""
import json
import sqlite3

from tests.support import Daemon, daemon_config, simulator_process

N = 600


def start_simulator(tmp_path):
    long = " dan sudah dilaporkan berkali-kali tanpa tanggapan" * 4
    return simulator_process(tmp_path, [
        {"from": f"62815{n:08d}", "text": f"Jateng Jalan rusak no {n}{long if n % 10 == 0 else ''}"}
        for n in range(N)])


def config(tmp_path, port):
    return daemon_config(tmp_path, f"""[channels.smpp]
enabled = true
[[channels.smpp.binds]]
port = {port}
window = 50
reconnect_initial_s = 0.1
reconnect_max_s = 0.5
""")


def stored_texts(db) -> list[str]:
    with sqlite3.connect(db) as conn:
        return [t for (t,) in conn.execute("select text from messages")]


def test_sigkill_during_a_burst_keeps_every_acknowledged_mo(tmp_path):
    sim, port = start_simulator(tmp_path)
    env = {"LAPOR_SMPP_PASSWORD": "secret"}
    try:
        first = Daemon(config(tmp_path, port), env=env).start()
        for _ in range(150):
            first.wait_for("message accepted")
        first.kill()
        acked = [json.loads(line)["text"] for line in (tmp_path / "acks.jsonl").read_text().splitlines()]
        at_kill = stored_texts(tmp_path / "state" / "gateway.db")
        assert len(acked) >= 100
        assert set(acked) <= set(at_kill)           # acknowledged means stored
        assert len(at_kill) < N                     # the kill came mid-burst

        second = Daemon(config(tmp_path, port), env=env).start()
        for _ in range(N - len(at_kill)):
            second.wait_for("message accepted")
        assert second.terminate() == 0
        final = stored_texts(tmp_path / "state" / "gateway.db")
        assert len(final) == len(set(final)) == N    # every MO once, none twice
        journal = first.log_text() + second.log_text()
        assert "62815000" not in journal
    finally:
        sim.kill()
        sim.wait(10)
