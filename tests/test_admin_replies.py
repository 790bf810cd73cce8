"""`replies list` and `replies resend` for admins, by ID and by state, on a database the
journal filled: the reply a citizen did not get is found, with its complaint's reference
("-" for the bot's own answer), and queued again — only a failed or uncertain one. (A resend picked up by a running
gateway: tests/channels/test_replies_resend.py.)"""
from __future__ import annotations

import json

import pytest

from gateway.journal import intake_journal
from gateway.model import Message, utcnow
from tests.admin_journal import admin_config, forward, journal_writes, receive, reply_outcome, upgrade
from tests.support import cli, cli_in_process

FAILED = "fa11ed00-0000-4000-8000-000000000001"
DELIVERED = "de11e7ed-0000-4000-8000-000000000002"
UNCERTAIN = "0c0ffee0-0000-4000-8000-000000000003"
ALSO_FAILED = "fa11ed01-0000-4000-8000-000000000004"
BOT_ANSWER = "the bot's own answer"


@pytest.fixture
def replies(tmp_path):
    """{complaint id: its reply's id}, one reply per outcome, and the config."""
    config = admin_config(tmp_path)
    upgrade(config)
    made = {}
    with journal_writes(f"sqlite:///{tmp_path / 'state' / 'gateway.db'}") as conn:
        for n, (complaint_id, channel, outcome) in enumerate([
                (FAILED, "telegram", "failed"), (DELIVERED, "sms", "delivered"),
                (UNCERTAIN, "x", "uncertain"), (ALSO_FAILED, "sms", "failed")]):
            complaint = receive(conn, complaint_id, channel, f"+62814000000{n}", "Jalan rusak", utcnow())
            made[complaint_id] = forward(conn, complaint)
            reply_outcome(conn, made[complaint_id], outcome)
        # the bot's own answer to /bantuan, about no complaint, blocked as well
        (help_asked,) = intake_journal.accept_messages(conn, [(Message(
            "telegram", "7009", "/bantuan", "key-help", answer="Kirim aduan Anda dengan nama daerah"), None)])
        made[BOT_ANSWER] = help_asked.answer.id
        reply_outcome(conn, made[BOT_ANSWER], "failed")
    return config, made


def listed(config, *args) -> dict[int, dict]:
    result = cli_in_process("replies", "list", "--json", *args, "--config", config)
    assert result.returncode == 0, result.stderr
    return {row["id"]: row for row in map(json.loads, result.stdout.splitlines())}


def test_list_failed_shows_each_with_its_complaints_reference(replies):
    config, made = replies
    result = cli("replies", "list", "--state", "failed", "--config", config)
    assert result.returncode == 0, result.stderr
    header, *lines = result.stdout.splitlines()
    assert header.split()[:9] == ["ID", "CHANNEL", "KIND", "STATE", "TRIES", "RESENT", "UPDATED", "REF", "ERROR"]
    assert {(int(line.split()[0]), line.split()[7]) for line in lines} == {
        (made[FAILED], FAILED[:8]), (made[ALSO_FAILED], ALSO_FAILED[:8]), (made[BOT_ANSWER], "-")}
    assert all("bot was blocked" in line for line in lines)
    assert listed(config, "--state", "failed")[made[FAILED]]["complaint_id"] == FAILED


def test_resend_one_failed_reply_queues_it_again_and_only_it(replies):
    config, made = replies
    result = cli_in_process("replies", "resend", made[FAILED], "--config", config)
    assert result.returncode == 0 and result.stdout.split() == [str(made[FAILED])]
    rows = listed(config)
    assert (rows[made[FAILED]]["state"], rows[made[FAILED]]["attempts"], rows[made[FAILED]]["resends"]) == \
        ("queued", 0, 1)
    assert rows[made[ALSO_FAILED]]["state"] == "failed"


@pytest.mark.parametrize("which", [DELIVERED, "no such reply"])
def test_resend_refuses_a_reply_that_is_not_failed_or_uncertain(replies, which):
    config, made = replies
    reply_id = made.get(which, 999)
    result = cli_in_process("replies", "resend", reply_id, "--config", config)
    assert result.returncode == 1 and "is not failed or uncertain (or does not exist)" in result.stderr
    assert listed(config)[made[DELIVERED]]["state"] == "delivered"


def test_resend_all_uncertain_leaves_the_failed_ones(replies):
    config, made = replies
    result = cli_in_process("replies", "resend", "--all-uncertain", "--config", config)
    assert result.returncode == 0 and result.stdout.split() == [str(made[UNCERTAIN])]
    states = {reply_id: row["state"] for reply_id, row in listed(config).items()}
    assert states == {made[FAILED]: "failed", made[DELIVERED]: "delivered", made[UNCERTAIN]: "queued",
                      made[ALSO_FAILED]: "failed", made[BOT_ANSWER]: "failed"}


def test_resend_all_failed_queues_every_failed_one(replies):
    config, made = replies
    result = cli_in_process("replies", "resend", "--all-failed", "--config", config)
    assert result.returncode == 0
    assert sorted(map(int, result.stdout.split())) == sorted([made[FAILED], made[ALSO_FAILED], made[BOT_ANSWER]])
    assert listed(config, "--state", "failed") == {}
    assert listed(config, "--state", "uncertain").keys() == {made[UNCERTAIN]}
