"""Kannel as the peer of benchmarks/kannel_peer: its configuration and one measured run
against the simulator's load mode.

Kannel (Debian's package) runs as bearerbox, which holds the SMPP bind and the message
store, and smsbox, which calls the application over HTTP for each MO (sms-service
get-url; the answer is the reply SMS) and for each delivery report (dlr-url). The
configuration is what an operator would write for the gateway's job, matched to the
gateway's settings where Kannel has the same knob:

- one transceiver bind to the simulator, max-pending-submits 100 (the gateway's
  window 100); the SMSC keeps 100 deliver_sm outstanding to either;
- store-type file (Kannel's durable queue, as the gateway's SQLite), internal DLR
  storage;
- dlr-mask 3 (delivered or failed), so each reply asks for a receipt and Kannel
  matches it to the reply and calls dlr-url; message ids are compared as strings
  (msg-id-type unset), which is what the simulator's ids need;
- log-level 1 (info) in files, with an access log (one line per message, as an
  operator keeps), like the gateway's info logs; nothing on the console;
- accept-x-kannel-headers: without it smsbox 1.4.5 logs a warning for every reply
  ("Tried to set Coding field, denied"), which no operator would keep.
"""
from __future__ import annotations

import json
import time
import urllib.request
from pathlib import Path

from support.load_runs import PASSWORD, SYSTEM_ID, python_env, start_load_smsc, summary_of
from support.processes import (BenchError, ProcessGroup, cpu_seconds, free_port, peak_rss_mb,
                                wait_listening)

BEARERBOX, SMSBOX = "/usr/sbin/bearerbox", "/usr/sbin/smsbox"
APP = Path(__file__).resolve().parent / "kannel_app.py"
CONSOLE_LEVEL = "4"   # -v 4: panics only on stderr; the info log goes to the files


def kannel_config(folder: Path, smsc_port: int, app_port: int, window: int) -> tuple[Path, int, int]:
    """kannel.conf in `folder`; returns (path, bearerbox's admin port, the port it
    serves smsbox on)."""
    admin_port, smsbox_port = free_port(), free_port()
    app = f"http://127.0.0.1:{app_port}"
    config = folder / "kannel.conf"
    config.write_text(f"""
group = core
admin-port = {admin_port}
admin-interface = 127.0.0.1
admin-password = bench
admin-allow-ip = "127.0.0.1"
smsbox-port = {smsbox_port}
smsbox-interface = 127.0.0.1
box-allow-ip = "127.0.0.1"
log-file = "{folder}/bearerbox-file.log"
log-level = 1
access-log = "{folder}/access.log"
store-type = file
store-location = "{folder}/kannel.store"
dlr-storage = internal

group = smsc
smsc = smpp
smsc-id = sim
host = 127.0.0.1
port = {smsc_port}
transceiver-mode = true
smsc-username = "{SYSTEM_ID}"
smsc-password = "{PASSWORD}"
system-type = ""
interface-version = 34
max-pending-submits = {window}
enquire-link-interval = 30
reconnect-delay = 1

group = smsbox
bearerbox-host = 127.0.0.1
bearerbox-port = {smsbox_port}
log-file = "{folder}/smsbox-file.log"
log-level = 1

group = sms-service
keyword = default
catch-all = true
get-url = "{app}/mo?from=%p&to=%P&text=%a"
max-messages = 1
omit-empty = true
dlr-mask = 3
dlr-url = "{app}/dlr?to=%p&status=%d"
accept-x-kannel-headers = true
""")
    return config, admin_port, smsbox_port


def start_app(group: ProcessGroup) -> int:
    import sys
    proc = group.start("kannel-app", [sys.executable, str(APP)], env=python_env(), read_stdout=True)
    return proc.lines.expect("kannel-app listening", 30)["port"]


def app_counts_when(app_port: int, condition, timeout: float) -> dict:
    """The app's counts once `condition(counts)` holds, or as they are after `timeout`
    (smsbox calls dlr-url after bearerbox acknowledged the receipt: a little later)."""
    deadline = time.monotonic() + timeout
    while True:
        with urllib.request.urlopen(f"http://127.0.0.1:{app_port}/stats", timeout=10) as answer:
            counts = json.loads(answer.read())
        if condition(counts) or time.monotonic() > deadline:
            return counts
        time.sleep(0.1)   # polling Kannel's progress through the app: nothing to wait on


def wait_smsbox_connected(admin_port: int, timeout: float) -> None:
    """Until bearerbox's status page lists a connected smsbox: MOs that come before
    would wait in bearerbox's queue ("smsbox_list empty!") and flatter its rate."""
    deadline = time.monotonic() + timeout
    url = f"http://127.0.0.1:{admin_port}/status.txt?password=bench"
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=5) as answer:
                if "smsbox:" in answer.read().decode("latin-1"):
                    return
        except OSError:
            pass
        time.sleep(0.1)   # polling another program's status page: nothing to wait on
    raise BenchError(f"no smsbox connected to bearerbox within {timeout} s")


def run_kannel(group: ProcessGroup, folder: Path, count: int, window: int, timeout: float) -> dict:
    """One Kannel run of `count` MOs (every cycle waited for): the simulator's summary
    plus `rss_mb` (bearerbox + smsbox, each one's VmHWM), `cpu_s` (theirs) and
    `smsc_cpu_s` (the simulator's, start-up included), and the app's counts.

    Kannel starts first and is fully up (smsbox connected) before the simulator
    listens; bearerbox binds at its next reconnect (reconnect-delay 1 s), and the
    simulator's clock starts at its first deliver_sm."""
    folder.mkdir(parents=True, exist_ok=True)
    app_port = start_app(group)
    smsc_port = free_port()
    config, admin_port, smsbox_port = kannel_config(folder, smsc_port, app_port, window)
    bearerbox = group.start("bearerbox", [BEARERBOX, "-v", CONSOLE_LEVEL, str(config)], cwd=folder)
    wait_listening(smsbox_port, 30, bearerbox)
    smsbox = group.start("smsbox", [SMSBOX, "-v", CONSOLE_LEVEL, str(config)], cwd=folder)
    wait_smsbox_connected(admin_port, 30)
    smsc, _port = start_load_smsc(group, "kannel-smsc", count, window=window, wait_cycles=True,
                                  duration=timeout, port=smsc_port)
    summary = summary_of(smsc, timeout + 30)
    rss = {"bearerbox": peak_rss_mb(bearerbox.pid), "smsbox": peak_rss_mb(smsbox.pid)}
    summary["rss_mb"] = rss["bearerbox"] + rss["smsbox"]
    summary["rss_parts_mb"] = rss
    summary["cpu_s"] = cpu_seconds(bearerbox.pid) + cpu_seconds(smsbox.pid)
    summary["smsc_cpu_s"] = cpu_seconds(smsc.pid)
    summary["app"] = app_counts_when(app_port, lambda c: c["dlr"] >= count, 30)
    for proc in (smsbox, bearerbox, smsc):
        group.stop(proc)
    return summary
