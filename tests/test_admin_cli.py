"""The admin commands on a real database: db upgrade, complaints list / show."""
import json

from gateway.model import Message
from gateway.journal import intake_journal
from gateway.journal.database import make_engine
from tests.support import MAPPING, cli, write_config


def test_db_upgrade_then_list_and_show_complaints(tmp_path):
    config = write_config(tmp_path / "gateway.toml",
                          f"[gateway]\nstate_directory = 'state'\n[parser]\nmapping = '{MAPPING}'\n"
                          "[database]\nmigrate_on_start = false\n")
    listed = cli("complaints", "list", "--config", config)
    assert listed.returncode == 78 and "lapor-gateway db upgrade" in listed.stderr

    upgraded = cli("db", "upgrade", "--config", config)
    from gateway.journal.migrate import head_revision
    assert upgraded.returncode == 0 and f"empty -> {head_revision()}" in upgraded.stdout

    engine = make_engine(f"sqlite:///{tmp_path / 'state' / 'gateway.db'}")
    with engine.begin() as conn:
        first, _ = intake_journal.accept_messages(
            conn, [(Message("sms", "+6281200000009", "Jateng Jalan rusak", "k1"), None),
                   (Message("sms", "+6281200000010", "Halo", "k2"), None)])
    engine.dispose()

    listed = cli("complaints", "list", "--config", config, "--json", "--state", "received")
    assert listed.returncode == 0, listed.stderr
    rows = [json.loads(line) for line in listed.stdout.splitlines()]
    assert len(rows) == 2 and {r["state"] for r in rows} == {"received"}
    assert "+62812" not in listed.stdout  # the list shows no personal data

    shown = cli("complaints", "show", first.complaint_id, "--config", config)
    assert shown.returncode == 0
    detail = json.loads(shown.stdout)
    assert detail["text"] == "Jateng Jalan rusak" and detail["replies"] == []

    missing = cli("complaints", "show", "no-such-id", "--config", config)
    assert missing.returncode == 1 and "no complaint no-such-id" in missing.stderr


def test_every_command_has_help():
    for args in (["--help"], ["run", "--help"], ["check-config", "--help"], ["db", "upgrade", "--help"],
                 ["complaints", "list", "--help"], ["complaints", "show", "--help"], ["demo", "--help"]):
        result = cli(*args)
        assert result.returncode == 0 and "usage: lapor-gateway" in result.stdout
