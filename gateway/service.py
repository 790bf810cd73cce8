"""Assembles the gateway — journal, parser, forwarder, outbox, channels, the desk for the
case store's status events — and runs its life: start, resume, drain, stop.

Start order matters: the database is opened (and its schema checked) and unfinished work
is resumed before any channel takes new messages. Stop is the reverse: channels stop
taking messages first, then in-flight commits finish, then the database closes.
"""
from __future__ import annotations

import dataclasses
import os
import secrets as _random

from twisted.internet.defer import fail, inlineCallbacks

from gateway import logging as gwlog
from gateway import metrics
from gateway.config import ConfigError, Settings, load_config
from gateway.citizen_desk import CitizenDesk
from gateway.forwarder.adapters import build_case_store
from gateway.forwarder.base import StatusUnavailable
from gateway.forwarder.settings import TOKEN_SECRET
from gateway.forwarder.pause_memory import PauseMemory, load_pause
from gateway.forwarder.worker import ForwardingWorker
from gateway.intake_first import IntakeFirst
from gateway.leadership import Leadership
from gateway.outbox import Outbox
from gateway.pauses import ChannelPauses
from gateway.pipeline import Pipeline
from gateway.reply_text import ReplyWriter
from gateway.update_text import UpdateWriter
from gateway.updates.desk import CaseEventDesk
from gateway.updates.webhook import SECRET_NAME as WEBHOOK_SECRET
from gateway.journal import Lease, default_instance_id, open_journal

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
    path = settings.parser.mapping_path
    if not path.is_file():   # the key to fix, not only the file that is missing
        raise ConfigError(f"{settings.source}: [parser].mapping: no mapping file at {path}")
    return KeywordParser(load_directory(path)).parse


def build_channels(settings: Settings, reactor, secrets=None) -> dict:
    """Every enabled channel, built by its registered kind, by channel name. `secrets`
    (default: the config's) gives each the secrets it reads; nothing connects yet."""
    secrets = secrets or settings.secrets_resolver()
    channels = {}
    for kind, section in settings.channels.enabled():
        channel = kind.build(section, secrets, reactor)
        channels[channel.name] = channel
    return channels


def check_ready_to_run(settings: Settings, reactor) -> dict:
    """What `run` builds before it opens anything — the parser over the mapping, the
    channels, every secret needed — without connecting: `check-config`'s whole check, so
    that it refuses what `run` refuses. The channels built, by name."""
    load_parser(settings)
    channels = build_channels(settings, reactor)
    resolver = settings.secrets_resolver()
    for name in settings.required_secrets():
        resolver.get(name)  # a missing one is a ConfigError naming it
    return channels


