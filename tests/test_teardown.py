"""Issue 14: a process a test starts does not outlive the test — the daemon, and anything
it started in turn (its process group) — whether the test passed or failed."""
import os
import subprocess
import sys

from tests.support import STARTED, kill_started, spawn


def test_kill_started_takes_the_whole_group():
    parent = spawn([sys.executable, "-c", "import subprocess, sys, time\n"
                    "child = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(600)'])\n"
                    "print(child.pid, flush=True)\ntime.sleep(600)"], stdout=subprocess.PIPE, text=True)
    child = int(parent.stdout.readline())
    assert parent in STARTED
    assert kill_started() == [parent.pid]
    assert parent.poll() is not None and STARTED == []
    try:
        os.kill(child, 0)
    except ProcessLookupError:
        return
    # a zombie is dead too: its parent is gone and init reaps it
    with open(f"/proc/{child}/stat") as stat:
        assert stat.read().split()[2] == "Z"
