"""SIGHUP on the running daemon reloads the region mapping an admin edited; a file the
mapping validator refuses (broken YAML, or valid YAML with a wrong name) keeps the old
mapping in force, and the refusal shows in the log, the status line and /metrics."""
import json
import shutil
import signal
import urllib.request

from tests.notify_socket import NotifySocket
from tests.support import MAPPING, Daemon, cli, daemon_config


def post(port: int, text: str) -> None:
    request = urllib.request.Request(f"http://127.0.0.1:{port}/messages", method="POST",
                                     data=json.dumps({"from": "+6281311112222", "text": text}).encode())
    with urllib.request.urlopen(request, timeout=30) as response:
        assert response.status == 202


def reload_failures(ops_port: int) -> float:
    with urllib.request.urlopen(f"http://127.0.0.1:{ops_port}/metrics", timeout=30) as response:
        text = response.read().decode()
    (line,) = [line for line in text.splitlines() if line.startswith("lapor_mapping_reload_failures_total ")]
    return float(line.split()[1])


def test_sighup_reloads_edited_mapping_and_refuses_a_broken_one(tmp_path):
    mapping = tmp_path / "regions.yaml"
    shutil.copy(MAPPING, mapping)
    config = daemon_config(tmp_path, mapping=mapping, sections="""[channels.http]
enabled = true
port = 0
[http]
port = 0
""")
    notify = NotifySocket()
    daemon = Daemon(config, env=notify.env())
    try:
        daemon.start(until="http server listening")
        ops = daemon.lines[-1]["port"]
        port = daemon.wait_for("local channel listening")["port"]
        daemon.wait_for("gateway ready")
        assert "refused" not in notify.expect("READY")["STATUS"]
        assert reload_failures(ops) == 0

        post(port, "PKLKOTA Jalan rusak")
        assert daemon.wait_for("message accepted")["routing"] == "unrouted"

        edit = cli("regions", "add-keyword", "--mapping", mapping, "33.75", "PKLKOTA")
        assert edit.returncode == 0, edit.stderr
        daemon.proc.send_signal(signal.SIGHUP)
        daemon.wait_for("region mapping reloaded")
        assert "refused" not in notify.expect("READY")["STATUS"]
        post(port, "PKLKOTA Jalan rusak lagi")
        assert daemon.wait_for("message accepted")["region"] == "33.75"

        # Routing v2: a kecamatan's alias, added by hand, names it once reloaded.
        post(port, "Jalan rusak di Kec. Talun Lor")
        assert daemon.wait_for("message accepted")["routing"] == "ambiguous"   # Talun: several
        with mapping.open("a") as appended:
            appended.write('  "33.26.05":\n    aliases:\n      - Talun Lor   # local name\n')
        daemon.proc.send_signal(signal.SIGHUP)
        daemon.wait_for("region mapping reloaded")
        assert "refused" not in notify.expect("READY")["STATUS"]
        post(port, "Sampah menumpuk di Kec. Talun Lor")
        accepted = daemon.wait_for("message accepted")
        assert (accepted["region"], accepted["place"]) == ("33.26", "33.26.05")

        # Valid YAML the validator refuses: 33.75 renamed. The old mapping stays in force.
        good = mapping.read_text()
        line = good.splitlines().index("    name: Kota Pekalongan") + 1
        mapping.write_text(good.replace("name: Kota Pekalongan", "name: Kota Semarang"))
        daemon.proc.send_signal(signal.SIGHUP)
        refused = daemon.wait_for("region mapping not reloaded; the old one stays in force")
        assert f"{mapping}:{line}: name of 33.75 must be the Kemendagri name 'Kota Pekalongan'" \
            in refused["error"]
        assert "mapping reload refused" in notify.expect("READY")["STATUS"]
        assert reload_failures(ops) == 1
        post(port, "PKLKOTA Sampah menumpuk")
        assert daemon.wait_for("message accepted")["region"] == "33.75"

        mapping.write_text(good + "\n  \"99.99\": [broken\n")
        daemon.proc.send_signal(signal.SIGHUP)
        refused = daemon.wait_for("region mapping not reloaded; the old one stays in force")
        assert str(mapping) in refused["error"]
        assert "mapping reload refused" in notify.expect("READY")["STATUS"]
        assert reload_failures(ops) == 2
        post(port, "PKLKOTA Lampu mati")
        assert daemon.wait_for("message accepted")["region"] == "33.75"

        # Fixed: the next reload is accepted and the status line no longer says refused.
        mapping.write_text(good)
        daemon.proc.send_signal(signal.SIGHUP)
        daemon.wait_for("region mapping reloaded")
        assert "refused" not in notify.expect("READY")["STATUS"]
        assert reload_failures(ops) == 2
        assert daemon.terminate() == 0
    finally:
        if daemon.proc is not None and daemon.proc.poll() is None:
            daemon.kill()
        notify.close()