class GatewayService:
    def __init__(self, settings: Settings, reactor, channels: dict | None = None, clock=None,
                 secrets=None):
        """`channels` (default: built from the settings) and `secrets` (default: the
        config's; the demo hands its fakes' over) are for tests and the demo."""
        self.settings = settings
        self.reactor = reactor
        #: the replies' timers and pauses (a task.Clock in tests that drive rate limits)
        self.clock = clock or reactor
        self._secrets = secrets or settings.secrets_resolver()
        self.channels = channels if channels is not None else build_channels(settings, reactor,
                                                                             self._secrets)
        for name in settings.forwarder.required_secrets():
            self._secrets.get(name)  # fails fast (78), before anything is opened
        self.journal = None
        self.intake_first: IntakeFirst | None = None
        self.pipeline: Pipeline | None = None
        self.forwarder: ForwardingWorker | None = None
        self.outbox: Outbox | None = None
        #: one per polling channel: whether this instance runs its poller (see `_poll`)
        self.pollers: list[Leadership] = []
        self._parse = load_parser(settings)  # fails fast, before anything is opened
        self._replies = ReplyWriter(settings.replies.templates)
        self._updates = UpdateWriter(settings.replies.templates.updates)
        #: the case store the forwarder uses (replaced when a reload brings a new token)
        self.case_store = None
        self.desk = None      # answers the citizens' commands (CitizenDesk)
        #: takes the case store's status events (`POST /case-store/events`) once started
        self.case_events: CaseEventDesk | None = None
        self.stopping = False
        self._case_store_token: str | None = None   # the one in use, to see a reload change it
        #: reloads whose region mapping was refused since start (lapor_mapping_reload_failures_total)
        self.mapping_reload_failures = 0
        #: True while the last reload's mapping was refused: the status line says so
        self.mapping_reload_refused = False

    @inlineCallbacks
    def start(self):
        s = self.settings
        db = s.database
        # Several instances may share a PostgreSQL: claim the work (one SQLite has one).
        lease = (Lease(s.gateway.instance_id or default_instance_id(), s.gateway.lease_ttl_s)
                 if s.database_url.startswith("postgresql") else None)
        self.journal = yield open_journal(s.database_url, self.reactor, migrate_on_start=db.migrate_on_start,
                                          sqlite_synchronous=db.sqlite_synchronous,
                                          group_commit_max=db.group_commit_max, lease=lease)
        log.info("database open", schema=self.journal.schema_outcome, url=_safe_url(s.database_url))
        # On the reactor, not the test clock: it measures how fast messages come in.
        self.intake_first = IntakeFirst(self.reactor, lambda: self.journal.committer.intake_waiting)
        # Through lambdas, so that a reload's new ReplyWriter takes effect at once.
        pauses = ChannelPauses(self.journal, self.clock)
        yield pauses.load()
        self.outbox = Outbox(self.journal, self.channels, self.clock, s.replies, pauses=pauses,
                             duplicate_text=lambda tracking: self._replies.for_duplicate(tracking),
                             rescan_interval_s=s.forwarder.rescan_interval_s,
                             intake_first=self.intake_first)
        case_store_paused = yield load_pause(self.journal)
        if TOKEN_SECRET in s.forwarder.required_secrets():
            self._case_store_token = self._secrets.get(TOKEN_SECRET).reveal()
        self.case_store = build_case_store(s.forwarder, self._secrets, self.journal, self.reactor)
        self.forwarder = ForwardingWorker(
            self.case_store, self.journal,
            self.reactor, s.forwarder,
            reply_for=lambda complaint, tracking: self._replies.for_complaint(complaint, tracking),
            on_reply=self.outbox.send, paused_until=case_store_paused,
            remember_pause=PauseMemory(self.journal).remember, intake_first=self.intake_first)
        self.forwarder.start_rescans()
        self.desk = CitizenDesk(self.journal, self.outbox, lambda: self.settings.replies.commands,
                                self.case_status, self.reactor, s.forwarder.status_timeout_s + 1.0)
        self.pipeline = Pipeline(self.journal, self.forwarder, self.outbox, self._parse,
                                 intake_first=self.intake_first, desk=self.desk)
        yield self.pipeline.resume()
        yield self.desk.resume()
        for channel in self.channels.values():
            yield channel.start(metrics.CountedIntake(self.pipeline))
            if channel.polls():
                yield self._poll(channel, lease)
        yield self.pipeline.resume_replies()
        self.case_events = CaseEventDesk(
            self.journal, self.outbox.send, lambda *event: self._updates.for_event(*event),
            s.replies.updates_per_case_per_day)
        log.info("gateway ready", channels=sorted(self.channels))

    def case_status(self, tracking_id: str):
        """Where the case numbered `tracking_id` stands, from the case store in use: a
        Deferred of `CaseStatus`, failing `StatusNotFound` or `StatusUnavailable` (see
        `gateway.forwarder.base`) within `[forwarder].status_timeout_s`."""
        if self.case_store is None:   # not started (yet)
            return fail(StatusUnavailable("the gateway is starting"))
        return self.case_store.status(tracking_id)

    def webhook_secret(self) -> str | None:
        """The secret the case store signs its events with; None: the endpoint is off."""
        secret = self._secrets.get(WEBHOOK_SECRET, required=False)
        return secret.reveal() if secret is not None else None

    def _poll(self, channel, lease):
        """The channel polls while this instance holds its poller, `poller:<name>`: one
        instance at a time among several on one PostgreSQL, always with SQLite."""
        poller = Leadership(self.journal, f"poller:{channel.name}", lease, self.reactor,
                            on_gain=channel.start_polling, on_lose=channel.stop_polling)
        self.pollers.append(poller)
        return poller.start()

    def reload(self) -> bool:
        """Swap in the region mapping and the config file's [replies.templates], both or
        neither: a broken mapping or config leaves the old ones in force; and a changed
        case-store token. Other config changes need a restart."""
        self._reload_case_store_token()
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
        self._updates = UpdateWriter(templates.updates)
        self.settings = dataclasses.replace(
            self.settings, replies=dataclasses.replace(self.settings.replies, templates=templates))
        if self.pipeline is not None:
            self.pipeline.parse = parse
        log.info("region mapping reloaded", mapping=str(self.settings.parser.mapping_path),
                 reply_templates=self.settings.source)
        return True

    def _reload_case_store_token(self) -> None:
        """A token changed in its secret file (ops fixing a refused one): forward with it
        from now on, and try the case store at once."""
        if self.forwarder is None or TOKEN_SECRET not in self.settings.forwarder.required_secrets():
            return
        try:
            token = self._secrets.get(TOKEN_SECRET).reveal()
        except ConfigError as error:
            log.error("case-store token not reloaded; the old one stays in use", error=str(error))
            return
        if token == self._case_store_token:
            return
        self._case_store_token = token
        self.case_store = build_case_store(self.settings.forwarder, self._secrets, self.journal, self.reactor)
        self.forwarder.replace_case_store(self.case_store)
        log.info("case-store token reloaded")

    @inlineCallbacks
    def stop(self):
        """Graceful drain: stop intake, let in-flight commits finish, close the database."""
        log.info("draining")
        self.stopping = True  # /readyz answers 503 from now on
        self.case_events = None   # the case store's events: 503, sent again later
        for poller in self.pollers:   # polling stopped, the job handed over at once
            yield poller.stop()
        for channel in self.channels.values():
            try:
                yield channel.stop()
            except Exception as error:  # noqa: BLE001 - keep draining the others
                log.error("channel did not stop cleanly", channel=channel.name, error=str(error))
        if self.journal is None:
            return
        if self.intake_first is not None:
            self.intake_first.stop()
        if self.desk is not None:
            self.desk.stop()
        yield self.journal.drain()
        # A start that failed half-way has opened the database but not built the rest.
        for part in (self.forwarder, self.outbox):
            if part is not None:
                yield part.stop()
        yield self.journal.drain()
        self.journal.close()
        if self.pipeline is not None:
            log.info("stopped", accepted=self.pipeline.accepted, forwarded=self.forwarder.forwarded)


def _safe_url(url: str) -> str:
    """A database URL without its password, for logs."""
    if "@" not in url:
        return url
    scheme, rest = url.split("://", 1)
    return f"{scheme}://***@{rest.rsplit('@', 1)[1]}"
