"""The command line in pipes: `check-config`'s report on stdout and its diagnostics on
stderr stay in order when both go down one pipe, and a command whose reader leaves
early (`regions show … | head`) exits quietly, as git does, without a traceback."""
import json
import os
import subprocess
import sys

import pytest

from tests.support import MAPPING, REPO, write_config

PARSER = f"[parser]\nmapping = '{MAPPING}'\n"
#: the tests run with PYTHONUNBUFFERED; a shell usually does not, and the order of two
#: streams in one pipe depends on that buffering
BUFFERED = {k: v for k, v in os.environ.items() if k != "PYTHONUNBUFFERED"}
UNBUFFERED = {**BUFFERED, "PYTHONUNBUFFERED": "1"}


def gateway(*args, env=BUFFERED, **streams) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "gateway", *map(str, args)], cwd=REPO, env=env,
                          timeout=60, **streams)


def test_check_config_report_then_warnings_then_ok_when_both_streams_share_one_pipe(tmp_path):
    config = write_config(tmp_path / "gateway.toml", PARSER + "[store]\ngroup_commit_max = 7\n")
    both = gateway("check-config", config, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    assert both.returncode == 0, both.stdout
    *report, warning, ok = both.stdout.splitlines()
    assert json.loads("\n".join(report))["config"] == str(config)
    assert warning == f"lapor-gateway: warning: {config}: [store] is now called [database]; the old name" \
                      " works until the next release"
    assert ok == f"{config}: OK"


def test_check_config_stdout_is_only_the_report(tmp_path):
    config = write_config(tmp_path / "gateway.toml", PARSER + "[store]\ngroup_commit_max = 7\n")
    apart = gateway("check-config", config, capture_output=True, text=True)
    assert apart.returncode == 0, apart.stderr
    assert json.loads(apart.stdout)["database"] == "sqlite (state directory)"
    assert apart.stderr.splitlines() == [
        f"lapor-gateway: warning: {config}: [store] is now called [database]; the old name works"
        " until the next release", f"{config}: OK"]


def test_check_config_lists_every_problem_in_one_message_on_stderr(tmp_path):
    config = write_config(tmp_path / "gateway.toml",
                          PARSER + "[database]\ngroup_commit_max = 0\n[replies]\nmax_attempts = 0\n")
    broken = gateway("check-config", config, capture_output=True, text=True)
    assert broken.returncode == 78
    assert broken.stdout == ""
    assert broken.stderr.splitlines() == [
        f"lapor-gateway: {config}: 2 problems:",
        "  [database].group_commit_max: must be greater than 0, got 0",
        "  [replies].max_attempts: must be greater than 0, got 0"]


def test_check_config_help_says_which_stream_carries_what():
    shown = gateway("check-config", "--help", capture_output=True, text=True)
    words = " ".join(shown.stdout.split())   # as argparse wraps it
    assert "goes to stdout" in words and "go to stderr" in words


@pytest.mark.parametrize("env", [BUFFERED, UNBUFFERED], ids=["buffered", "unbuffered"])
@pytest.mark.parametrize("command", [
    ("regions", "show", "33.74", "--mapping", MAPPING),
    ("regions", "list", "--mapping", MAPPING),
    ("check-config", REPO / "config" / "gateway.toml"),
], ids=["regions show", "regions list", "check-config"])
def test_a_reader_that_left_early_ends_the_command_quietly(command, env):
    reader, writer = os.pipe()
    os.close(reader)   # `| head` that has already read what it wanted and exited
    try:
        left = gateway(*command, env=env, stdout=writer, stderr=subprocess.PIPE, text=True)
    finally:
        os.close(writer)
    # 141 is what a shell reports for git or seq killed by SIGPIPE in the same place.
    assert (left.returncode, left.stderr) == (141, "")


def test_a_broken_pipe_elsewhere_is_not_taken_for_a_reader_who_left(monkeypatch, capfd):
    from gateway import cli

    def upgrade(_args):
        raise BrokenPipeError(32, "Broken pipe")   # a socket's, say; stdout is fine
    monkeypatch.setattr(cli, "cmd_db_upgrade", upgrade)
    with pytest.raises(BrokenPipeError):
        cli.main(["db", "upgrade"])
