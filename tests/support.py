"""Helpers shared by the tests: paths, settings for a temporary state directory, the
CLI and the daemon as real subprocesses."""
from __future__ import annotations

import dataclasses
import json
import os
import select
import signal
import subprocess
import sys
import time
from pathlib import Path

from gateway.config import load_config

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
MAPPING = REPO / "config" / "regions.yaml"


def settings_for(tmp_path: Path, store_url: str = "", **sections):
    """The shipped config with the state in `tmp_path`; `sections` replace whole fields."""
    base = load_config(REPO / "config" / "gateway.toml")
    changes = {
        "gateway": dataclasses.replace(base.gateway, state_directory=tmp_path),
        "store": dataclasses.replace(base.store, url=store_url),
    }
    changes.update(sections)
    return dataclasses.replace(base, **changes)


def cli(*args, env=None, input=None, timeout=60) -> subprocess.CompletedProcess:
    """Run `lapor-gateway ARGS` as a real process."""
    full_env = {**os.environ, **(env or {})}
    return subprocess.run([sys.executable, "-m", "gateway", *map(str, args)], cwd=REPO, env=full_env,
                          input=input, capture_output=True, text=True, timeout=timeout)


def write_config(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


class Daemon:
    """`lapor-gateway run` as a subprocess whose JSON log lines we read as they come."""

    def __init__(self, config: Path, env=None):
        self.config = config
        self.env = {**os.environ, **(env or {})}
        self.proc: subprocess.Popen | None = None
        self.lines: list[dict] = []

    def start(self, until: str = "gateway ready", timeout: float = 30) -> "Daemon":
        self.proc = subprocess.Popen([sys.executable, "-m", "gateway", "run", "--config", str(self.config)],
                                     cwd=REPO, env=self.env, stdout=subprocess.PIPE,
                                     stderr=subprocess.STDOUT, text=True, bufsize=1)
        self.wait_for(until, timeout)
        return self

    def wait_for(self, event: str, timeout: float = 30) -> dict:
        """Read log lines until one whose event is `event` (bounded by `timeout`)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            ready, _, _ = select.select([self.proc.stdout], [], [], max(0.0, deadline - time.monotonic()))
            if not ready:
                break
            line = self.proc.stdout.readline()
            if not line:
                raise AssertionError(f"daemon exited ({self.proc.wait()}) before {event!r}:\n{self.log_text()}")
            entry = _parse(line)
            self.lines.append(entry)
            if entry.get("event") == event:
                return entry
        raise AssertionError(f"no {event!r} within {timeout}s:\n{self.log_text()}")

    def kill(self) -> None:
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(10)
        self._drain()

    def terminate(self, timeout: float = 30) -> int:
        self.proc.send_signal(signal.SIGTERM)
        code = self.proc.wait(timeout)
        self._drain()
        return code

    def _drain(self) -> None:
        for line in self.proc.stdout.read().splitlines():
            self.lines.append(_parse(line))

    def log_text(self) -> str:
        return "\n".join(json.dumps(entry, ensure_ascii=False) for entry in self.lines)


def _parse(line: str) -> dict:
    try:
        return json.loads(line)
    except ValueError:
        return {"event": "<not json>", "raw": line.rstrip("\n")}
