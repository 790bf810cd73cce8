"""Telling systemd what the daemon is doing: the sd_notify protocol, and the watchdog.

The protocol is one datagram of `KEY=value` lines to the Unix socket named in
$NOTIFY_SOCKET — a path, or an abstract socket written `@name`. It is a dozen lines, so
it lives here rather than in a dependency (the Python bindings on PyPI are unmaintained
or need libsystemd headers). Outside systemd $NOTIFY_SOCKET is unset and every call is
a no-op, so the daemon runs the same by hand, in tests and under the unit.

The watchdog pings come from a `LoopingCall` on the reactor — not a thread — at half
the interval systemd asks for in $WATCHDOG_USEC: a reactor that is stuck stops pinging
and systemd restarts the service (Restart=on-failure covers a watchdog timeout). The
heartbeat remembers when its pings went out, so that /metrics can show a near miss — a
loop that stalled for most of the interval and recovered — before one becomes a kill.
"""
from __future__ import annotations

import os
import socket
import time
from collections import deque
from typing import Callable, Mapping, NamedTuple

from twisted.internet.task import LoopingCall

from gateway.logging import get_logger

log = get_logger(__name__)


class SystemdNotifier:
    """Sends sd_notify messages to the socket systemd gave us (if it gave us one)."""

    def __init__(self, environ: Mapping[str, str] | None = None):
        env = os.environ if environ is None else environ
        path = env.get("NOTIFY_SOCKET", "")
        # "@name" is an abstract socket: its address starts with a NUL byte on the wire.
        self._address = "\0" + path[1:] if path.startswith("@") else path
        self._watchdog_s = _watchdog_interval(env)
        self._socket: socket.socket | None = None
        self._warned = False

    @property
    def enabled(self) -> bool:
        return bool(self._address)

    @property
    def watchdog_interval_s(self) -> float | None:
        """Seconds systemd waits for a ping before it kills us, or None without a watchdog."""
        return self._watchdog_s

    def notify(self, *lines: str) -> bool:
        """Send `lines` ("READY=1", "STATUS=…") as one message; False if it could not go."""
        if not self._address:
            return False
        try:
            if self._socket is None:
                # Non-blocking: a receiver that does not read (its queue holds ~10 datagrams)
                # must never stop the reactor — a missed ping is better than a stuck daemon.
                self._socket = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM | socket.SOCK_CLOEXEC
                                             | socket.SOCK_NONBLOCK)
            self._socket.sendto("\n".join(lines).encode("utf-8"), self._address)
            return True
        except OSError as error:
            # systemd gone or its queue full: never fatal, but say it once.
            if not self._warned:
                self._warned = True
                log.warning("sd_notify failed", error=str(error))
            return False

    def ready(self, status: str | None = None) -> bool:
        return self.notify("READY=1", *_status(status))

    def reloading(self) -> bool:
        # MONOTONIC_USEC lets systemd ≥ 253 (Type=notify-reload) match READY=1 to this reload.
        return self.notify("RELOADING=1", f"MONOTONIC_USEC={time.monotonic_ns() // 1000}")

    def stopping(self, status: str | None = None) -> bool:
        return self.notify("STOPPING=1", *_status(status))

    def status(self, text: str) -> bool:
        return self.notify(*_status(text))

    def close(self) -> None:
        if self._socket is not None:
            self._socket.close()
            self._socket = None


def _status(text: str | None) -> list[str]:
    # One line only: a newline would start a new KEY=value assignment.
    return [f"STATUS={' '.join(text.split())}"] if text else []


def _watchdog_interval(env: Mapping[str, str]) -> float | None:
    """$WATCHDOG_USEC in seconds when it is meant for this process ($WATCHDOG_PID)."""
    try:
        usec = int(env.get("WATCHDOG_USEC", "0"))
    except ValueError:
        return None
    pid = env.get("WATCHDOG_PID")
    if usec <= 0 or (pid and pid != str(os.getpid())):
        return None
    return usec / 1_000_000


#: how long the longest gap between two watchdog pings is remembered for /metrics: a
#: stall shows for this long after the loop recovered, whatever the scrape interval
GAP_MEMORY_S = 600.0


class WatchdogFigures(NamedTuple):
    """The watchdog as /metrics shows it; all 0 when systemd asked for no watchdog."""

    interval_s: float        # WatchdogSec: systemd kills the service after this long without a ping
    last_ping_age_s: float   # since the last ping systemd took (or since start, before the first)
    longest_gap_s: float     # the longest time between two pings in the last GAP_MEMORY_S


class Heartbeat:
    """WATCHDOG=1 every half watchdog interval, and STATUS= whenever the status text changes.

    Without a watchdog it still refreshes the status every `status_interval_s`, so that
    `systemctl status` shows current counts and bind state."""

    def __init__(self, notifier: SystemdNotifier, reactor, status_text: Callable[[], str],
                 status_interval_s: float = 5.0):
        self._notifier = notifier
        self._status_text = status_text
        self._last_status: str | None = None
        watchdog = notifier.watchdog_interval_s
        self._interval = watchdog / 2 if watchdog else status_interval_s
        self._watchdog_s = watchdog
        self._watchdog = watchdog is not None
        self._clock = reactor
        self._loop = LoopingCall(self._beat)
        self._loop.clock = reactor
        self._last_ping = reactor.seconds()   # systemd's timer runs from the start
        self._gaps: deque[tuple[float, float]] = deque()   # (when, gap before it)

    def start(self) -> None:
        if self._notifier.enabled and not self._loop.running:
            self._loop.start(self._interval, now=True)

    def _beat(self) -> None:
        lines = ["WATCHDOG=1"] if self._watchdog else []
        try:
            text = self._status_text()
        except Exception as error:  # noqa: BLE001 - a status bug must not stop the watchdog
            text = f"status unavailable: {type(error).__name__}"
        if text != self._last_status:
            self._last_status = text
            lines += _status(text)
        if lines and self._notifier.notify(*lines) and self._watchdog:
            self._pinged(self._clock.seconds())

    def _pinged(self, now: float) -> None:
        self._gaps.append((now, now - self._last_ping))
        self._last_ping = now
        self._forget(now)

    def _forget(self, now: float) -> None:
        while self._gaps and self._gaps[0][0] < now - GAP_MEMORY_S:
            self._gaps.popleft()

    def watchdog(self) -> WatchdogFigures:
        """How close the pings come to systemd's limit, now (for /metrics)."""
        if not self._watchdog:
            return WatchdogFigures(0.0, 0.0, 0.0)
        now = self._clock.seconds()
        self._forget(now)
        return WatchdogFigures(self._watchdog_s, now - self._last_ping,
                               max((gap for _, gap in self._gaps), default=0.0))

    def stop(self) -> None:
        if self._loop.running:
            self._loop.stop()
