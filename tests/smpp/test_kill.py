"""SIGKILL of the daemon during a burst: every MO the SMSC saw acknowledged is in the
store, and after a restart the SMSC's redeliveries make no second complaint."""
import json
import sqlite3

from tests.support import Daemon, daemon_config, simulator_process, stop_all, wait_until

N = 600


def start_simulator(tmp_path):
    long = " dan sudah dilaporkan berkali-kali tanpa tanggapan" * 4
    return simulator_process(tmp_path, [
        {"from": f"62815{n:08d}", "text": f"Jateng Jalan rusak no {n}{long if n % 10 == 0 else ''}"}
        for n in range(N)])


def config(tmp_path, port, window: int = 50):
    return daemon_config(tmp_path, f"""[channels.smpp]
enabled = true
[[channels.smpp.binds]]
port = {port}
window = {window}
reconnect_initial_s = 0.1
reconnect_max_s = 0.5
""")


def stored_texts(db) -> list[str]:
    with sqlite3.connect(db) as conn:
        return [t for (t,) in conn.execute("select text from messages")]


def test_sigkill_during_a_burst_keeps_every_acknowledged_mo(tmp_path):
    sim, port = start_simulator(tmp_path)
    env = {"LAPOR_SMPP_PASSWORD": "secret"}
    daemons = []
    try:
        daemons.append(Daemon(config(tmp_path, port), env=env))
        first = daemons[0].start()
        for _ in range(150):
            first.wait_for("message accepted")
        first.kill()
        acked = [json.loads(line)["text"] for line in (tmp_path / "acks.jsonl").read_text().splitlines()]
        at_kill = stored_texts(tmp_path / "state" / "gateway.db")
        assert len(acked) >= 100
        assert set(acked) <= set(at_kill)           # acknowledged means stored
        assert len(at_kill) < N                     # the kill came mid-burst

        daemons.append(Daemon(config(tmp_path, port), env=env))
        second = daemons[1].start()
        # MOs can come in before "gateway ready" (the bind is up while replies resume)
        early = sum(entry.get("event") == "message accepted" for entry in second.lines)
        second.wait_for_count({"message accepted"}, N - len(at_kill) - early)
        assert second.terminate() == 0
        final = stored_texts(tmp_path / "state" / "gateway.db")
        assert len(final) == len(set(final)) == N    # every MO once, none twice
        journal = first.log_text() + second.log_text()
        assert "62815000" not in journal
    finally:
        stop_all(daemons, sim)


BURST = 5_000


def counts(db) -> tuple[int, int, int]:
    """(messages, distinct texts, complaints) in the database."""
    with sqlite3.connect(db) as conn:
        return conn.execute("select (select count(*) from messages), (select count(distinct text)"
                            " from messages), (select count(*) from complaints)").fetchone()


def test_sigkill_during_a_5000_mo_burst_at_full_speed(tmp_path):
    """Issue 13: the batch-oriented hot path keeps the contract — window 100, the
    simulator as fast as it goes; killed mid-burst, every acknowledged MO is stored, and
    after the restart every MO is exactly one complaint."""
    mos = [{"from": f"62816{n:08d}", "text": f"PekalonganKota Lampu mati no {n}"} for n in range(BURST)]
    sim, port = simulator_process(tmp_path, mos, "--window", "100")
    db = tmp_path / "state" / "gateway.db"
    env = {"LAPOR_SMPP_PASSWORD": "secret"}
    daemons = []
    try:
        daemons.append(Daemon(config(tmp_path, port, window=100), env=env))
        daemons[0].start().wait_for_count({"message accepted"}, 2_000)
        daemons[0].kill()
        acked = {json.loads(line)["text"] for line in (tmp_path / "acks.jsonl").read_text().splitlines()}
        assert len(acked) >= 1_000 and acked <= set(stored_texts(db))   # acknowledged means stored
        assert counts(db)[0] < BURST                                      # killed mid-burst

        daemons.append(Daemon(config(tmp_path, port, window=100), env=env))
        daemons[1].start()
        wait_until(lambda: counts(db) == (BURST, BURST, BURST), 120, "every MO one complaint")
        assert daemons[1].terminate() == 0
        assert counts(db) == (BURST, BURST, BURST)
    finally:
        stop_all(daemons, sim)
