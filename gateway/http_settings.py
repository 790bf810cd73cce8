"""The `[http]` config section: the ops HTTP server (/healthz, /readyz, /metrics, webhooks),
and where the case store's events are taken (`events_listen`)."""
from __future__ import annotations

import re
from dataclasses import dataclass

_HOST_PORT = re.compile(r"(?:\[(?P<v6>[0-9A-Fa-f:.]+)\]|(?P<host>[^\s:\[\]]+)):(?P<port>\d{1,5})\Z")


@dataclass(frozen=True)
class HttpSettings:
    enabled: bool = True
    listen: str = "127.0.0.1"
    port: int = 8780                    # 0: any free port (logged as "http server listening")
    #: "host:port" of a listener of its own for POST /case-store/events (the case store is
    #: remote; /metrics need not be reachable from it); "": on the ops server above
    events_listen: str = ""

    @property
    def events_address(self) -> tuple[str, int] | None:
        """(host, port) of the events' own listener, or None: they go to the ops server."""
        found = _HOST_PORT.match(self.events_listen)
        if not found:
            return None
        return found["v6"] or found["host"], int(found["port"])

    def problems(self) -> list[str]:
        """What is wrong with these settings, as `key: reason` (empty when fine)."""
        found = [] if 0 <= self.port < 65536 else ["port: must be 0-65535 (0: any free port)"]
        if self.events_listen and (self.events_address is None or self.events_address[1] > 65535):
            found.append(f"events_listen: must be host:port (e.g. 0.0.0.0:8781, [::]:8781) or \"\","
                         f" got {self.events_listen!r}")
        return found
