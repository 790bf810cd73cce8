"""One daemon per SQLite database: an OS file lock beside it, held for the process's life.

Why: two gateways on one SQLite file would both resume the same unfinished work, forward
complaints twice and fight over the single writer. Why a lock (`flock`) and not a PID
file: the kernel drops the lock when the holder dies in any way (`kill -9`, OOM), so there
is never a stale file to clean up by hand. The holder's PID and host are written into the
file after the lock is taken, only so that the refused second process can name it.

PostgreSQL deployments are not locked: several instances on one database are meant to
become possible (work claimed with `FOR UPDATE SKIP LOCKED`).
"""
from __future__ import annotations

import fcntl
import os
import socket
from pathlib import Path

#: exit status when another process holds the lock: EX_TEMPFAIL from sysexits.h — the
#: condition clears by itself when the holder stops, so systemd's Restart=on-failure may
#: try again (78, EX_CONFIG, would be excluded by RestartPreventExitStatus=78)
EX_TEMPFAIL = 75


class StateLocked(Exception):
    """Another process holds the database's lock; the message names it."""

    exit_status = EX_TEMPFAIL

    def __init__(self, path: Path, holder: str):
        super().__init__(f"another lapor-gateway ({holder}) is running on this database: {path} is"
                         f" locked; stop that one first, or give this one its own state directory")
        self.path = path
        self.holder = holder


class StateLock:
    """The held lock: an open file descriptor; closing it (or dying) releases the lock."""

    def __init__(self, path: Path, fd: int):
        self.path = path
        self._fd = fd

    def release(self) -> None:
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1


def sqlite_path(database_url: str) -> Path | None:
    """The database file of a SQLite database URL; None for other databases and in-memory ones."""
    if not database_url.startswith("sqlite:///"):
        return None
    path = database_url[len("sqlite:///"):].split("?", 1)[0]
    return None if path in ("", ":memory:") else Path(path)


def lock_store(database_url: str) -> StateLock | None:
    """Take the lock of the SQLite database at `database_url` (None for PostgreSQL).

    Raises StateLocked at once, without waiting, when another process holds it.
    """
    database = sqlite_path(database_url)
    if database is None:
        return None
    path = database.with_name(database.name + ".lock")
    path.parent.mkdir(parents=True, exist_ok=True)
    # No O_TRUNC: the holder's PID must stay readable until we own the lock. Python's
    # descriptors are not inherited by children, so no subprocess can keep the lock alive.
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        holder = _read_holder(fd)
        os.close(fd)
        raise StateLocked(path, holder) from None
    os.ftruncate(fd, 0)
    os.pwrite(fd, f"pid {os.getpid()} on {socket.gethostname()}\n".encode(), 0)
    return StateLock(path, fd)


def _read_holder(fd: int) -> str:
    text = os.pread(fd, 200, 0).decode("utf-8", "replace").strip()
    # Empty only in the instant between the holder's flock and its write.
    return text or "PID not written yet"
