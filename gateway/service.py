"""Assembles the gateway — store, parser, forwarder, outbox, channels — and runs its life:
start, resume, drain, stop.

Start order matters: the store is opened (and its schema checked) and unfinished work
is resumed before any channel takes new messages. Stop is the reverse: channels stop
taking messages first, then in-flight commits finish, then the store closes.
"""
from __future__ import annotations

import dataclasses
import os
import secrets as _random

from twisted.internet.defer import inlineCallbacks

from gateway import logging as gwlog
from gateway import metrics
from gateway.config import ConfigError, Settings, load_config
from gateway.forwarder.local import LocalCaseStore
from gateway.forwarder.pause_memory import PauseMemory, load_pause
from gateway.forwarder.worker import ForwardingWorker
from gateway.outbox import Outbox
from gateway.pauses import ChannelPauses
from gateway.pipeline import Pipeline
from gateway.reply_text import ReplyWriter
from gateway.store import open_store

log = gwlog.get_logger(__name__)


def load_pseudonym_key(settings: Settings) -> bytes:
    """The key for pseudonyms in logs: configured, or made once and kept in the state directory."""
    secret = settings.secrets_resolver().get("pseudonym_key", required=False)
    if secret is not None:
        return secret.reveal().encode()
    path = settings.state_directory / "pseudonym.key"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(_random.token_hex(32))
    return path.read_text().strip().encode()


def load_parser(settings: Settings):
    """The keyword parser over the configured region mapping (raises MappingError if broken)."""
    from gateway.parsers.keyword import KeywordParser
    from gateway.parsers.regions import load_directory
    return KeywordParser(load_directory(settings.parser.mapping)).parse


def build_channels(settings: Settings, reactor) -> dict:
    channels = {}
    http = settings.channels.http
    if http.enabled:
        from gateway.channels.local import LocalChannel
        token = (settings.secrets_resolver().get("http_intake_token").reveal()
                 if http.require_token else None)
        channels["local"] = LocalChannel(reactor, http.listen, http.port, token)
    smpp = settings.channels.smpp
    if smpp.enabled:
        from gateway.channels.smpp.channel import SmppChannel
        secrets = settings.secrets_resolver()
        passwords = {b.name: secrets.get(b.password_secret).reveal() for b in smpp.binds}
        channels["sms"] = SmppChannel(smpp, passwords, reactor)
    if settings.channels.x.enabled:
        from gateway.channels.x import from_settings as x_channel
        channels["x"] = x_channel(settings.channels.x, settings.secrets_resolver(), reactor)
    if settings.channels.telegram.enabled:
        from gateway.channels.telegram import from_settings as telegram_channel
        channels["telegram"] = telegram_channel(settings.channels.telegram, settings.secrets_resolver(),
                                                reactor)
    return channels


