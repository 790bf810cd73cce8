"""The `[channels.telegram]` config section: the LAPOR! bot, by long polling or webhook.

Config (TOML):

    [channels.telegram]
    enabled = true
    mode = "polling"               # or "webhook": Telegram POSTs updates to webhook_path

Secrets: telegram_token (the bot's token from @BotFather) and, in webhook mode,
telegram_webhook_secret (what Telegram sends in X-Telegram-Bot-Api-Secret-Token;
1-256 characters of A-Z a-z 0-9 _ -).
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

WEBHOOK_SECRET = re.compile(r"[A-Za-z0-9_-]{1,256}")
TOKEN_SECRET = "telegram_token"
WEBHOOK_SECRET_NAME = "telegram_webhook_secret"


@dataclass(frozen=True)
class TelegramSettings:
    enabled: bool = False
    # "polling": the gateway asks Telegram for updates (works behind NAT, no public URL).
    # "webhook": Telegram POSTs each update to webhook_path on the gateway's HTTP server.
    mode: Literal["polling", "webhook"] = "polling"
    # Long polling: seconds Telegram holds a getUpdates open when there is nothing new.
    poll_timeout_s: int = 30
    # Seconds to connect, write and read (beyond the long poll) before a request is given up.
    request_timeout_s: float = 15.0
    # Failed polls, and a failed start, are retried after waits growing from retry_initial_s
    # to retry_max_s.
    retry_initial_s: float = 1.0
    retry_max_s: float = 300.0
    # Webhook: the path the gateway serves, and the public https URL that reaches it. With
    # webhook_url empty the gateway does not call setWebhook (ops set it themselves).
    webhook_path: str = "/telegram/webhook"
    webhook_url: str = ""
    # The Bot API's address; only tests and the demo point it elsewhere (a fake on 127.0.0.1).
    api_base_url: str = "https://api.telegram.org"

    def problems(self) -> list[str]:
        """What is wrong with these settings, as `key: reason` (empty when fine)."""
        found = []
        if not 0 <= self.poll_timeout_s <= 50:
            found.append("poll_timeout_s: must be 0-50 seconds")
        for key in ("request_timeout_s", "retry_initial_s", "retry_max_s"):
            if getattr(self, key) <= 0:
                found.append(f"{key}: must be greater than 0")
        if not self.webhook_path.startswith("/"):
            found.append("webhook_path: must start with /")
        if self.webhook_url and not self.webhook_url.startswith("https://"):
            found.append("webhook_url: Telegram calls only https:// URLs")
        return found
