"""One daemon per SQLite database: a second `run` on the same state directory is refused
at once (exit 75, naming the holder's PID and host); a SIGKILLed holder leaves no stale
lock behind; PostgreSQL is not locked."""
import socket
from pathlib import Path

import pytest

from gateway.state_lock import EX_TEMPFAIL, StateLocked, lock_store, sqlite_path
from tests.support import Daemon, cli, daemon_config

QUIET = "[http]\nport = 0\n"  # ops server on any free port: parallel tests must not collide


def test_a_second_daemon_on_the_same_state_is_refused_at_once_naming_the_first(tmp_path):
    config = daemon_config(tmp_path, QUIET)
    first = Daemon(config).start()
    try:
        # At once: a lock that waited for the holder would run into the timeout (the first
        # one runs on); and refused before the database is opened. (Not a wall-clock bound:
        # the interpreter's start alone takes seconds on a busy machine.)
        second = cli("run", "--config", config, timeout=30)
        output = second.stdout + second.stderr
        assert second.returncode == EX_TEMPFAIL == 75, output
        assert "database open" not in output
        assert f"pid {first.proc.pid} on {socket.gethostname()}" in output
        assert "gateway not started: the database is in use" in output
        assert first.proc.poll() is None, "the first one runs on"
    finally:
        assert first.terminate() == 0


def test_a_killed_holder_releases_the_lock_and_a_new_daemon_starts(tmp_path):
    config = daemon_config(tmp_path, QUIET)
    first = Daemon(config).start()
    first.kill()  # SIGKILL: no clean-up code runs at all
    second = Daemon(config).start()
    try:
        lock_file = tmp_path / "state" / "gateway.db.lock"
        assert lock_file.read_text() == f"pid {second.proc.pid} on {socket.gethostname()}\n"
    finally:
        assert second.terminate() == 0
    # A clean stop releases it too.
    lock_store(f"sqlite:///{tmp_path / 'state' / 'gateway.db'}").release()


def test_the_lock_is_per_database_and_released_with_its_holder(tmp_path):
    url = f"sqlite:///{tmp_path / 'gateway.db'}"
    held = lock_store(url)
    with pytest.raises(StateLocked) as refused:
        lock_store(url)
    assert refused.value.path == tmp_path / "gateway.db.lock"
    assert refused.value.holder.startswith("pid ")
    other = lock_store(f"sqlite:///{tmp_path / 'other.db'}")  # another database: its own lock
    held.release()
    lock_store(url).release()
    other.release()


@pytest.mark.parametrize("url, path", [
    ("postgresql+psycopg://gw@db/lapor", None),
    ("sqlite:///:memory:", None),
    ("sqlite:////var/lib/lapor-gateway/gateway.db", "/var/lib/lapor-gateway/gateway.db"),
])
def test_only_sqlite_files_are_locked(url, path):
    assert sqlite_path(url) == (None if path is None else Path(path))
    if path is None:
        assert lock_store(url) is None
