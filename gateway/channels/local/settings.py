"""The `[channels.http]` config section: the local channel (messages posted over HTTP).

Config (TOML):

    [channels.http]
    enabled = true
    listen = "127.0.0.1"
    port = 8708
    require_token = false          # true: the secret http_intake_token is needed
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class LocalSettings:
    enabled: bool = False
    listen: str = "127.0.0.1"
    port: int = 8708                    # 0: any free port
    require_token: bool = False         # then the secret http_intake_token is needed

    def problems(self) -> list[str]:
        """What is wrong with these settings, as `key: reason` (empty when fine)."""
        if not 0 <= self.port < 65536:
            return ["port: must be 0-65535 (0: any free port)"]
        return []
