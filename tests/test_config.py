"""Config: the shipped example is valid; mistakes stop the program with exit 78 naming
file and key; secrets come from env, files or the credentials directory and never show."""
import os

import pytest

from gateway.config import ConfigError, load_config
from tests.support import MAPPING, REPO, cli, write_config

PARSER = f"[parser]\nmapping = '{MAPPING}'\n"


def test_shipped_config_checks_ok():
    result = cli("check-config", REPO / "config" / "gateway.toml")
    assert result.returncode == 0, result.stderr
    assert "OK" in result.stderr


@pytest.mark.parametrize("text, words", [
    ("[database]\ngroup_commit = 5\n", ["unknown key [database].group_commit"]),
    # the section's old name: messages name it as the file does
    ("[store]\ngroup_commit = 5\n", ["unknown key [store].group_commit"]),
    ("[store]\nurl = ''\n[database]\nurl = ''\n", ["[store] and [database] are one section"]),
    ("colour = 'blue'\n", ["unknown key colour"]),
    ("[store]\ngroup_commit_max = 'many'\n", ["[store].group_commit_max: must be an integer"]),
    ("[channels.http]\nport = true\n", ["[channels.http].port: must be an integer"]),
    ("[logging]\nlevel = 'loud'\n", ["[logging].level: must be one of"]),
    ("[forwarder.local]\nlatency = 5\n", ["unknown key [forwarder.local].latency"]),
    ("[store\nurl=1", ["not valid TOML"]),
    ("[secrets.files]\nsmtp_password = '/x'\n", ["[secrets.files].smtp_password: unknown secret name"]),
    ("[database]\nurl = 'mysql://lapor@db/lapor'\n",
     ["[database].url: unsupported database 'mysql' (sqlite:///PATH or postgresql://USER@HOST/DB;"]),
    ("[database]\nurl = 'postgresql://lapor:s3cr3t-pw@db:5x32/lapor'\n",
     ["[database].url: not a database URL that can be read (sqlite:///PATH or postgresql://"]),
    ("[database]\nurl = 'sqlite:///:memory:'\n", ["[database].url: an SQLite database must be a file"]),
    ("[database]\nurl = 'sqlite:///'\n", ["[database].url: an SQLite database must be a file"]),
])
def test_broken_config_exits_78_naming_file_and_key(tmp_path, text, words):
    path = write_config(tmp_path / "broken.toml", text)
    result = cli("check-config", path)
    assert result.returncode == 78
    assert str(path) in result.stderr
    for word in words:
        assert word in result.stderr


def test_every_mistake_in_a_file_is_named_in_one_go(tmp_path):
    """An admin fixes the file once, not once per start: unknown, mistyped and wrongly
    chosen keys in several sections, and a channel that does not exist, all in one error."""
    path = write_config(tmp_path / "broken.toml", PARSER + "mapin = 3\n[forwarder]\nadapter = 'nope'\n"
                        "rescan_interval_s = '5'\n[channels.smpp]\nenabled = 'yes'\n[channels.fax]\n"
                        "[replies.commands]\nnot_there = 'x'\n")
    with pytest.raises(ConfigError) as error:
        load_config(path)
    lines = str(error.value).splitlines()
    assert lines[0] == f"{path}: 6 problems:"
    assert sorted(line.strip() for line in lines[1:]) == sorted([
        "unknown section [channels.fax] (channels: http, smpp, telegram, x)",
        "[channels.smpp].enabled: must be true or false, got str 'yes'",
        "unknown key [parser].mapin (known keys: mapping)",
        "[forwarder].adapter: must be one of 'local', 'http', 'lapor-xml', got 'nope'",
        "[forwarder].rescan_interval_s: must be a number, got str '5'",
        "unknown key [replies.commands].not_there (known keys: help, mine, none, not_found, not_offered,"
        " started, status, stopped, unavailable)"])


@pytest.mark.parametrize("key", ["source", "deprecated"])
def test_the_programs_own_fields_are_not_keys_of_the_file(tmp_path, key):
    # Settings.source and .deprecated are marked {"internal": True}: set by load_config,
    # never read from the file, and not offered to an admin as a key to write.
    path = write_config(tmp_path / "g.toml", f"{key} = 'x'\n")
    with pytest.raises(ConfigError) as error:
        load_config(path)
    assert str(error.value) == (f"{path}: unknown key {key} (known keys: channels, database, forwarder,"
                                " gateway, http, logging, parser, replies, secrets)")


def test_a_database_url_that_cannot_be_read_is_not_echoed(tmp_path):
    path = write_config(tmp_path / "g.toml",
                        PARSER + "[database]\nurl = 'postgresql://lapor:s3cr3t-pw@db:5x32/lapor'\n")
    result = cli("check-config", path)
    assert result.returncode == 78 and "[database].url: not a database URL" in result.stderr
    assert "s3cr3t-pw" not in result.stderr + result.stdout


def test_the_old_section_name_still_works_this_release_with_a_warning(tmp_path):
    path = write_config(tmp_path / "old.toml", PARSER + "[store]\ngroup_commit_max = 7\n")
    result = cli("check-config", path)
    assert result.returncode == 0, result.stderr
    assert f"warning: {path}: [store] is now called [database]" in result.stderr
    assert load_config(path).database.group_commit_max == 7


