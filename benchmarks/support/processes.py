"""What the benchmarks share about processes: start them in a group that is always
killed at the end, read their JSON lines with a deadline, and read their CPU time and
peak memory from /proc.

Why a group: a benchmark runs an SMSC, a gateway or Kannel, fakes and helpers at
once; whatever fails (a timeout, an assertion, Ctrl-C, SIGTERM), every one of them
must be gone when the benchmark exits, and no wait may be unbounded.
"""
from __future__ import annotations

import json
import os
import queue
import signal
import socket
import subprocess
import threading
import time
from pathlib import Path


class BenchError(RuntimeError):
    """The benchmark could not measure what it set out to (exit non-zero)."""


def peak_rss_mb(pid: int) -> float:
    """VmHWM: the most resident memory the process has had, in MB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def cpu_seconds(pid: int) -> float:
    """User + system CPU time the process has used so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def free_port() -> int:
    """A port free on 127.0.0.1 now (for programs that cannot be told to pick one)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_listening(port: int, timeout: float, proc: subprocess.Popen | None = None) -> None:
    """Until something accepts on 127.0.0.1:`port` (BenchError after `timeout`)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise BenchError(f"{proc.args[0]} exited ({proc.returncode}) before listening on {port}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)   # polling a port another program opens: nothing to wait on
    raise BenchError(f"nothing listening on 127.0.0.1:{port} after {timeout} s")


class Lines:
    """The lines a process prints, read by a thread so that every wait has a deadline."""

    def __init__(self, proc: subprocess.Popen, name: str, copy_to=None):
        self.proc, self.name, self.copy_to = proc, name, copy_to
        self._lines: queue.Queue = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        for line in self.proc.stdout:
            if self.copy_to is not None:   # the process's log keeps its output too
                self.copy_to.write(line)
                self.copy_to.flush()
            self._lines.put(line.strip())
        self._lines.put(None)   # end of output

    def next(self, timeout: float, what: str = "a line") -> str:
        """The next line; BenchError on a timeout or when the process ends first."""
        try:
            line = self._lines.get(timeout=max(timeout, 0.001))
        except queue.Empty:
            raise BenchError(f"{self.name}: no {what} within {timeout:.0f} s") from None
        if line is None:
            raise BenchError(f"{self.name} ended (exit {self.proc.wait()}) before {what}")
        return line

    def expect(self, event: str, timeout: float) -> dict:
        """The next JSON line whose "event" is `event` (other lines are skipped)."""
        deadline = time.monotonic() + timeout
        while True:
            line = self.next(deadline - time.monotonic(), repr(event))
            if line.startswith("{"):
                try:
                    record = json.loads(line)
                except ValueError:
                    continue
                if record.get("event") == event:
                    return record


class ProcessGroup:
    """Processes started for one benchmark; leaving the `with` block ends them all:
    SIGTERM, up to `grace` seconds to go, then SIGKILL (each in its own session, so a
    program's own children go with it)."""

    def __init__(self, folder: Path, grace: float = 10.0):
        self.folder, self.grace = folder, grace
        self.procs: list[tuple[str, subprocess.Popen]] = []

    def __enter__(self) -> "ProcessGroup":
        self._previous = signal.signal(signal.SIGTERM, _exit_on_sigterm)
        return self

    def __exit__(self, *exc) -> None:
        try:
            self.stop_all()
        finally:
            signal.signal(signal.SIGTERM, self._previous)

    def start(self, name: str, argv: list[str], *, env: dict | None = None, cwd: Path | None = None,
              read_stdout: bool = False) -> subprocess.Popen:
        """Start `argv`; its stderr (and stdout, unless `read_stdout`) go to
        `folder/name.log`. With `read_stdout`, `proc.lines` reads its output (`Lines`)."""
        log = open(self.folder / f"{name}.log", "w")
        proc = subprocess.Popen(argv, env=env, cwd=cwd, stdin=subprocess.DEVNULL,
                                stdout=subprocess.PIPE if read_stdout else log, stderr=log,
                                text=True, start_new_session=True)
        self.procs.append((name, proc))
        if read_stdout:
            proc.lines = Lines(proc, name, copy_to=log)
        return proc

    def wait_for_process(self, name: str, timeout: float) -> subprocess.Popen:
        """The process started as `name`, once it is (for a profiler to attach)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = [proc for started, proc in self.procs if started == name]
            if found:
                return found[0]
            time.sleep(0.05)
        raise BenchError(f"{name} did not start within {timeout:g} s")

    def stop(self, proc: subprocess.Popen, signal_number: int = signal.SIGTERM) -> int | None:
        """End one process: `signal_number`, then SIGKILL after the grace time."""
        if proc.poll() is None:
            try:
                os.killpg(proc.pid, signal_number)
            except ProcessLookupError:
                pass
            try:
                proc.wait(self.grace)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(self.grace)
        return proc.returncode

    def stop_all(self) -> None:
        for _name, proc in reversed(self.procs):
            try:
                self.stop(proc)
            except (ProcessLookupError, subprocess.TimeoutExpired):
                pass


def _exit_on_sigterm(signum, frame):
    raise SystemExit(128 + signum)   # unwinds through the `with`: the group is stopped
