"""`complaints list` and `complaints show` for admins (issue 14): the CLI on one database
per backend, filled by the journal's own writes — six complaints on three channels, in
every complaint state and most reply states, received from a minute to five days ago.

The many look-ups go through the CLI's entry point in this process (`cli_in_process`);
the table and a `show` also as real processes."""
from __future__ import annotations

import contextlib
import json
import re
from dataclasses import dataclass
from datetime import timedelta, timezone
from pathlib import Path

import pytest

from gateway.journal import reply_journal
from gateway.model import utcnow
from tests.admin_journal import (BANYUMAS, SEMARANG, SURABAYA, admin_config, forward, journal_writes,
                                 receive, refuse, reply_outcome, upgrade)
from tests.postgres import fresh_postgres_database
from tests.support import cli, cli_in_process

SMS_SENT = "a1b2c3d4-0000-4000-8000-000000000001"       # #1000001, reply sent
TELEGRAM_DELIVERED = "b2c3d4e5-0000-4000-8000-000000000002"   # #1000002, reply delivered
X_FAILED = "c3d4e5f6-0000-4000-8000-000000000003"       # #1000003, reply failed
DEAD = "d4e5f6a7-0000-4000-8000-000000000004"           # refused: "held" reply queued
NATIONAL_DESK = "abcdef02-0000-4000-8000-000000000005"  # parsed, unrouted, no reply
RECEIVED = "abcdef02-0000-4000-8000-000000000006"       # received only, no reply
SENDERS = ("+6281200000001", "7001", "@warga_sby", "+6281200000004", "+6281200000005", "+6281200000006")
TEXTS = ("KabBanyumas jalan rusak", "Semarang banjir", "Surabaya lampu mati", "KabBanyumas sampah",
         "Pungli di kantor desa", "Halo")


@dataclass
class Filled:
    config: Path
    held_reference: str   # what the dead complaint's citizen was told

    def run(self, *args: str, process: bool = False):
        return (cli if process else cli_in_process)("complaints", *args, "--config", self.config)

    def listed(self, *args: str) -> list[dict]:
        result = self.run("list", "--json", *args)
        assert result.returncode == 0, result.stderr
        return [json.loads(line) for line in result.stdout.splitlines()]

    def ids(self, *args: str) -> set[str]:
        return {row["id"] for row in self.listed(*args)}


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def filled(request, tmp_path_factory):
    folder = tmp_path_factory.mktemp("admin")
    database = fresh_postgres_database() if request.param == "postgres" else contextlib.nullcontext("")
    with database as url:
        config = admin_config(folder, url)
        upgrade(config)
        now = utcnow()
        ago = lambda **delta: now - timedelta(**delta)
        with journal_writes(url or f"sqlite:///{folder / 'state' / 'gateway.db'}") as conn:
            sms = receive(conn, SMS_SENT, "sms", SENDERS[0], TEXTS[0], ago(minutes=10), BANYUMAS)
            telegram = receive(conn, TELEGRAM_DELIVERED, "telegram", SENDERS[1], TEXTS[1], ago(hours=2, minutes=30),
                               SEMARANG)
            x = receive(conn, X_FAILED, "x", SENDERS[2], TEXTS[2], ago(days=1), SURABAYA)
            dead = receive(conn, DEAD, "sms", SENDERS[3], TEXTS[3], ago(days=3), BANYUMAS)
            receive(conn, NATIONAL_DESK, "sms", SENDERS[4], TEXTS[4], ago(days=5))
            receive(conn, RECEIVED, "sms", SENDERS[5], TEXTS[5], ago(minutes=1), routed=False)
            reply_outcome(conn, forward(conn, sms), "sent")
            reply_outcome(conn, forward(conn, telegram), "delivered")
            reply_outcome(conn, forward(conn, x), "failed")
            _, held = refuse(conn, dead)
        yield Filled(config, re.search(r"rujukan ([0-9a-f]{8})", held)[1])


