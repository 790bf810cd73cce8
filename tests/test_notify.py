"""sd_notify details the daemon tests do not reach: abstract sockets, $WATCHDOG_PID, no
socket at all, and a status text that cannot inject a second assignment."""
import os
import socket
import uuid

from gateway.notify import SystemdNotifier
from tests.notify_socket import parse


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
