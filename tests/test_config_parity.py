"""`check-config` refuses everything `run` refuses: each broken setting of the table goes
through both commands (real processes), and both exit 78 (EX_CONFIG) with the same
message — an ops engineer who ran check-config is not surprised by run."""
import pytest

from tests.support import MAPPING, cli, write_config

SMPP = "[channels.smpp]\nenabled = true\n"
WEBHOOK = ('[channels.telegram]\nenabled = true\nmode = "webhook"\n'
           'webhook_url = "https://lapor.example/telegram"\n')
BROKEN = {
    "unknown key": ("[gateway]\nstat_directory = 'x'\n", {}),
    "unsupported database": ("[database]\nurl = 'mysql://lapor@db/lapor'\n", {}),
    "a database URL with a port that is no number": (
        "[database]\nurl = 'postgresql://lapor:pw@db:fivefourthreetwo/lapor'\n", {}),
    "an SQLite database in memory": ("[database]\nurl = 'sqlite:///'\n", {}),
    "missing mapping": ("[parser]\nmapping = '/nonexistent/regions.yaml'\n", {}),
    "SMS without its password": (SMPP, {}),
    "SMS without binds": (SMPP + "binds = []\n", {"LAPOR_SMPP_PASSWORD": "x"}),
    "X polls that cannot fit the budget": (
        "[channels.x]\nenabled = true\npoll_interval_s = 30.0\nrequests_per_15min = 10\n", {}),
    "Telegram webhook secret Telegram refuses": (
        WEBHOOK, {"LAPOR_TELEGRAM_TOKEN": "1:x", "LAPOR_TELEGRAM_WEBHOOK_SECRET": "not allowed!"}),
    "a bind whose window is 0": (SMPP + "[[channels.smpp.binds]]\nname = 'a'\nwindow = 0\n",
                                 {"LAPOR_SMPP_PASSWORD": "x"}),
    "a bind reading an odd secret": (SMPP + "[[channels.smpp.binds]]\npassword_secret = 'telegram_token'\n",
                                     {"LAPOR_TELEGRAM_TOKEN": "x"}),
    "no group commit": ("[database]\ngroup_commit_max = 0\n", {}),
    "a JSON case store without its URL": ("[forwarder]\nadapter = 'http'\n", {"LAPOR_CASE_STORE_TOKEN": "t"}),
    "a case store without its token": (
        "[forwarder]\nadapter = 'http'\n[forwarder.http]\nbase_url = 'http://127.0.0.1:9'\n", {}),
    "an ops port out of range": ("[http]\nport = 70000\n", {}),
    "an events listener that is no host:port": ("[http]\nevents_listen = '8781'\n", {}),
    "a status update template longer than one SMS": (
        "[replies.templates.updates]\nclosed = '" + "selesai sekali " * 12 + "#{tracking}'\n", {}),
    "a local intake port out of range": ("[channels.http]\nenabled = true\nport = -1\n", {}),
    "no reply attempts": ("[replies]\nmax_attempts = 0\n", {}),
    "a secret file of no secret": ("[secrets.files]\nsmtp_password = '/x'\n", {}),
    "a channel nobody registered": ("[channels.whatsapp]\nenabled = true\n", {}),
    "two problems at once": ("[database]\ngroup_commit_max = 0\n[replies]\nmax_attempts = 0\n", {}),
    "a reply template longer than one SMS": (
        "[replies.templates]\nunrouted = '" + "panjang sekali " * 20 + "#{tracking}'\n", {}),
}


@pytest.mark.parametrize("case", sorted(BROKEN))
def test_check_config_and_run_refuse_the_same(tmp_path, case):
    sections, env = BROKEN[case]
    head = f"[gateway]\nstate_directory = '{tmp_path / 'state'}'\n" if "[gateway]" not in sections else ""
    mapping = f"[parser]\nmapping = '{MAPPING}'\n" if "[parser]" not in sections else ""
    config = write_config(tmp_path / "gateway.toml", head + mapping + sections)
    checked = cli("check-config", config, env=env, timeout=60)
    ran = cli("run", "--config", config, env=env, timeout=60)
    assert (checked.returncode, ran.returncode) == (78, 78), (checked.stderr, ran.stdout[-2000:], ran.stderr)
    message = checked.stderr.strip()   # one line, or a line per problem
    assert message.startswith("lapor-gateway: ") and message in ran.stderr
