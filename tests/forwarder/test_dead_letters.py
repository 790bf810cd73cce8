"""A refusal makes a visible dead letter (with the store's answer, never the reporter's
number); `complaints retry` sends it again — picked up by a running worker, or at the
next start when nothing runs."""
import io
import json

import pytest_twisted
from twisted.internet import reactor, threads

from gateway import logging as gwlog
from tests.forwarder.harness import Harness, phone
from tests.support import MAPPING, cli, write_config


def admin(tmp_path, database_url, *args):
    config = write_config(tmp_path / "gateway.toml", f"[gateway]\nstate_directory = '{tmp_path}'\n"
                          f"[database]\nurl = '{database_url}'\n[parser]\nmapping = '{MAPPING}'\n")
    return threads.deferToThread(cli, "complaints", *args, "--config", config)


def refuse_with_the_payload_echoed(payload):
    return 400, {"error": f"reporter {payload['reporter']['address']}: body too long"}


@pytest_twisted.inlineCallbacks
def test_refused_complaints_are_dead_letters_then_retried_while_the_worker_runs(tmp_path, database_url):
    log = io.StringIO()
    gwlog.configure("info", "json", log)
    h = yield Harness(tmp_path, rescan_interval_s=0.1).start(database_url)
    try:
        h.fake.reject = refuse_with_the_payload_echoed
        first, second, third = yield h.commit(3)
        h.forward([first, second, third])
        yield h.worker.settled().addTimeout(10, reactor)
        listed = yield admin(tmp_path, database_url, "list", "--state", "dead", "--json")
        dead = {row["id"]: row for row in map(json.loads, listed.stdout.splitlines())}
        assert dead.keys() == {first.id, second.id, third.id}
        assert "400" in dead[first.id]["last_error"] and "body too long" in dead[first.id]["last_error"]
        assert phone(0) not in listed.stdout and "<reporter>" in dead[first.id]["last_error"]
        assert len(h.fake.requests) == 3, "a refusal is not retried by itself"
        # each citizen still hears the complaint arrived, with the gateway's reference (issue 14)
        held = {r.complaint_id: r.text for r in h.replies}
        assert held.keys() == {first.id, second.id, third.id}
        assert all(f"nomor rujukan {cid[:8]}." in text and "#" not in text for cid, text in held.items())

        h.fake.reject = None  # the store was fixed
        retried = yield admin(tmp_path, database_url, "retry", first.id)
        assert retried.returncode == 0 and retried.stdout.split() == [first.id]
        yield h.fake.when_cases(1).addTimeout(10, reactor)
        yield h.worker.settled().addTimeout(10, reactor)
        rows = yield h.complaint_rows()
        assert rows[first.id] == ("forwarded", h.fake.cases[first.id])
        assert rows[second.id][0] == rows[third.id][0] == "dead"

        retried = yield admin(tmp_path, database_url, "retry", "--all-dead")
        assert retried.returncode == 0 and sorted(retried.stdout.split()) == sorted([second.id, third.id])
        yield h.fake.when_cases(3).addTimeout(10, reactor)
        yield h.worker.settled().addTimeout(10, reactor)
        rows = yield h.complaint_rows()
        assert {state for state, _ in rows.values()} == {"forwarded"}
        numbered = [r for r in h.replies if "#" in r.text]   # then the number, once forwarded
        assert sorted(r.complaint_id for r in numbered) == sorted([first.id, second.id, third.id])
        assert len(h.replies) == 6

        again = yield admin(tmp_path, database_url, "retry", first.id)
        assert again.returncode == 1 and "is forwarded, not dead" in again.stderr
        pending = yield admin(tmp_path, database_url, "list", "--state", "pending", "--json")
        assert pending.returncode == 0 and pending.stdout == ""
    finally:
        yield h.stop()
    assert phone(0) not in log.getvalue() and "dead letter" in log.getvalue()


@pytest_twisted.inlineCallbacks
def test_retry_while_stopped_is_forwarded_at_the_next_start(tmp_path):
    h = yield Harness(tmp_path).start()
    h.fake.reject = refuse_with_the_payload_echoed
    (complaint,) = yield h.commit(1)
    h.forward([complaint])
    yield h.worker.settled().addTimeout(10, reactor)
    yield h.worker.stop()
    h.worker = None
    yield h.stop()

    retried = yield admin(tmp_path, h.db_url, "retry", "--all-dead")
    assert retried.returncode == 0 and retried.stdout.split() == [complaint.id]

    again = Harness(tmp_path)
    yield again.start()
    try:
        waiting, _ = yield again.journal.unfinished_complaints()
        for waiting in waiting:  # what `resume` does at start
            again.worker.enqueue(waiting)
        yield again.worker.settled().addTimeout(10, reactor)
        assert (yield again.complaint_rows()) == {complaint.id: ("forwarded", again.fake.cases[complaint.id])}
    finally:
        yield again.stop()


def test_retry_needs_an_id_or_all_dead(tmp_path):
    result = cli("complaints", "retry")
    assert result.returncode == 2 and "give one ID or --all-dead" in result.stderr
