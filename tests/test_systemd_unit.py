"""The shipped unit passes `systemd-analyze verify` and rates 2.0 or better in
`systemd-analyze security --offline=true`, and asks for what the daemon provides.
systemd's tools are required (scripts/test-systemd-setup installs them): their absence
fails these tests rather than skipping them."""
import re
import shutil
import subprocess
import sys
from pathlib import Path

from tests.support import REPO

UNIT = REPO / "systemd" / "lapor-gateway.service"
INSTALLED = "/opt/lapor-gateway/.venv/bin/lapor-gateway"


def analyze(*args) -> subprocess.CompletedProcess:
    tool = shutil.which("systemd-analyze")
    assert tool, "systemd-analyze is missing: run scripts/test-systemd-setup (apt-get install systemd)"
    return subprocess.run([tool, *args], capture_output=True, text=True, timeout=60)


def checkout_unit(tmp_path: Path) -> Path:
    """The unit with ExecStart pointing at this checkout's venv: `verify` checks that the
    program exists, and /opt/lapor-gateway is where a server has it, not this machine."""
    here = Path(sys.executable).parent / "lapor-gateway"
    assert here.exists(), here
    text = UNIT.read_text()
    assert INSTALLED in text
    unit = tmp_path / UNIT.name
    unit.write_text(text.replace(INSTALLED, str(here)))
    return unit


def directives(text: str) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for line in text.splitlines():
        if "=" in line and not line.lstrip().startswith(("#", ";", "[")):
            key, value = line.split("=", 1)
            found.setdefault(key.strip(), []).append(value.strip())
    return found


def test_unit_verifies_clean(tmp_path):
    result = analyze("verify", str(checkout_unit(tmp_path)))
    assert result.returncode == 0, result.stderr
    assert result.stderr.strip() == "" and result.stdout.strip() == ""


def test_unit_is_rated_2_or_better(tmp_path):
    result = analyze("security", "--offline=true", "--threshold=20", str(checkout_unit(tmp_path)))
    score = re.search(r"Overall exposure level for \S+: (\d+\.\d)", result.stdout)
    assert score, result.stdout + result.stderr
    assert float(score.group(1)) <= 2.0, result.stdout
    assert result.returncode == 0, result.stdout


def test_unit_asks_for_what_the_daemon_does():
    d = directives(UNIT.read_text())
    assert d["Type"] == ["notify"]
    assert d["ExecStart"][0].startswith(INSTALLED + " run ")
    assert "-HUP $MAINPID" in d["ExecReload"][0]
    assert int(d["WatchdogSec"][0]) > 0
    assert d["Restart"] == ["on-failure"]
    assert d["RestartPreventExitStatus"] == ["78"]
    assert d["DynamicUser"] == ["yes"]
    assert d["StateDirectory"] == d["ConfigurationDirectory"] == ["lapor-gateway"]
    assert any(c.startswith("pseudonym_key:") for c in d["LoadCredential"])
    assert d["CapabilityBoundingSet"] == [""]
    assert d["RestrictAddressFamilies"] == ["AF_INET AF_INET6 AF_UNIX"]
    assert "@system-service" in d["SystemCallFilter"]
    for switch in ("NoNewPrivileges", "ProtectHome", "PrivateTmp"):
        assert d[switch] == ["yes"], switch
    assert d["ProtectSystem"] == ["strict"]
    # The drain must be able to finish before systemd sends SIGKILL.
    from gateway.config import load_config
    drain = load_config(REPO / "config" / "gateway.toml").gateway.drain_timeout_s
    assert int(d["TimeoutStopSec"][0]) > drain
