"""structlog JSON lines on stdout (journald), a readable console form on a terminal,
Twisted's log and the libraries' stdlib loggers bridged in, personal data masked.

Personal data (UU PDP): phone numbers, X handles and Telegram chat ids are logged only
as a keyed hash (`pseudonym`), stable across restarts so ops can follow one citizen's
messages through the journal without learning who it is. Message text is logged only
at DEBUG. As a last line of defence, anything that looks like a phone number in a
free-text field is masked too.
"""
from __future__ import annotations

import hashlib
import hmac
import logging
import re
import sys
from dataclasses import dataclass
from typing import Literal

import structlog
from twisted.logger import LogLevel, formatEvent, globalLogBeginner

#: event keys whose values are personal data: replaced by their pseudonym
PERSONAL_KEYS = frozenset({"sender", "recipient", "address", "phone", "msisdn", "handle",
                           "chat_id", "user_id", "reporter"})
#: event keys whose values are message text: kept only at DEBUG
TEXT_KEYS = frozenset({"text", "body", "raw_text", "reply_text"})

# +62 / 62 / 0 prefixed Indonesian numbers and other long digit runs that may be MSISDNs
_PHONE_RE = re.compile(r"(?<![\w.])\+?\d[\d \-]{7,16}\d(?![\w.])")

_key: bytes = b"unset"


@dataclass(frozen=True)
class LoggingSettings:
    """The `[logging]` config section."""

    level: Literal["debug", "info", "warning", "error"] = "info"
    #: "auto": JSON lines when stdout is not a terminal (journald), readable on a terminal
    format: Literal["auto", "json", "console"] = "auto"
    #: seconds between "throughput" lines (counts and rates since the last one); 0: none
    throughput_interval_s: float = 60.0

    def problems(self) -> list[str]:
        if self.throughput_interval_s < 0:
            return [f"throughput_interval_s: must not be negative, got {self.throughput_interval_s}"]
        return []


def set_pseudonym_key(key: bytes) -> None:
    global _key
    _key = key


def pseudonym(value: object) -> str:
    """A stable keyed hash of a personal identifier, safe for logs."""
    digest = hmac.new(_key, str(value).encode("utf-8"), hashlib.sha256).hexdigest()
    return "p:" + digest[:12]


def _mask_personal(_logger, method, event: dict) -> dict:
    for key in PERSONAL_KEYS & event.keys():
        if event[key] is not None:
            event[key] = pseudonym(event[key])
    return event


def _drop_text_above_debug(_logger, method, event: dict) -> dict:
    if method != "debug":
        for key in TEXT_KEYS & event.keys():
            event[key] = f"<{len(str(event[key]))} chars>"
    return event


def _mask_phone_like(_logger, method, event: dict) -> dict:
    # Only free text: structured fields are masked by key, and ids must stay readable.
    for key in ("event", "exception"):
        value = event.get(key)
        if isinstance(value, str):
            event[key] = _PHONE_RE.sub(lambda m: pseudonym(re.sub(r"[ \-]", "", m.group())), value)
    return event


def _shared_processors(logger_name=structlog.stdlib.add_logger_name) -> list:
    return [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        logger_name,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        _mask_personal,
        _drop_text_above_debug,
        structlog.processors.format_exc_info,
        _mask_phone_like,
    ]


#: callables given each of our events as logged (masked), before rendering: tests wait on
#: them instead of sleeping (tests/logwatch.py)
_observers: list = []


def add_observer(observer) -> None:
    _observers.append(observer)


def remove_observer(observer) -> None:
    if observer in _observers:
        _observers.remove(observer)


def _notify_observers(_logger, _method, event: dict) -> dict:
    for observer in _observers:
        observer(dict(event))
    return event


def _bound_logger_name(_logger, _method, event: dict) -> dict:
    # Our own loggers write directly (no stdlib logger to ask): `get_logger` binds the name.
    event.setdefault("logger", event.pop("_logger", None))
    return event


