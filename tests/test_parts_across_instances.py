"""Issue 15: the parts of one long SMS may reach the database through several binds and
instances. Exactly one hold completes the message (the one that makes the database hold
every part), however the holds race; parts that stop coming are committed as a partial
message by exactly one instance — a dead one's too, once its claim runs out."""
from datetime import timedelta

import pytest
import pytest_twisted
from twisted.internet import defer, reactor

from gateway.journal import Lease, open_journal
from gateway.model import HeldPart, Message, PartOutcome, utcnow

TTL_S = 2.0


def part(key: str, no: int, of: int, received_at=None) -> HeldPart:
    return HeldPart("sms", key, no, {"bind": "default", "seqnum": no, "payload": f"{no:02x}"},
                    received_at=received_at or utcnow(), completed_since=utcnow() - timedelta(seconds=60),
                    of=of)


@pytest_twisted.inlineCallbacks
def two_instances(url):
    a = yield open_journal(url, reactor, lease=Lease("a", TTL_S))
    b = yield open_journal(url, reactor, lease=Lease("b", TTL_S))
    return a, b


@pytest.mark.postgres
@pytest_twisted.inlineCallbacks
def test_racing_holds_of_the_last_parts_complete_each_message_exactly_once(postgres_url):
    a, b = yield two_instances(postgres_url)
    try:
        # 200 two-part messages: part 1 through instance a, part 2 through b, at once
        outcomes = yield defer.gatherResults(
            [d for n in range(200) for d in (a.hold_part(part(f"m{n}", 1, 2)), b.hold_part(part(f"m{n}", 2, 2)))])
        pairs = list(zip(outcomes[::2], outcomes[1::2]))
        completing = [pair.count(PartOutcome.COMPLETES) for pair in pairs]
        assert completing == [1] * 200, "every message completed by exactly one of its parts"
        assert all(set(pair) == {PartOutcome.HELD, PartOutcome.COMPLETES} for pair in pairs)
        # the completing side reads every part back, whichever instance stored it
        held = yield b.held_parts("sms", "m7")
        assert sorted(p.part_no for p in held) == [1, 2]
    finally:
        a.close()
        b.close()


@pytest_twisted.inlineCallbacks
def test_a_part_delivered_again_after_a_failed_completion_completes_again(database_url):
    journal = yield open_journal(database_url, reactor)
    try:
        assert (yield journal.hold_part(part("k", 1, 2))) is PartOutcome.HELD
        assert (yield journal.hold_part(part("k", 2, 2))) is PartOutcome.COMPLETES
        # the message's commit failed; the SMSC delivers part 2 again: still the last one
        assert (yield journal.hold_part(part("k", 2, 2))) is PartOutcome.COMPLETES
        yield journal.accept(Message("sms", "+6281234567890", "whole", "d-k", parts_key="k"))
        assert (yield journal.hold_part(part("k", 2, 2))) is PartOutcome.COMPLETED
        assert (yield journal.held_parts("sms")) == []
    finally:
        journal.close()


@pytest_twisted.inlineCallbacks
def test_parts_that_stopped_coming_are_claimed_once_they_are_old(database_url):
    journal = yield open_journal(database_url, reactor)
    try:
        old = utcnow() - timedelta(seconds=120)
        yield journal.hold_part(part("old", 1, 3, old))
        yield journal.hold_part(part("old", 3, 3, old + timedelta(seconds=1)))
        yield journal.hold_part(part("young", 1, 2))
        claimed = yield journal.claim_expired_parts("sms", utcnow() - timedelta(seconds=60),
                                                    utcnow() - timedelta(seconds=60))
        assert sorted((p.parts_key, p.part_no) for p in claimed) == [("old", 1), ("old", 3)]
    finally:
        journal.close()


@pytest_twisted.inlineCallbacks
def test_late_copies_of_a_committed_message_are_dropped_not_claimed(database_url):
    journal = yield open_journal(database_url, reactor)
    try:
        yield journal.accept(Message("sms", "+6281234567890", "whole", "d-late", parts_key="late"))
        # a copy stored before the message's commit could see it (two instances racing)
        copy = HeldPart("sms", "late", 2, {"bind": "default"}, received_at=utcnow() - timedelta(seconds=90))
        yield journal.hold_part(copy)
        claimed = yield journal.claim_expired_parts("sms", utcnow() - timedelta(seconds=60),
                                                    utcnow() - timedelta(seconds=600))
        assert claimed == [] and (yield journal.held_parts("sms")) == []
    finally:
        journal.close()


@pytest.mark.postgres
@pytest_twisted.inlineCallbacks
def test_expired_parts_go_to_one_instance_and_a_dead_ones_claim_runs_out(postgres_url):
    a, b = yield two_instances(postgres_url)
    try:
        old = utcnow() - timedelta(seconds=120)
        for n in range(30):
            yield (a if n % 2 else b).hold_part(part(f"p{n}", 1, 2, old))
        cutoff = utcnow() - timedelta(seconds=60)
        since = utcnow() - timedelta(seconds=600)
        got_a, got_b = yield defer.gatherResults([a.claim_expired_parts("sms", cutoff, since),
                                                  b.claim_expired_parts("sms", cutoff, since)])
        keys_a, keys_b = {p.parts_key for p in got_a}, {p.parts_key for p in got_b}
        assert not keys_a & keys_b and keys_a | keys_b == {f"p{n}" for n in range(30)}
        # a dies without committing what it claimed: b takes it over once the claim ran out
        again = yield b.claim_expired_parts("sms", cutoff, since)
        assert {p.parts_key for p in again} == keys_b, "a's live claims are not b's to take"
        later = utcnow() + timedelta(seconds=TTL_S + 1)
        yield b.database.transact(lambda conn: conn.exec_driver_sql(
            "UPDATE message_parts SET lease_until = %(t)s WHERE lease_owner = 'a'",
            {"t": later - timedelta(seconds=2 * TTL_S + 1)}))
        taken = yield b.claim_expired_parts("sms", cutoff, since)
        assert {p.parts_key for p in taken} == keys_a | keys_b
    finally:
        a.close()
        b.close()
