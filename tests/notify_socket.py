"""A fake systemd for the daemon under test: a Unix datagram socket bound where
$NOTIFY_SOCKET points, and a way to wait for the sd_notify messages it receives."""
from __future__ import annotations

import os
import select
import socket
import tempfile
import time


class NotifySocket:
    def __init__(self):
        # A short path: sun_path holds 107 bytes, and pytest's tmp_path can be long.
        self._dir = tempfile.mkdtemp(prefix="lapor-notify-", dir="/tmp")
        self.path = os.path.join(self._dir, "notify")
        self._sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self._sock.bind(self.path)
        self.messages: list[dict[str, str]] = []   # every message seen, in order

    def env(self, watchdog_s: float | None = None) -> dict[str, str]:
        env = {"NOTIFY_SOCKET": self.path}
        if watchdog_s is not None:
            env["WATCHDOG_USEC"] = str(int(watchdog_s * 1_000_000))
        return env

    def expect(self, key: str, value: str = "1", timeout: float = 30) -> dict[str, str]:
        """The next message with `key=value` (earlier ones are kept in `messages`)."""
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            readable, _, _ = select.select([self._sock], [], [], max(0.0, left))
            if not readable:
                seen = [m for m in self.messages if "WATCHDOG" not in m][-10:]
                raise AssertionError(f"no {key}={value} within {timeout}s; last messages: {seen}")
            message = parse(self._sock.recv(4096))
            self.messages.append(message)
            if message.get(key) == value:
                return message

    def close(self) -> None:
        self._sock.close()
        os.unlink(self.path)
        os.rmdir(self._dir)


def parse(datagram: bytes) -> dict[str, str]:
    return dict(line.split("=", 1) for line in datagram.decode().splitlines() if "=" in line)
