"""A fake systemd for the daemon under test: a Unix datagram socket bound where
$NOTIFY_SOCKET points, read all the time by a thread (as systemd reads it: a queue left
unread fills after ~10 datagrams), and a way to wait for the sd_notify messages."""
from __future__ import annotations

import os
import queue
import socket
import tempfile
import threading
import time


class NotifySocket:
    def __init__(self):
        # A short path: sun_path holds 107 bytes, and pytest's tmp_path can be long.
        self._dir = tempfile.mkdtemp(prefix="lapor-notify-", dir="/tmp")
        self.path = os.path.join(self._dir, "notify")
        self._sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self._sock.bind(self.path)
        self._sock.settimeout(0.2)
        self._incoming: queue.Queue = queue.Queue()
        self._closed = threading.Event()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()
        self.messages: list[dict[str, str]] = []   # every message expect() has looked at, in order

    def _read(self) -> None:
        while not self._closed.is_set():
            try:
                datagram = self._sock.recv(4096)
            except socket.timeout:
                continue
            except OSError:
                return
            self._incoming.put(parse(datagram))

    def env(self, watchdog_s: float | None = None) -> dict[str, str]:
        env = {"NOTIFY_SOCKET": self.path}
        if watchdog_s is not None:
            env["WATCHDOG_USEC"] = str(int(watchdog_s * 1_000_000))
        return env

    def expect(self, key: str, value: str = "1", timeout: float = 30) -> dict[str, str]:
        """The next message with `key=value` (earlier ones are kept in `messages`)."""
        deadline = time.monotonic() + timeout
        while True:
            try:
                message = self._incoming.get(timeout=max(0.0, deadline - time.monotonic()))
            except queue.Empty:
                seen = [m for m in self.messages if "WATCHDOG" not in m][-10:]
                raise AssertionError(f"no {key}={value} within {timeout}s; last messages: {seen}") from None
            self.messages.append(message)
            if message.get(key) == value:
                return message

    def close(self) -> None:
        self._closed.set()
        self._reader.join(5)
        self._sock.close()
        os.unlink(self.path)
        os.rmdir(self._dir)


def parse(datagram: bytes) -> dict[str, str]:
    return dict(line.split("=", 1) for line in datagram.decode().splitlines() if "=" in line)
