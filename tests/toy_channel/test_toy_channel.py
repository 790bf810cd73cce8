"""Adding a channel is one folder: this folder's toy channel, registered from here alone,
is seen by `check-config`, refused alike by `check-config` and `run` when broken, and
served by `run` — its intake on the ops server, its replies, `/readyz`, `/metrics` and
the systemd status line — with no line of the gateway naming it."""
import json
import os
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from tests.notify_socket import NotifySocket
from tests.support import Daemon, cli, daemon_config, stop_all

DIST = Path(__file__).resolve().parent / "dist"
TOKEN = "t0y-token"
#: what makes the toy visible: its distribution's metadata on the path, and its secret
TOY_ENV = {"PYTHONPATH": os.pathsep.join(filter(None, [str(DIST), os.environ.get("PYTHONPATH")])),
           "LAPOR_TOY_TOKEN": TOKEN}


def toy_config(tmp_path, more: str = ""):
    return daemon_config(tmp_path, sections=f"[channels.toy]\nenabled = true\ngreeting = 'halo'\n{more}"
                                            "[http]\nport = 0\n")


def http(port: int, path: str, body: dict | None = None, token: str | None = None) -> tuple[int, bytes]:
    headers = {"authorization": f"Bearer {token}"} if token else {}
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(f"http://127.0.0.1:{port}{path}", data=data, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def test_check_config_sees_the_toy_channel_and_its_secret(tmp_path):
    result = cli("check-config", toy_config(tmp_path), env=TOY_ENV)
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["channels"]["toy"] is True
    assert report["secrets"]["toy_token"] == "env LAPOR_TOY_TOKEN"


def test_without_its_registration_the_section_is_unknown(tmp_path):
    result = cli("check-config", toy_config(tmp_path), env={"LAPOR_TOY_TOKEN": TOKEN})
    assert result.returncode == 78 and "unknown section [channels.toy]" in result.stderr


BROKEN = {
    "a setting its problems() refuse": ("max_text = 0\n", TOY_ENV,
                                        "[channels.toy].max_text: must be greater than 0, got 0"),
    "a key it does not have": ("colour = 'red'\n", TOY_ENV, "unknown key [channels.toy].colour"),
    "its secret missing": ("", {**TOY_ENV, "LAPOR_TOY_TOKEN": ""}, "missing secret toy_token"),
}


@pytest.mark.parametrize("case", sorted(BROKEN))
def test_check_config_and_run_refuse_a_broken_toy_alike(tmp_path, case):
    more, env, expected = BROKEN[case]
    config = toy_config(tmp_path, more)
    checked = cli("check-config", config, env=env)
    ran = cli("run", "--config", config, env=env)
    assert (checked.returncode, ran.returncode) == (78, 78), (checked.stderr, ran.stderr[-2000:])
    message = checked.stderr.strip().splitlines()[-1]
    assert expected in message and message in ran.stderr


def test_run_serves_the_toy_channel(tmp_path):
    notify = NotifySocket()
    daemon = Daemon(toy_config(tmp_path), env={**TOY_ENV, **notify.env()})
    try:
        daemon.start(until="http server listening")
        ops = daemon.lines[-1]["port"]
        assert "toy halo, 0 received" in notify.expect("READY")["STATUS"]

        status, body = http(ops, "/readyz")
        assert status == 200 and json.loads(body)["channels"]["toy"] == {"up": True, "required": True}
        assert http(ops, "/toy/inbox", {"from": "warga-1", "text": "Jateng Jalan rusak"})[0] == 401
        status, _ = http(ops, "/toy/inbox", {"from": "warga-1", "text": "Jateng Jalan rusak"}, TOKEN)
        assert status == 202
        daemon.wait_for("reply outcome")
        (reply,) = json.loads(http(ops, "/toy/outbox")[1])
        assert reply["to"] == "warga-1" and "#1000001" in reply["text"]

        metrics = http(ops, "/metrics")[1].decode()
        assert "lapor_toy_received_total 1.0" in metrics
        assert 'lapor_channel_up{channel="toy",required="true"} 1.0' in metrics
        assert 'lapor_replies{state="delivered"} 1.0' in metrics
        daemon.proc.send_signal(1)  # SIGHUP: the status line is sent again with the reload
        notify.expect("RELOADING")
        assert "toy halo, 1 received" in notify.expect("READY")["STATUS"]
    finally:
        stop_all([daemon])
        notify.close()


def test_a_channel_whose_package_cannot_be_loaded_is_a_config_error_naming_it(tmp_path):
    broken = tmp_path / "dist" / "broken_channel-0.1.dist-info"
    broken.mkdir(parents=True)
    (broken / "METADATA").write_text("Metadata-Version: 2.1\nName: broken-channel\nVersion: 0.1\n")
    (broken / "entry_points.txt").write_text("[lapor_gateway.channels]\nwhatsapp = no_such_package:CHANNEL\n")
    env = {"PYTHONPATH": os.pathsep.join(filter(None, [str(tmp_path / "dist"), os.environ.get("PYTHONPATH")]))}
    config = toy_config(tmp_path)
    for command in (["check-config", config], ["run", "--config", config]):
        result = cli(*command, env=env)
        assert result.returncode == 78, result.stderr
        assert "'whatsapp' (no_such_package:CHANNEL" in result.stderr
        assert "No module named 'no_such_package'" in result.stderr