class GatewayService:
    def __init__(self, settings: Settings, reactor, channels: dict | None = None, clock=None):
        self.settings = settings
        self.reactor = reactor
        #: the replies' timers and pauses (a task.Clock in tests that drive rate limits)
        self.clock = clock or reactor
        self.channels = channels if channels is not None else build_channels(settings, reactor)
        self.store = None
        self.pipeline: Pipeline | None = None
        self.forwarder: ForwardingWorker | None = None
        self.outbox: Outbox | None = None
        self._parse = load_parser(settings)  # fails fast, before anything is opened
        self._replies = ReplyWriter(settings.replies.templates)
        self.stopping = False
        #: reloads whose region mapping was refused since start (lapor_mapping_reload_failures_total)
        self.mapping_reload_failures = 0
        #: True while the last reload's mapping was refused: the status line says so
        self.mapping_reload_refused = False

    @inlineCallbacks
    def start(self):
        s = self.settings
        self.store = yield open_store(s.store_url, self.reactor, migrate_on_start=s.store.migrate_on_start,
                                      sqlite_synchronous=s.store.sqlite_synchronous,
                                      group_commit_max=s.store.group_commit_max)
        log.info("store open", schema=self.store.schema_outcome, url=_safe_url(s.store_url))
        # Through lambdas, so that a reload's new ReplyWriter takes effect at once.
        pauses = ChannelPauses(self.store, self.clock)
        yield pauses.load()
        self.outbox = Outbox(self.store, self.channels, self.clock,
                             retry_initial_s=s.replies.retry_initial_s,
                             retry_max_s=s.replies.retry_max_s, max_attempts=s.replies.max_attempts,
                             pauses=pauses,
                             duplicate_text=lambda tracking: self._replies.for_duplicate(tracking),
                             duplicate_quiet_s=s.replies.duplicate_quiet_s,
                             duplicate_max_replies=s.replies.duplicate_max_replies,
                             rescan_interval_s=s.forwarder.rescan_interval_s)
        case_store_paused = yield load_pause(self.store)
        self.forwarder = ForwardingWorker(
            self._case_store(), self.store, self.reactor, concurrency=s.forwarder.concurrency,
            timeout_s=s.forwarder.timeout_s, retry_initial_s=s.forwarder.retry_initial_s,
            retry_max_s=s.forwarder.retry_max_s,
            reply_for=lambda complaint, tracking: self._replies.for_complaint(complaint, tracking),
            on_reply=self.outbox.send, outage_after_failures=s.forwarder.outage_after_failures,
            rescan_interval_s=s.forwarder.rescan_interval_s, paused_until=case_store_paused,
            remember_pause=PauseMemory(self.store).remember)
        self.pipeline = Pipeline(self.store, self.forwarder, self.outbox, self._parse)
        yield self.pipeline.resume()
        for channel in self.channels.values():
            yield channel.start(metrics.CountedIntake(self.pipeline))
        yield self.pipeline.resume_replies()
        log.info("gateway ready", channels=sorted(self.channels))

    def _case_store(self):
        """The configured case-store adapter ([forwarder].adapter)."""
        fwd = self.settings.forwarder
        if fwd.adapter == "local":
            return LocalCaseStore(self.store, self.reactor, fwd.local.first_tracking_number,
                                  fwd.local.latency_ms, anonymous=fwd.anonymous)
        token = self.settings.secrets_resolver().get("case_store_token").reveal()
        if fwd.adapter == "http":
            from gateway.forwarder.http_json import HttpJsonCaseStore
            return HttpJsonCaseStore(self.reactor, fwd.http.base_url, token,
                                     connections=fwd.concurrency,
                                     connect_timeout_s=fwd.http.connect_timeout_s,
                                     anonymous=fwd.anonymous)
        from gateway.forwarder.lapor_xml import LaporXmlCaseStore
        xml = fwd.lapor_xml
        return LaporXmlCaseStore(self.reactor, xml.base_url, token, connections=fwd.concurrency,
                                 connect_timeout_s=xml.connect_timeout_s, anonymous=fwd.anonymous,
                                 rahasia=xml.rahasia, reference_element=xml.reference_element)

    def reload(self) -> bool:
        """Swap in the region mapping and the config file's [replies.templates], both or
        neither: a broken mapping or config leaves the old ones in force. Other config
        changes need a restart."""
        templates = self.settings.replies.templates
        if self.settings.source != "<defaults>":
            try:
                templates = load_config(self.settings.source).replies.templates
            except ConfigError as error:
                log.error("config not reloaded; the old mapping and reply templates stay in force",
                          error=str(error))
                return False
        try:
            parse = load_parser(self.settings)
        except Exception as error:  # noqa: BLE001 - any failure keeps the old mapping
            log.error("region mapping not reloaded; the old one stays in force", error=str(error))
            self.mapping_reload_failures += 1
            self.mapping_reload_refused = True
            return False
        self.mapping_reload_refused = False
        # Both in one reactor turn: no complaint sees the new mapping with the old templates.
        self._parse, self._replies = parse, ReplyWriter(templates)
        self.settings = dataclasses.replace(
            self.settings, replies=dataclasses.replace(self.settings.replies, templates=templates))
        if self.pipeline is not None:
            self.pipeline.parse = parse
        log.info("region mapping reloaded", mapping=str(self.settings.parser.mapping),
                 reply_templates=self.settings.source)
        return True

    @inlineCallbacks
    def stop(self):
        """Graceful drain: stop intake, let in-flight commits finish, close the store."""
        log.info("draining")
        self.stopping = True  # /readyz answers 503 from now on
        for channel in self.channels.values():
            try:
                yield channel.stop()
            except Exception as error:  # noqa: BLE001 - keep draining the others
                log.error("channel did not stop cleanly", channel=channel.name, error=str(error))
        if self.store is None:
            return
        yield self.store.drain()
        yield self.forwarder.stop()
        yield self.outbox.stop()
        yield self.store.drain()
        self.store.close()
        log.info("stopped", accepted=self.pipeline.accepted, forwarded=self.forwarder.forwarded)


def _safe_url(url: str) -> str:
    """A database URL without its password, for logs."""
    if "@" not in url:
        return url
    scheme, rest = url.split("://", 1)
    return f"{scheme}://***@{rest.rsplit('@', 1)[1]}"
