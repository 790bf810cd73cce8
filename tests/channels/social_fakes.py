"""The fake X and Telegram as a process of their own (`gateway/demo_fakes/serve.py`), and
what a gateway under test needs to use them — its `[channels.x]` and `[channels.telegram]`
sections and their secrets: for the drills that kill gateways while citizens write on."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.support import REPO, spawn


def start_fakes(tmp_path: Path, count: int, rate: float, *options: str) -> tuple[subprocess.Popen, dict]:
    """`count` mentions and `count` messages to the bot at `rate` per second on each, what
    they answer logged to tmp_path/sent.jsonl; `options` are more serve.py flags. Returns
    (the process, its listening line: the URLs, the account id, the bot's token)."""
    proc = spawn([sys.executable, "-m", "gateway.demo_fakes.serve", "--mentions", str(count),
                  "--messages", str(count), "--rate", str(rate), "--sent-log", str(tmp_path / "sent.jsonl"),
                  *options], cwd=REPO, stdout=subprocess.PIPE, text=True)
    return proc, json.loads(proc.stdout.readline())


def sent(tmp_path: Path) -> list[dict]:
    """What the fakes' citizens got: {"channel": "x", "in_reply_to"} or {"channel": "telegram", "chat_id"}."""
    return [json.loads(line) for line in (tmp_path / "sent.jsonl").read_text().splitlines()]


def social_sections(fakes: dict, poll_interval_s: float = 0.9) -> str:
    """The X and Telegram sections pointing at the fakes, polling briskly, retrying fast."""
    return f"""[channels.x]
enabled = true
account_id = "{fakes['account_id']}"
api_base_url = "{fakes['x']}"
poll_interval_s = {poll_interval_s}
requests_per_15min = 5000
posts_per_15min = 5000
retry_initial_s = 0.2
retry_max_s = 1.0
[channels.telegram]
enabled = true
api_base_url = "{fakes['telegram']}"
poll_timeout_s = 1
retry_initial_s = 0.2
retry_max_s = 1.0
"""


def social_env(fakes: dict) -> dict[str, str]:
    """The secrets the fakes take."""
    return {"LAPOR_X_BEARER_TOKEN": "t", "LAPOR_X_CONSUMER_KEY": "k", "LAPOR_X_CONSUMER_SECRET": "s",
            "LAPOR_X_ACCESS_TOKEN": "a", "LAPOR_X_ACCESS_TOKEN_SECRET": "b",
            "LAPOR_TELEGRAM_TOKEN": fakes["telegram_token"]}
