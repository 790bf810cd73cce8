"""The daemon bound to the bundled SMSC (a subprocess), seen from ops: /metrics counts
what went through and parses with prometheus-client's parser, /readyz turns 503 when
the SMSC goes away, and SIGTERM during a burst loses nothing."""
import json
import sqlite3
import urllib.error
import urllib.request

from prometheus_client.parser import text_string_to_metric_families

from tests.notify_socket import NotifySocket
from tests.support import Daemon, daemon_config, simulator_process


def simulator(tmp_path, count: int):
    return simulator_process(tmp_path, [{"from": f"62816{n:08d}", "text": f"PekalonganKota Jalan rusak no {n}"}
                                        for n in range(count)])


def daemon_for(tmp_path, port: int, env=None) -> Daemon:
    config = daemon_config(tmp_path, f"""[channels.smpp]
enabled = true
[[channels.smpp.binds]]
port = {port}
window = 50
reconnect_initial_s = 0.1
reconnect_max_s = 0.5
[http]
port = 0
""")
    return Daemon(config, env={"LAPOR_SMPP_PASSWORD": "secret", **(env or {})})


def get(port: int, path: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=30) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def samples(text: str) -> dict[tuple, float]:
    """{(sample name, sorted labels): value} from the Prometheus text."""
    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for family in text_string_to_metric_families(text) for s in family.samples}


def test_metrics_count_what_went_through_and_readyz_follows_the_bind(tmp_path):
    n = 20
    sim, port = simulator(tmp_path, n)
    try:
        daemon = daemon_for(tmp_path, port)
        daemon.start(until="http server listening")
        ops = daemon.lines[-1]["port"]
        daemon.wait_for("SMPP bound")
        daemon.wait_for_count({"reply outcome"}, n)

        status, body = get(ops, "/readyz")
        assert status == 200 and json.loads(body) == {
            "ready": True, "channels": {"sms": {"up": True, "required": True}}}
        status, text = get(ops, "/metrics")
        assert status == 200
        m = samples(text)
        assert m[("lapor_messages_in_total", (("channel", "sms"), ("outcome", "accepted")))] == n
        assert m[("lapor_pipeline_accepted_total", ())] == n
        assert m[("lapor_forwarded_total", ())] == n
        assert m[("lapor_forward_seconds_count", (("outcome", "forwarded"),))] == n
        assert m[("lapor_smpp_ack_seconds_count", ())] >= n
        assert m[("lapor_complaints_by_routing", (("routing", "routed"),))] == n
        assert sum(v for (name, _), v in m.items() if name == "lapor_complaints") == n
        bind = (("bind", "default"), ("role", "transceiver"))
        assert m[("lapor_smpp_bound", bind)] == 1
        assert m[("lapor_smpp_window_size", bind)] == 50
        assert 0 <= m[("lapor_smpp_window_outstanding", bind)] <= 50
        assert m[("lapor_smpp_reconnects_total", bind)] == 0
        assert m[("lapor_database_up", ())] == 1 and m[("lapor_store_up", ())] == 1   # old name, one release
        assert ("lapor_smpp_receipts_unmatched_total", ()) in m
        # every reply state is a series, 0 included (alerts on uncertain/failed see a 0)
        assert m[("lapor_replies", (("state", "uncertain"),))] == 0
        assert m[("lapor_replies", (("state", "failed"),))] == 0
        assert m[("lapor_replies_in_doubt_total", ())] == 0
        assert m[("lapor_replies_given_up_total", ())] == 0
        assert m[("lapor_replies_paused_seconds", (("channel", "sms"),))] == 0
        assert "62816" not in text                       # no phone number in any label

        sim.kill()
        sim.wait(10)
        daemon.wait_for("SMPP connection lost")
        status, body = get(ops, "/readyz")
        assert status == 503
        assert json.loads(body)["channels"]["sms"] == {"up": False, "required": True}
        assert samples(get(ops, "/metrics")[1])[("lapor_smpp_bound", bind)] == 0
        assert daemon.terminate() == 0
    finally:
        sim.kill()
        sim.wait(10)


def stored(db) -> list[str]:
    with sqlite3.connect(db) as conn:
        return [t for (t,) in conn.execute("select text from messages")]


def test_sigterm_during_a_burst_loses_nothing(tmp_path):
    n = 400
    sim, port = simulator(tmp_path, n)
    notify = NotifySocket()
    try:
        first = daemon_for(tmp_path, port, notify.env()).start()
        notify.expect("READY")
        for _ in range(100):
            first.wait_for("message accepted")
        assert first.terminate() == 0
        notify.expect("STOPPING")
        stopped = next(line for line in first.lines if line["event"] == "stopped")
        assert not [line for line in first.lines if line["event"] == "drain did not finish"]
        acked = [json.loads(line)["text"] for line in (tmp_path / "acks.jsonl").read_text().splitlines()]
        at_stop = stored(tmp_path / "state" / "gateway.db")
        assert set(acked) <= set(at_stop)          # acknowledged means stored
        assert len(at_stop) == stopped["accepted"] < n

        # The rest arrives after a restart, each message once.
        second = daemon_for(tmp_path, port).start()
        for _ in range(n - len(at_stop)):
            second.wait_for("message accepted")
        assert second.terminate() == 0
        final = stored(tmp_path / "state" / "gateway.db")
        assert len(final) == len(set(final)) == n
    finally:
        notify.close()
        sim.kill()
        sim.wait(10)
