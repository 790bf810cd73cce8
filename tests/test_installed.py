"""Issue 14: the package as `pip install` leaves it runs from any folder — its mapping and
demo messages are package data — and a config in /etc finds the same database for the
daemon and for the admin commands run from a shell."""
from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest

from tests.support import REPO, Daemon, daemon_config

SOURCES = ("gateway", "pyproject.toml", "setup.cfg", "README.md")


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> Path:
    """The checkout built as a wheel (in a copy: the build writes beside its sources) and
    installed into a folder of its own, which commands get as PYTHONPATH."""
    work = tmp_path_factory.mktemp("install")
    source = work / "source"
    source.mkdir()
    for name in SOURCES:
        copy = shutil.copytree if (REPO / name).is_dir() else shutil.copy
        copy(REPO / name, source / name, **({"ignore": shutil.ignore_patterns("__pycache__")}
                                              if (REPO / name).is_dir() else {}))
    pip = [sys.executable, "-m", "pip", "--disable-pip-version-check", "-q"]
    subprocess.run([*pip, "wheel", "--no-deps", "--no-build-isolation", "-w", work / "dist", source],
                   check=True, capture_output=True, timeout=300)
    (wheel,) = (work / "dist").glob("lapor_gateway-*.whl")
    site = work / "site"
    subprocess.run([*pip, "install", "--no-deps", "--target", site, wheel], check=True,
                   capture_output=True, timeout=300)
    return site


def run(site: Path, cwd: Path, *args: str, timeout: float = 120) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in ("LAPOR_CONFIG", "STATE_DIRECTORY")}
    env["PYTHONPATH"] = str(site)
    return subprocess.run([sys.executable, "-m", "gateway", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=timeout)


def test_the_installed_package_runs_its_commands_from_an_empty_folder(installed, tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    where = run(installed, empty, "check-config")
    assert where.returncode == 0, where.stderr
    report = json.loads(where.stdout)
    assert report["mapping"].startswith(str(installed)) and report["mapping"].endswith("(packaged)")

    parsed = run(installed, empty, "parse", "PekalonganKota jalan rusak")
    assert parsed.returncode == 0, parsed.stderr
    assert json.loads(parsed.stdout)["region"]["code"] == "33.75"
    listed = run(installed, empty, "regions", "list")
    assert listed.returncode == 0 and len(listed.stdout.splitlines()) == 38 + 514

    # the packaged mapping is not edited in place (an upgrade would undo the edit)
    edit = run(installed, empty, "regions", "add-keyword", "33.75", "PKLKOTA")
    assert edit.returncode == 2 and "regions copy" in edit.stderr
    copied = run(installed, empty, "regions", "copy", "--output", str(tmp_path / "regions.yaml"))
    assert copied.returncode == 0 and (tmp_path / "regions.yaml").is_file()

    demo = run(installed, empty, "demo", timeout=180)
    assert demo.returncode == 0, demo.stdout + demo.stderr
    assert re.search(r"^\d+ complaints;", demo.stdout, re.M)
    assert list(empty.iterdir()) == []          # nothing left behind in the folder


def test_an_etc_style_config_gives_run_and_the_admin_commands_one_database(tmp_path):
    """The shipped /etc example names the unit's StateDirectory; with it (moved under
    tmp_path) the daemon writes and `complaints list` run elsewhere reads the same database."""
    example = (REPO / "systemd" / "gateway.toml").read_text()
    unit = (REPO / "systemd" / "lapor-gateway.service").read_text()
    (state_name,) = re.findall(r"^StateDirectory=(\S+)$", unit, re.M)
    assert f'state_directory = "/var/lib/{state_name}"' in example
    assert re.search(r"^ExecStart=\S+ run --config /etc/lapor-gateway/gateway.toml$", unit, re.M)

    etc = tmp_path / "etc"
    etc.mkdir()
    config = etc / "gateway.toml"
    config.write_text(example.replace(f"/var/lib/{state_name}", str(tmp_path / "var-lib"))
                      + "\n[logging]\nformat = \"json\"\n[channels.http]\nenabled = true\nport = 0\n")
    daemon = Daemon(config)
    try:
        daemon.start()
        (port,) = [line["port"] for line in daemon.lines if line.get("event") == "local channel listening"]
        request = urllib.request.Request(f"http://127.0.0.1:{port}/messages", method="POST",
                                         data=json.dumps({"from": "+6281200000001",
                                                          "text": "PekalonganKota Jalan rusak"}).encode(),
                                         headers={"content-type": "application/json"})
        with urllib.request.urlopen(request, timeout=10) as answer:
            complaint_id = json.loads(answer.read())["complaint_id"]
        assert daemon.terminate() == 0

        elsewhere = tmp_path / "elsewhere"
        elsewhere.mkdir()
        env = {k: v for k, v in os.environ.items() if k not in ("LAPOR_CONFIG", "STATE_DIRECTORY")}
        listed = subprocess.run([sys.executable, "-m", "gateway", "complaints", "list", "--json",
                                 "--config", str(config)], cwd=elsewhere, env=env,
                                capture_output=True, text=True, timeout=60)
        assert listed.returncode == 0, listed.stderr
        assert [json.loads(line)["id"] for line in listed.stdout.splitlines()] == [complaint_id]
        assert (tmp_path / "var-lib" / "gateway.db").is_file() and list(elsewhere.iterdir()) == []
    finally:
        daemon.kill_if_running()
