"""Helpers shared by the tests: paths, settings for a temporary state directory, the
CLI and the daemon as real subprocesses."""
from __future__ import annotations

import atexit
import contextlib
import dataclasses
import io
import json
import os
import queue
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

from gateway.config import load_config

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
MAPPING = REPO / "config" / "regions.yaml"


def settings_for(tmp_path: Path, database_url: str = "", **sections):
    """The shipped config with the state in `tmp_path`; `sections` replace whole fields."""
    base = load_config(REPO / "config" / "gateway.toml")
    changes = {
        "gateway": dataclasses.replace(base.gateway, state_directory=tmp_path),
        "database": dataclasses.replace(base.database, url=database_url),
    }
    changes.update(sections)
    return dataclasses.replace(base, **changes)


#: every process a test started through `spawn`: killed, with its group, after each test
#: (tests/conftest.py) whatever the test did — a failed test must not leave a daemon
#: holding ports and CPU for the tests after it
STARTED: list[subprocess.Popen] = []


@atexit.register
def _at_exit() -> None:
    kill_started()   # a worker interrupted between tests leaves nothing running either


def spawn(args, **options) -> subprocess.Popen:
    """`subprocess.Popen(args, **options)` in a process group of its own, remembered so
    that it is killed after the test."""
    proc = subprocess.Popen(args, start_new_session=True, **options)
    STARTED.append(proc)
    return proc


def kill_started() -> list[int]:
    """Kill every process `spawn` started that still runs (and its group); their pids."""
    killed = []
    while STARTED:
        proc = STARTED.pop()
        if proc.poll() is None:
            killed.append(proc.pid)
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        proc.wait(10)
    return killed


def cli(*args, env=None, input=None, timeout=60) -> subprocess.CompletedProcess:
    """Run `lapor-gateway ARGS` as a real process."""
    full_env = {**os.environ, **(env or {})}
    return subprocess.run([sys.executable, "-m", "gateway", *map(str, args)], cwd=REPO, env=full_env,
                          input=input, capture_output=True, text=True, timeout=timeout)


def cli_in_process(*args) -> subprocess.CompletedProcess:
    """`lapor-gateway ARGS` through the same entry point (`gateway.cli.main`) in this
    process, its exit status and output as `cli` gives them: for tests that make many
    calls on one database, where a real process would cost a second each."""
    from gateway.cli import main
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = main([str(a) for a in args])
        except SystemExit as exit:   # argparse refusing the arguments
            code = exit.code
    return subprocess.CompletedProcess(["lapor-gateway", *map(str, args)], code, out.getvalue(),
                                       err.getvalue())


