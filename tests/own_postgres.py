"""A PostgreSQL server of a test's own, for drills that restart it (the suite's shared
server must not go down under other tests): initdb in a temporary folder, a free port
on 127.0.0.1, stopped and removed afterwards. Run as the postgres user when we are root
(PostgreSQL refuses root), as scripts/test-postgres-setup does. benchmarks/instances.py
uses it too, with fsync on (as in production) unless told otherwise."""
from __future__ import annotations

import contextlib
import glob
import os
import shutil
import socket
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path


def _bin() -> Path:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=lambda p: int(Path(p).parent.name))
    assert found, "PostgreSQL is not installed: scripts/test installs it"
    return Path(found[-1])


def _as_postgres(args: list) -> list:
    return ["runuser", "-u", "postgres", "--", *map(str, args)] if os.getuid() == 0 else list(map(str, args))


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class OwnPostgres:
    data: Path
    port: int
    fsync: bool = False

    @property
    def url(self) -> str:
        return f"postgresql://lapor@127.0.0.1:{self.port}/postgres"

    def pg_ctl(self, *args: str) -> None:
        subprocess.run(_as_postgres([_bin() / "pg_ctl", "-D", self.data, *args]), check=True,
                       capture_output=True, timeout=60)

    def start(self) -> None:
        self.pg_ctl("-l", str(self.data / "server.log"), "-w", "-o",
                    f"-c listen_addresses=127.0.0.1 -p {self.port} -k {self.data}"
                    f" -c fsync={'on' if self.fsync else 'off'}", "start")

    def restart(self) -> None:
        """`pg_ctl restart -m fast`: every connection cut, the server back when it returns."""
        # -l again: without it the new server writes to pg_ctl's output, which we wait on
        self.pg_ctl("-l", str(self.data / "server.log"), "-w", "-m", "fast", "restart")


@contextlib.contextmanager
def own_postgres(fsync: bool = False):
    data = Path(tempfile.mkdtemp(prefix="lapor-drill-pg-"))
    if os.getuid() == 0:
        shutil.chown(data, "postgres", "postgres")
    server = OwnPostgres(data, _free_port(), fsync)
    try:
        subprocess.run(_as_postgres([_bin() / "initdb", "-D", data, "-U", "lapor", "--auth=trust", "-E", "UTF8",
                                     "--no-sync"]), check=True, capture_output=True, timeout=120)
        server.start()
        yield server
    finally:
        with contextlib.suppress(subprocess.SubprocessError):
            server.pg_ctl("-m", "immediate", "stop")
        shutil.rmtree(data, ignore_errors=True)
