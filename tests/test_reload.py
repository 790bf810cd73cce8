"""SIGHUP on the running daemon reloads the region mapping an admin edited; a broken
file is refused with a logged error and the old mapping stays in force."""
import json
import shutil
import signal
import urllib.request

from tests.support import MAPPING, Daemon, cli, daemon_config


def post(port: int, text: str) -> None:
    request = urllib.request.Request(f"http://127.0.0.1:{port}/messages", method="POST",
                                     data=json.dumps({"from": "+6281311112222", "text": text}).encode())
    with urllib.request.urlopen(request, timeout=30) as response:
        assert response.status == 202


def test_sighup_reloads_edited_mapping_and_refuses_a_broken_one(tmp_path):
    mapping = tmp_path / "regions.yaml"
    shutil.copy(MAPPING, mapping)
    config = daemon_config(tmp_path, mapping=mapping, sections="""[channels.http]
enabled = true
port = 0
""")
    daemon = Daemon(config)
    daemon.start(until="local channel listening")
    port = daemon.lines[-1]["port"]
    daemon.wait_for("gateway ready")

    post(port, "PKLKOTA Jalan rusak")
    assert daemon.wait_for("complaint routed")["routing"] == "unrouted"

    edit = cli("regions", "add-keyword", "--mapping", mapping, "33.75", "PKLKOTA")
    assert edit.returncode == 0, edit.stderr
    daemon.proc.send_signal(signal.SIGHUP)
    daemon.wait_for("region mapping reloaded")
    post(port, "PKLKOTA Jalan rusak lagi")
    assert daemon.wait_for("complaint routed")["region"] == "33.75"

    mapping.write_text(mapping.read_text() + "\n  \"99.99\": [broken\n")
    daemon.proc.send_signal(signal.SIGHUP)
    refused = daemon.wait_for("region mapping not reloaded; the old one stays in force")
    assert str(mapping) in refused["error"]
    post(port, "PKLKOTA Sampah menumpuk")
    assert daemon.wait_for("complaint routed")["region"] == "33.75"
    assert daemon.terminate() == 0