def write_config(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def daemon_config(tmp_path: Path, sections: str = "", mapping: Path = MAPPING, logging: str = "") -> Path:
    """A config for `lapor-gateway run` in a test: state in `tmp_path`, JSON logs the
    `Daemon` helper reads (more `[logging]` keys in `logging`), the given region mapping,
    and `sections` (more TOML)."""
    return write_config(tmp_path / "gateway.toml", f"""
[gateway]
state_directory = "{tmp_path / 'state'}"
[logging]
format = "json"
{logging}
[parser]
mapping = "{mapping}"
{sections}""")


def simulator_process(tmp_path: Path, mos: list[dict], *options: str):
    """`lapor-gateway smsc-sim` as a subprocess delivering `mos` ({"from", "text"}) and
    logging each acknowledged MO to tmp_path/acks.jsonl and each accepted submit_sm to
    tmp_path/submits.jsonl; `options` are more smsc-sim flags. Returns (process, port)."""
    burst = tmp_path / "burst.jsonl"
    burst.write_text("".join(json.dumps(mo) + "\n" for mo in mos), encoding="utf-8")
    sim = spawn(
        [sys.executable, "-m", "gateway", "smsc-sim", "--port", "0", "--mo-file", str(burst),
         "--ack-log", str(tmp_path / "acks.jsonl"), "--submit-log", str(tmp_path / "submits.jsonl"),
         "--redelivery-delay", "0.5", "--window", "50", "--receipt-delay", "0",
         "--status-interval", "0", *options],
        cwd=REPO, stdout=subprocess.PIPE, text=True)
    listening = json.loads(sim.stdout.readline())
    assert listening["event"] == "smsc-sim listening"
    return sim, listening["port"]


class Daemon:
    """`lapor-gateway run` as a subprocess; a thread reads its JSON log lines as they come
    (a full pipe would block the daemon), and tests wait for the events they expect."""

    def __init__(self, config: Path, env=None):
        self.config = config
        self.env = {**os.environ, **(env or {})}
        self.proc: subprocess.Popen | None = None
        self.lines: list[dict] = []
        self._incoming: queue.Queue = queue.Queue()

    def start(self, until: str = "gateway ready", timeout: float = 30) -> "Daemon":
        self.proc = spawn([sys.executable, "-m", "gateway", "run", "--config", str(self.config)],
                                     cwd=REPO, env=self.env, stdout=subprocess.PIPE,
                                     stderr=subprocess.STDOUT, text=True, bufsize=1)
        threading.Thread(target=self._read, daemon=True).start()
        self.wait_for(until, timeout)
        return self

    def _read(self) -> None:
        for line in self.proc.stdout:
            self._incoming.put(_parse(line))
        self._incoming.put(None)  # end of output

    def wait_for(self, event: str, timeout: float = 30) -> dict:
        """The next log line whose event is `event`; fail after `timeout` seconds."""
        deadline = time.monotonic() + timeout
        while True:
            try:
                entry = self._incoming.get(timeout=max(0.0, deadline - time.monotonic()))
            except queue.Empty:
                raise AssertionError(f"no {event!r} within {timeout}s:\n{self.log_text()}") from None
            if entry is None:
                self._incoming.put(None)
                raise AssertionError(f"daemon exited ({self.proc.wait()}) before {event!r}:\n"
                                     f"{self.log_text()}")
            self.lines.append(entry)
            if entry.get("event") == event:
                return entry

    def wait_for_count(self, events: set[str], count: int, timeout: float = 60) -> None:
        """Until `count` more log lines whose event is one of `events` have come."""
        deadline = time.monotonic() + timeout
        seen = 0
        while seen < count:
            try:
                entry = self._incoming.get(timeout=max(0.01, deadline - time.monotonic()))
            except queue.Empty:
                entry = {}      # out of time
            if not entry:       # out of time, or the daemon's output ended
                if entry is None:
                    self._incoming.put(None)   # the end, kept for _drain
                raise AssertionError(f"only {seen} of {count} {sorted(events)} within {timeout}s:\n"
                                     f"{self.log_text()[-3000:]}")
            self.lines.append(entry)
            seen += entry.get("event") in events

    def read_so_far(self) -> list[dict]:
        """Every line logged until now (kept in `lines`), without waiting: for a report."""
        while True:
            try:
                entry = self._incoming.get_nowait()
            except queue.Empty:
                return self.lines
            if entry is None:
                self._incoming.put(None)   # the end, kept for _drain
                return self.lines
            self.lines.append(entry)

    def kill_if_running(self) -> None:
        """For a test's `finally`: a daemon a failed assertion left running is killed, so
        it cannot hold ports and CPU for the tests after it."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)

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
        while (entry := self._incoming.get(timeout=10)) is not None:
            self.lines.append(entry)
        self._incoming.put(None)

    def log_text(self) -> str:
        return "\n".join(json.dumps(entry, ensure_ascii=False) for entry in self.lines)


def _parse(line: str) -> dict:
    try:
        return json.loads(line)
    except ValueError:
        return {"event": "<not json>", "raw": line.rstrip("\n")}


def wait_until(condition, timeout: float, what: str, interval: float = 0.2):
    """Poll `condition()` until it returns a truthy value (returned), at most `timeout`
    seconds: for state another process writes (a database, a log file), where there is
    no event to wait on. Fails naming `what`."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {timeout}s: {what}")
        time.sleep(interval)


def stop_all(daemons: list["Daemon"], *processes: subprocess.Popen) -> None:
    """For a drill's `finally`: every daemon still running is killed, then each helper
    process (the SMSC simulator, the fake APIs) — whether the drill passed or failed."""
    for daemon in daemons:
        daemon.kill_if_running()
    for process in processes:
        process.kill()
        process.wait(10)