def test_run_with_unknown_key_exits_78_before_doing_anything(tmp_path):
    path = write_config(tmp_path / "gateway.toml", "[gateway]\nstate_directory = 'st'\ntypo = 1\n")
    result = cli("run", "--config", path, timeout=30)
    assert result.returncode == 78
    assert "unknown key [gateway].typo" in result.stderr
    assert not (tmp_path / "st").exists()


def test_missing_secret_file_names_the_key(tmp_path):
    path = write_config(tmp_path / "gateway.toml",
                        PARSER + "[secrets.files]\npseudonym_key = 'nowhere/pseudonym.key'\n")
    settings = load_config(path)
    with pytest.raises(ConfigError) as error:
        settings.secrets_resolver().get("pseudonym_key")
    assert "[secrets.files].pseudonym_key" in str(error.value)
    assert str(tmp_path / "nowhere" / "pseudonym.key") in str(error.value)
    result = cli("check-config", path)
    assert result.returncode == 78 and "[secrets.files].pseudonym_key" in result.stderr


def test_required_secret_missing_everywhere(tmp_path, monkeypatch):
    monkeypatch.delenv("CREDENTIALS_DIRECTORY", raising=False)
    monkeypatch.delenv("LAPOR_HTTP_INTAKE_TOKEN", raising=False)
    settings = load_config(write_config(tmp_path / "g.toml", ""))
    with pytest.raises(ConfigError, match="missing secret http_intake_token"):
        settings.secrets_resolver().get("http_intake_token")


def test_secrets_from_env_files_and_credentials_directory_never_shown(tmp_path):
    creds = tmp_path / "creds"
    creds.mkdir()
    (creds / "smpp_password").write_text("s3cret-from-systemd\n")
    (tmp_path / "key").write_text("s3cret-from-file")
    path = write_config(tmp_path / "gateway.toml", PARSER + "[secrets.files]\npseudonym_key = 'key'\n")
    env = {"CREDENTIALS_DIRECTORY": str(creds), "LAPOR_TELEGRAM_TOKEN": "s3cret-from-env"}
    result = cli("check-config", path, env=env)
    assert result.returncode == 0, result.stderr
    assert "s3cret" not in result.stdout + result.stderr
    assert '"smpp_password": "credentials directory"' in result.stdout
    assert '"telegram_token": "env LAPOR_TELEGRAM_TOKEN"' in result.stdout
    assert f'"pseudonym_key": "file {tmp_path / "key"}"' in result.stdout

    settings = load_config(path)
    secret = settings.secrets_resolver().get("pseudonym_key")
    assert secret.reveal() == "s3cret-from-file"
    assert "s3cret" not in repr(secret) + str(secret)


@pytest.mark.parametrize("section, secret", [
    ("[channels.telegram]\nenabled = true\n", "telegram_token"),
    ("[channels.smpp]\nenabled = true\n[[channels.smpp.binds]]\nname = 'xl'\n"
     "password_secret = 'smpp_password_xl'\n", "smpp_password_xl"),
    ("[channels.x]\nenabled = true\n", "x_bearer_token"),
    ("[forwarder]\nadapter = 'http'\n[forwarder.http]\nbase_url = 'http://127.0.0.1:1'\n",
     "case_store_token"),
])
def test_check_config_names_a_secret_an_enabled_feature_needs(tmp_path, section, secret):
    path = write_config(tmp_path / "gateway.toml", PARSER + section)
    clean = {k: "" for k in os.environ if k.startswith("LAPOR_") or k == "CREDENTIALS_DIRECTORY"}
    result = cli("check-config", path, env=clean)
    assert result.returncode == 78
    assert f"missing secret {secret}" in result.stderr


X_ON = "[channels.x]\nenabled = true\naccount_id = '1708'\n"


@pytest.mark.parametrize("keys", [
    "poll_interval_s = 60.0\n",                               # the old default: 600 < 900
    "poll_interval_s = 89.9\nrequests_per_15min = 10\n",
    "poll_interval_s = 1.0\nrequests_per_15min = 450\n",
])
@pytest.mark.parametrize("command", ["check-config", "run"])
def test_x_polls_that_cannot_fit_the_request_budget_are_refused(tmp_path, keys, command):
    path = write_config(tmp_path / "gateway.toml",
                        PARSER + f"[gateway]\nstate_directory = 'st'\n{X_ON}{keys}")
    result = cli(*(["check-config", path] if command == "check-config" else ["run", "--config", path]))
    assert result.returncode == 78, result.stderr
    assert f"{path}: [channels.x].poll_interval_s:" in result.stderr
    assert "requests_per_15min" in result.stderr and "900" in result.stderr
    assert not (tmp_path / "st").exists()


@pytest.mark.parametrize("keys", ["", "poll_interval_s = 60.0\nrequests_per_15min = 15\n",
                                  "poll_interval_s = 900.0\nrequests_per_15min = 1\n"])
def test_x_polls_that_fit_the_request_budget_pass(tmp_path, keys):
    settings = load_config(write_config(tmp_path / "gateway.toml", PARSER + X_ON + keys))
    x = settings.channels.x
    assert x.poll_interval_s * x.requests_per_15min >= 900


def test_the_shipped_x_defaults_fit_the_budget():
    from gateway.channels.x.settings import XSettings
    shipped = load_config(REPO / "config" / "gateway.toml").channels.x
    for x in (XSettings(), shipped):
        assert (x.poll_interval_s, x.requests_per_15min) == (90.0, 10)
        assert XSettings(enabled=True, poll_interval_s=x.poll_interval_s,
                         requests_per_15min=x.requests_per_15min).problems() == []