# -- list ------------------------------------------------------------------------------------
def test_the_table_has_its_columns_times_to_the_second_in_utc_and_no_personal_data(filled):
    result = filled.run("list", process=True)
    assert result.returncode == 0, result.stderr
    header, *lines = result.stdout.splitlines()
    assert header.split() == ["TIME", "CHANNEL", "STATE", "ROUTING", "REGION", "TRACKING", "REF", "REPLY",
                              "ERROR"]
    rows = {line.split()[6]: line.split() for line in lines}
    assert rows.keys() == {SMS_SENT[:8], TELEGRAM_DELIVERED[:8], X_FAILED[:8], DEAD[:8], "abcdef02"}
    assert rows[X_FAILED[:8]][1:8] == ["x", "forwarded", "routed", "35.78", "1000003", X_FAILED[:8], "failed"]
    assert rows[DEAD[:8]][1:8] == ["sms", "dead", "routed", "33.02", "-", DEAD[:8], "queued"]
    assert rows[DEAD[:8]][8:] == ["case", "store", "answered", "400"]
    assert all(re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", line.split()[0]) for line in lines)
    assert not any(secret in result.stdout for secret in SENDERS + TEXTS)


def test_json_gives_one_object_per_complaint_with_the_list_fields(filled):
    rows = {row["id"]: row for row in filled.listed()}
    assert len(rows) == 6
    assert {"id", "received_at", "channel", "state", "routing", "region", "tracking_id", "reply_state",
            "last_error"} <= rows[SMS_SENT].keys()
    assert (rows[SMS_SENT]["tracking_id"], rows[SMS_SENT]["reply_state"]) == ("1000001", "sent")
    assert (rows[RECEIVED]["state"], rows[RECEIVED]["reply_state"]) == ("received", None)
    assert not any(secret in json.dumps(list(rows.values())) for secret in SENDERS + TEXTS)


def test_since_a_time_ago(filled):
    assert filled.ids("--since", "2h") == {SMS_SENT, RECEIVED}
    assert filled.ids("--since", "30m") == {SMS_SENT, RECEIVED}
    assert filled.ids("--since", "2d") == {SMS_SENT, RECEIVED, TELEGRAM_DELIVERED, X_FAILED}


def test_since_an_iso_date_or_a_time_with_its_offset(filled):
    four_days = (utcnow() - timedelta(days=4)).date().isoformat()   # midnight UTC, four days back
    assert filled.ids("--since", four_days) == {SMS_SENT, RECEIVED, TELEGRAM_DELIVERED, X_FAILED, DEAD}
    wib = timezone(timedelta(hours=7))
    two_hours_ago_in_jakarta = (utcnow() - timedelta(hours=2)).astimezone(wib).isoformat(timespec="seconds")
    assert filled.ids("--since", two_hours_ago_in_jakarta) == {SMS_SENT, RECEIVED}


def test_since_that_is_no_time_is_refused(filled):
    result = filled.run("list", "--since", "yesterday")
    assert result.returncode == 2 and "neither a time ago" in result.stderr


def test_channel(filled):
    assert filled.ids("--channel", "telegram") == {TELEGRAM_DELIVERED}
    assert filled.ids("--channel", "sms") == {SMS_SENT, DEAD, NATIONAL_DESK, RECEIVED}
    unknown = filled.run("list", "--channel", "whatsapp")
    assert unknown.returncode == 2 and "no channel 'whatsapp'" in unknown.stderr and "sms" in unknown.stderr


def test_region_is_a_code_prefix_a_province_takes_its_kabupaten_and_kota(filled):
    assert filled.ids("--region", "33") == {SMS_SENT, TELEGRAM_DELIVERED, DEAD}
    assert filled.ids("--region", "33.02") == {SMS_SENT, DEAD}
    assert filled.ids("--region", "35") == {X_FAILED}
    assert filled.ids("--region", "36") == set()
    assert filled.run("list", "--region", "Jateng").returncode == 2


@pytest.mark.parametrize("state, expected", [
    ("sent", {SMS_SENT}), ("delivered", {TELEGRAM_DELIVERED}), ("failed", {X_FAILED}), ("queued", {DEAD}),
    ("uncertain", set()), ("none", {NATIONAL_DESK, RECEIVED}),
])
def test_reply_state_is_the_latest_replys(filled, state, expected):
    assert filled.ids("--reply-state", state) == expected


def test_state_limit_and_filters_together(filled):
    assert filled.ids("--state", "pending") == {NATIONAL_DESK, RECEIVED}
    assert filled.ids("--state", "dead") == {DEAD}
    assert [row["id"] for row in filled.listed("--limit", "2")] == [RECEIVED, NATIONAL_DESK]  # newest
    assert filled.ids("--channel", "sms", "--region", "33", "--reply-state", "queued", "--since", "4d") == {DEAD}


# -- show ------------------------------------------------------------------------------------
def shown(filled, key: str, process: bool = False) -> dict:
    result = filled.run("show", key, process=process)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_show_by_its_id_prints_the_complaint_in_full(filled):
    detail = shown(filled, TELEGRAM_DELIVERED, process=True)
    assert (detail["id"], detail["sender"], detail["text"]) == (TELEGRAM_DELIVERED, SENDERS[1], TEXTS[1])
    assert (detail["tracking_id"], detail["reply_state"], detail["forward_attempts"]) == ("1000002", "delivered", 1)
    assert [r["state"] for r in detail["replies"]] == ["delivered"]


@pytest.mark.parametrize("key", ["1000003", "#1000003", " #1000003 "])
def test_show_by_the_tracking_number_the_citizen_quotes(filled, key):
    assert shown(filled, key)["id"] == X_FAILED


def test_show_by_the_reference_the_held_reply_quoted(filled):
    assert filled.held_reference == DEAD[:8]
    assert shown(filled, filled.held_reference)["id"] == DEAD
    assert shown(filled, filled.held_reference.upper())["id"] == DEAD
    assert shown(filled, DEAD[:6])["id"] == DEAD      # six characters are enough


def test_show_an_ambiguous_reference_lists_the_candidates_ids_only(filled):
    result = filled.run("show", "abcdef02")
    assert result.returncode == 1 and result.stdout == ""
    assert "abcdef02 names 2 complaints; give more of the id:" in result.stderr
    assert re.findall(r"^  (\S+)  \(reference\)$", result.stderr, re.M) == [NATIONAL_DESK, RECEIVED]
    assert not any(secret in result.stderr for secret in SENDERS + TEXTS)


@pytest.mark.parametrize("key", ["no-such-id", "a1b2c", "#a1b2c3d4", "9999999", "#"])
def test_show_what_names_no_complaint(filled, key):
    """Five characters are no reference; `#` says tracking number and nothing else."""
    result = filled.run("show", key)
    assert result.returncode == 1 and f"no complaint {key}" in result.stderr and result.stdout == ""


# -- what should not happen, and `retry` by reference -----------------------------------------
SHARED_NUMBER = ("e1000000-0000-4000-8000-00000000000a", "e2000000-0000-4000-8000-00000000000b")
NUMBERED = "f0000000-0000-4000-8000-00000000000c"        # gets #1000001
LOOKALIKE = "10000010-0000-4000-8000-00000000000d"       # its id starts like that number
REFUSED = "0ddba11a-0000-4000-8000-00000000000e"


@pytest.fixture(scope="module")
def odd(tmp_path_factory):
    """A SQLite database where two complaints share a tracking number (a case store's
    fault), a tracking number is also the start of another complaint's id (whose first
    reply was delivered, its second queued), and one complaint is a dead letter."""
    folder = tmp_path_factory.mktemp("odd")
    config = admin_config(folder)
    upgrade(config)
    now = utcnow()
    with journal_writes(f"sqlite:///{folder / 'state' / 'gateway.db'}") as conn:
        for n, complaint_id in enumerate(SHARED_NUMBER):
            forward(conn, receive(conn, complaint_id, "sms", f"+628130000000{n}", "Jalan rusak", now), "LPR-7")
        reply_outcome(conn, forward(conn, receive(conn, NUMBERED, "sms", "+6281300000003", "Banjir", now)),
                      "delivered")
        # the citizen sent it again: a second reply, the latest, queued
        assert reply_journal.queue_duplicate_reply(conn, NUMBERED, "Aduan #1000001", 0, 3) is not None
        receive(conn, LOOKALIKE, "telegram", "7003", "Sampah", now, routed=False)
        refuse(conn, receive(conn, REFUSED, "x", "@warga", "Pungli", now, BANYUMAS))
    return Filled(config, REFUSED[:8])


@pytest.mark.parametrize("key", ["LPR-7", "#LPR-7"])
def test_a_tracking_number_two_complaints_share_lists_both_and_shows_neither(odd, key):
    result = odd.run("show", key)
    assert result.returncode == 1 and result.stdout == ""
    assert "tracking number LPR-7 is on 2 complaints — a case store should never number two alike" \
        in result.stderr
    assert re.findall(r"^  (\S+)  \(tracking number\)$", result.stderr, re.M) == list(SHARED_NUMBER)


def test_a_number_that_is_a_tracking_number_and_the_start_of_another_id_is_not_guessed(odd):
    result = odd.run("show", "1000001")
    assert result.returncode == 1 and result.stdout == ""
    assert "1000001 names 2 complaints; give more of the id, or #1000001 for the tracking number:" \
        in result.stderr
    assert re.findall(r"^  (\S+)  \((.+)\)$", result.stderr, re.M) == [
        (NUMBERED, "tracking number"), (LOOKALIKE, "reference")]
    assert shown(odd, "#1000001")["id"] == NUMBERED
    assert shown(odd, "10000010")["id"] == LOOKALIKE


def test_reply_is_the_state_of_the_latest_reply(odd):
    assert odd.ids("--reply-state", "delivered") == set()
    assert NUMBERED in odd.ids("--reply-state", "queued")
    assert [r["state"] for r in shown(odd, NUMBERED)["replies"]] == ["delivered", "queued"]


def test_retry_takes_the_reference_of_a_dead_letter(odd):
    retried = odd.run("retry", odd.held_reference)
    assert retried.returncode == 0 and retried.stdout.split() == [REFUSED]
    assert odd.ids("--state", "parsed") == {REFUSED}
    again = odd.run("retry", odd.held_reference)
    assert again.returncode == 1 and f"complaint {REFUSED} is parsed, not dead" in again.stderr
    assert odd.run("retry", "abcdef99").returncode == 1
