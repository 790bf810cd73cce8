"""Issue 14: a process a test starts does not outlive the test — the daemon, and anything
it started in turn (its process group) — whether the test passed or failed."""
import subprocess
import sys

from tests.support import STARTED, kill_started, spawn, wait_until


def test_kill_started_takes_the_whole_group():
    parent = spawn([sys.executable, "-c", "import subprocess, sys, time\n"
                    "child = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(600)'])\n"
                    "print(child.pid, flush=True)\ntime.sleep(600)"], stdout=subprocess.PIPE, text=True)
    child = int(parent.stdout.readline())
    assert parent in STARTED
    assert kill_started() == [parent.pid]
    assert parent.poll() is not None and STARTED == []
    # SIGKILL reaches the group at once but lands asynchronously: the child is dead (or a
    # zombie, its parent gone) within moments
    wait_until(lambda: _dead(child), 10, "the child killed with its group")


def _dead(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] == "Z"
    except FileNotFoundError:
        return True
