"""The `[http]` config section: the ops HTTP server (/healthz, /readyz, /metrics, webhooks)."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class HttpSettings:
    enabled: bool = True
    listen: str = "127.0.0.1"
    port: int = 8780                    # 0: any free port (logged as "http server listening")

    def problems(self) -> list[str]:
        """What is wrong with these settings, as `key: reason` (empty when fine)."""
        return [] if 0 <= self.port < 65536 else ["port: must be 0-65535 (0: any free port)"]