class _Current:
    """What `configure` chose last: loggers are cached on first use (building one per
    call cost more than the line itself), so they consult this rather than keep a copy."""

    threshold = logging.INFO
    stream = sys.stdout
    renderer = structlog.processors.JSONRenderer(ensure_ascii=False)


class _Output:
    """The stream our loggers write to: whichever `configure` named last."""

    @staticmethod
    def write(text: str) -> None:
        _Current.stream.write(text)

    @staticmethod
    def flush() -> None:
        _Current.stream.flush()


def _render(logger, method, event: dict) -> str:
    return _Current.renderer(logger, method, event)


def _leveled(name: str, number: int):
    def method(self, event=None, *args, **kw):
        if number < _Current.threshold:
            return None
        if args:
            event = event % args
        return self._proxy_to_logger(name, event, **kw)
    method.__name__ = name
    return method


class _GatewayLogger(structlog.BoundLoggerBase):
    """structlog's bound logger with the level checked first, against the current one."""

    debug = _leveled("debug", logging.DEBUG)
    info = _leveled("info", logging.INFO)
    warning = warn = _leveled("warning", logging.WARNING)
    error = _leveled("error", logging.ERROR)
    critical = _leveled("critical", logging.CRITICAL)

    def exception(self, event=None, *args, **kw):
        kw.setdefault("exc_info", True)
        return self.error(event, *args, **kw)


def configure(level: str = "info", fmt: str = "auto", stream=None) -> None:
    """Send every log (structlog, stdlib, Twisted) through one pipeline to `stream`."""
    stream = stream or sys.stdout
    if fmt == "auto":
        fmt = "console" if stream.isatty() else "json"
    renderer = (structlog.dev.ConsoleRenderer(colors=False) if fmt == "console"
                else structlog.processors.JSONRenderer(ensure_ascii=False))
    numeric = getattr(logging, level.upper())
    # Our own events skip the stdlib machinery (a LogRecord, a handler, a formatter): they
    # are rendered and written directly, and a call below the level costs next to
    # nothing — a complaint's debug lines are many, its info lines two (issue 13).
    _Current.threshold, _Current.stream, _Current.renderer = numeric, stream, renderer
    structlog.configure(
        processors=[*_shared_processors(_bound_logger_name), _notify_observers, _render],
        logger_factory=structlog.WriteLoggerFactory(_Output()),
        wrapper_class=_GatewayLogger,
        cache_logger_on_first_use=True,
    )
    handler = logging.StreamHandler(stream)
    handler.setFormatter(structlog.stdlib.ProcessorFormatter(
        processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta, renderer],
        foreign_pre_chain=_shared_processors()[1:],
    ))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(numeric)
    # One line per HTTP request (httpx under python-telegram-bot, Twisted's HTTP client
    # factories) or per migration step would drown the journal; we log our own summary.
    for noisy in ("httpx", "alembic", "twisted.web.client._HTTP11ClientFactory"):
        logging.getLogger(noisy).setLevel(max(numeric, logging.WARNING))
    _bridge_twisted()


_TWISTED_LEVELS = {LogLevel.debug: logging.DEBUG, LogLevel.info: logging.INFO,
                   LogLevel.warn: logging.WARNING, LogLevel.error: logging.ERROR,
                   LogLevel.critical: logging.CRITICAL}
_bridged = False


def _twisted_observer(event: dict) -> None:
    level = _TWISTED_LEVELS.get(event.get("log_level"), logging.INFO)
    logger = logging.getLogger(event.get("log_namespace") or "twisted")
    if not logger.isEnabledFor(level):
        return
    text = formatEvent(event)
    failure = event.get("log_failure")
    if failure is not None:
        text = f"{text}\n{failure.getTraceback()}"
    logger.log(level, text)


def _bridge_twisted() -> None:
    global _bridged
    if _bridged:
        return
    _bridged = True
    # redirectStandardIO=False: otherwise Twisted wraps stdout and breaks the JSON lines.
    globalLogBeginner.beginLoggingTo([_twisted_observer], redirectStandardIO=False,
                                     discardBuffer=True)


def get_logger(name: str):
    return structlog.get_logger(_logger=name)
