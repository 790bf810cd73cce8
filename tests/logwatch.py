"""Waiting on what the gateway logs, in-process: an event-driven alternative to sleeps."""
from __future__ import annotations

import logging

from twisted.internet import defer

from gateway import logging as gwlog


class LogWatch(logging.Handler):
    """Collects structured log events; `wait_for(event, **fields)` fires on a match
    (at once when one already happened)."""

    def __init__(self):
        super().__init__(logging.DEBUG)
        self.events: list[dict] = []
        self._waiters: list[tuple[str, dict, defer.Deferred]] = []

    def emit(self, record: logging.LogRecord) -> None:
        """Twisted's and the libraries' events, through the stdlib."""
        self.observe({"event": record.getMessage()})

    def observe(self, event: dict) -> None:
        """The gateway's own events (structlog writes them directly; see gateway.logging)."""
        self.events.append(event)
        for waiter in list(self._waiters):
            name, fields, d = waiter
            if _matches(event, name, fields):
                self._waiters.remove(waiter)
                d.callback(event)

    def wait_for(self, name: str, **fields) -> defer.Deferred:
        for event in self.events:
            if _matches(event, name, fields):
                return defer.succeed(event)
        d: defer.Deferred = defer.Deferred()
        self._waiters.append((name, fields, d))
        return d

    def count(self, name: str) -> int:
        return sum(1 for e in self.events if e.get("event") == name)

    def __enter__(self) -> "LogWatch":
        logging.getLogger().addHandler(self)
        gwlog.add_observer(self.observe)
        return self

    def __exit__(self, *exc) -> None:
        logging.getLogger().removeHandler(self)
        gwlog.remove_observer(self.observe)


def _matches(event: dict, name: str, fields: dict) -> bool:
    return event.get("event") == name and all(event.get(k) == v for k, v in fields.items())
