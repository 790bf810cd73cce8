"""Whether the case store's events are served, and where, is said by check-config (and at
start, tests/updates/test_webhook.py): off without the secret, on the ops server, or on a
listener of its own; an events listener that is no host:port is refused like any config."""
import json

import pytest

from tests.support import MAPPING, cli, write_config

SECRET_ENV = {"LAPOR_CASE_STORE_WEBHOOK_SECRET": "s3cret"}


@pytest.mark.parametrize("http, env, said", [
    ("", {}, "off: no secret case_store_webhook_secret"),
    ("", SECRET_ENV, "on the ops server, http://127.0.0.1:8780/case-store/events"),
    ("events_listen = '0.0.0.0:8781'\n", SECRET_ENV, "on its own listener, http://0.0.0.0:8781/case-store/events"),
    ("enabled = false\n", SECRET_ENV, "off: [http] is disabled and [http].events_listen is not set"),
])
def test_check_config_says_where_the_events_are_taken(tmp_path, http, env, said):
    path = write_config(tmp_path / "gateway.toml", f"[parser]\nmapping = '{MAPPING}'\n[http]\n{http}")
    result = cli("check-config", path, env=env)
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["case_store_events"] == said
    assert report["secrets"]["case_store_webhook_secret"] == ("env LAPOR_CASE_STORE_WEBHOOK_SECRET" if env
                                                              else "not set")
    assert "s3cret" not in result.stdout + result.stderr


@pytest.mark.parametrize("value", ["8781", "0.0.0.0:", "host:99999", "[::1]8781"])
def test_an_events_listener_that_is_no_host_and_port_is_refused(tmp_path, value):
    path = write_config(tmp_path / "gateway.toml", f"[parser]\nmapping = '{MAPPING}'\n[http]\nevents_listen = '{value}'\n")
    result = cli("check-config", path)
    assert result.returncode == 78 and "[http].events_listen: must be host:port" in result.stderr
