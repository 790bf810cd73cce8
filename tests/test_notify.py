"""sd_notify details the daemon tests do not reach: abstract sockets, $WATCHDOG_PID, no
socket at all, a status text that cannot inject a second assignment, and the watchdog
figures /metrics shows (the heartbeat on a fake clock, its pings to a real socket)."""
import os
import socket
import uuid

from twisted.internet.task import Clock

from gateway.notify import GAP_MEMORY_S, Heartbeat, SystemdNotifier, WatchdogFigures
from tests.notify_socket import NotifySocket, parse


def test_abstract_socket_and_one_line_status():
    name = f"lapor-test-{uuid.uuid4().hex}"
    server = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    server.bind("\0" + name)
    server.settimeout(5)
    try:
        notifier = SystemdNotifier({"NOTIFY_SOCKET": "@" + name})
        assert notifier.ready("sms 1/1 bound\nREADY=0")
        assert parse(server.recv(4096)) == {"READY": "1", "STATUS": "sms 1/1 bound READY=0"}
        assert notifier.reloading()
        message = parse(server.recv(4096))
        assert message["RELOADING"] == "1" and int(message["MONOTONIC_USEC"]) > 0
    finally:
        server.close()


def test_watchdog_interval_only_for_this_process():
    assert SystemdNotifier({"WATCHDOG_USEC": "30000000"}).watchdog_interval_s == 30.0
    mine = {"WATCHDOG_USEC": "500000", "WATCHDOG_PID": str(os.getpid())}
    assert SystemdNotifier(mine).watchdog_interval_s == 0.5
    assert SystemdNotifier({**mine, "WATCHDOG_PID": "1"}).watchdog_interval_s is None
    assert SystemdNotifier({"WATCHDOG_USEC": "junk"}).watchdog_interval_s is None


def test_without_a_socket_nothing_is_sent():
    notifier = SystemdNotifier({})
    assert not notifier.enabled and notifier.ready() is False


def test_a_vanished_socket_is_not_fatal(tmp_path):
    assert SystemdNotifier({"NOTIFY_SOCKET": str(tmp_path / "gone")}).ready() is False


def test_a_receiver_that_does_not_read_never_blocks_the_daemon(tmp_path):
    """A full notify queue (~10 datagrams when nobody reads) drops the message rather than
    stop the reactor — the cause of a daemon found stuck in sendto, orphaned by its test."""
    import socket
    import threading
    path = str(tmp_path / "n")
    unread = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    unread.bind(path)
    try:
        notifier = SystemdNotifier({"NOTIFY_SOCKET": path})
        outcomes = []
        sender = threading.Thread(target=lambda: outcomes.extend(notifier.notify("WATCHDOG=1")
                                                                 for _ in range(200)), daemon=True)
        sender.start()
        sender.join(10)
        assert not sender.is_alive(), "notify blocked on a full queue"
        assert outcomes[0] is True and outcomes[-1] is False   # the first went, the overflow is dropped
        notifier.close()
    finally:
        unread.close()


def heartbeat(environ: dict, clock: Clock) -> Heartbeat:
    return Heartbeat(SystemdNotifier(environ), clock, lambda: "up")


def test_a_stall_shows_as_the_longest_ping_gap_for_ten_minutes():
    systemd, clock = NotifySocket(), Clock()
    try:
        beat = heartbeat(systemd.env(watchdog_s=30), clock)
        beat.start()                              # a ping at once, then every 15 s
        clock.pump([15] * 4)
        assert beat.watchdog() == WatchdogFigures(30.0, 0.0, 15.0)
        clock.advance(5)
        assert beat.watchdog().last_ping_age_s == 5.0
        clock.advance(19)                         # the loop stalled: the ping is 9 s late
        assert beat.watchdog() == WatchdogFigures(30.0, 0.0, 24.0)
        for _ in range(6):                        # each ping so far reached systemd
            systemd.expect("WATCHDOG")
        for _ in range(int(GAP_MEMORY_S // 15) + 1):   # over ten minutes of pings on time
            clock.advance(15)
            systemd.expect("WATCHDOG")            # one at a time: the fake's queue never fills
        assert beat.watchdog().longest_gap_s == 15.0
        beat.stop()
    finally:
        systemd.close()


def test_pings_that_do_not_reach_systemd_age():
    systemd, clock = NotifySocket(), Clock()
    beat = heartbeat(systemd.env(watchdog_s=30), clock)
    beat.start()
    clock.advance(15)
    systemd.close()                               # systemd gone: the sends fail
    clock.pump([15, 15])
    assert beat.watchdog() == WatchdogFigures(30.0, 30.0, 15.0)
    beat.stop()


def test_without_a_watchdog_the_figures_are_zero():
    systemd, clock = NotifySocket(), Clock()
    try:
        beat = heartbeat(systemd.env(), clock)    # status lines only
        beat.start()
        clock.pump([5, 5, 100])
        assert beat.watchdog() == WatchdogFigures(0.0, 0.0, 0.0)
        beat.stop()
    finally:
        systemd.close()
