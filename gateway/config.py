"""One TOML file → typed, validated settings. Secrets come from the environment or files
(systemd's $CREDENTIALS_DIRECTORY included) and are never printed or logged.

Every section is one dataclass; `config/gateway.toml` documents every key. Relative
paths in the file are taken relative to the file's own folder, so a config and its
mapping can move together.
"""
from __future__ import annotations

import dataclasses
import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from gateway.channels.smpp.settings import SmppSettings
from gateway.channels.telegram.settings import TelegramSettings
from gateway.channels.x.settings import XSettings
from gateway.config_schema import ConfigError, build
from gateway.reply_text import ReplyTemplates  # the [replies.templates] section lives with its writer

__all__ = ["ConfigError", "Settings", "Secret", "load_config"]

#: every secret the gateway knows; each is looked up by `Secrets.get`
SECRET_NAMES = ("pseudonym_key", "smpp_password", "telegram_token", "x_bearer_token",
                "x_consumer_key", "x_consumer_secret", "x_access_token", "x_access_token_secret",
                "case_store_token", "http_intake_token", "telegram_webhook_secret")


@dataclass(frozen=True)
class GatewaySettings:
    state_directory: Path | None = None  # default: $STATE_DIRECTORY, else ./state
    drain_timeout_s: float = 20.0


@dataclass(frozen=True)
class StoreSettings:
    url: str = ""                       # default: SQLite file in the state directory
    migrate_on_start: bool = True
    group_commit_max: int = 500
    sqlite_synchronous: Literal["normal", "full"] = "normal"


@dataclass(frozen=True)
class LoggingSettings:
    level: Literal["debug", "info", "warning", "error"] = "info"
    format: Literal["auto", "json", "console"] = "auto"


@dataclass(frozen=True)
class ParserSettings:
    mapping: Path = Path("regions.yaml")


@dataclass(frozen=True)
class LocalCaseStoreSettings:
    first_tracking_number: int = 1_000_001
    latency_ms: int = 0                 # pretend to be a remote store (demos, drills)


@dataclass(frozen=True)
class HttpCaseStoreSettings:
    base_url: str = ""                  # e.g. "https://cases.lapor.go.id/v1"; POST {base_url}/complaints
    connect_timeout_s: float = 10.0


@dataclass(frozen=True)
class LaporXmlCaseStoreSettings:
    base_url: str = ""                  # POST {base_url}/api/stream/addstream
    connect_timeout_s: float = 10.0
    #: element carrying the complaint id inside <laporan>, so a retry can be recognised;
    #: "" sends the strict legacy format (see docs/forwarding.md for the residual risk)
    reference_element: str = "referensi"
    rahasia: bool = False               # mark reports confidential (rahasia="1")


@dataclass(frozen=True)
class ForwarderSettings:
    adapter: Literal["local", "http", "lapor-xml"] = "local"
    concurrency: int = 20
    timeout_s: float = 30.0
    retry_initial_s: float = 1.0
    retry_max_s: float = 300.0
    #: temporary failures in a row (no answer between) after which the store counts as down
    outage_after_failures: int = 5
    #: seconds between looks for `parsed` complaints the worker does not hold (admin retries)
    rescan_interval_s: float = 5.0
    anonymous: bool = True              # reports are anonymous toward the public side
    local: LocalCaseStoreSettings = field(default_factory=LocalCaseStoreSettings)
    http: HttpCaseStoreSettings = field(default_factory=HttpCaseStoreSettings)
    lapor_xml: LaporXmlCaseStoreSettings = field(default_factory=LaporXmlCaseStoreSettings)


@dataclass(frozen=True)
class RepliesSettings:
    retry_initial_s: float = 5.0
    retry_max_s: float = 600.0
    max_attempts: int = 20
    #: the longest tracking number the case store gives, in characters (template check)
    tracking_id_max_length: int = 12
    #: a repeated message is answered again only if its complaint's last reply is older
    #: than this (an SMSC redelivering after a lost response gets no second reply) ...
    duplicate_quiet_s: float = 600.0
    #: ... and at most this many times per complaint (0: never)
    duplicate_max_replies: int = 2
    templates: ReplyTemplates = field(default_factory=ReplyTemplates)


@dataclass(frozen=True)
class HttpIntakeSettings:
    enabled: bool = False
    listen: str = "127.0.0.1"
    port: int = 8708
    require_token: bool = False         # then the secret http_intake_token is needed


@dataclass(frozen=True)
class ChannelsSettings:
    http: HttpIntakeSettings = field(default_factory=HttpIntakeSettings)
    smpp: SmppSettings = field(default_factory=SmppSettings)
    x: XSettings = field(default_factory=XSettings)
    telegram: TelegramSettings = field(default_factory=TelegramSettings)


@dataclass(frozen=True)
class SecretsSettings:
    directory: Path | None = None       # default: $CREDENTIALS_DIRECTORY
    files: dict[str, Path] = field(default_factory=dict)


@dataclass(frozen=True)
class HttpSettings:
    """The ops HTTP server: /healthz, /readyz, /metrics, and the Telegram webhook."""

    enabled: bool = True
    listen: str = "127.0.0.1"
    port: int = 8780                    # 0: any free port (logged as "http server listening")


@dataclass(frozen=True)
class Settings:
    gateway: GatewaySettings = field(default_factory=GatewaySettings)
    store: StoreSettings = field(default_factory=StoreSettings)
    logging: LoggingSettings = field(default_factory=LoggingSettings)
    parser: ParserSettings = field(default_factory=ParserSettings)
    forwarder: ForwarderSettings = field(default_factory=ForwarderSettings)
    replies: RepliesSettings = field(default_factory=RepliesSettings)
    channels: ChannelsSettings = field(default_factory=ChannelsSettings)
    secrets: SecretsSettings = field(default_factory=SecretsSettings)
    http: HttpSettings = field(default_factory=HttpSettings)
    source: str = field(default="<defaults>", compare=False)

    @property
    def state_directory(self) -> Path:
        configured = self.gateway.state_directory or os.environ.get("STATE_DIRECTORY", "").split(":")[0]
        return Path(configured or "state").absolute()

    @property
    def store_url(self) -> str:
        return self.store.url or f"sqlite:///{self.state_directory / 'gateway.db'}"

    def secrets_resolver(self) -> "Secrets":
        return Secrets(self)

    def required_secrets(self) -> list[str]:
        """The secrets what is enabled here cannot run without (check-config looks for each)."""
        names = [b.password_secret for b in self.channels.smpp.binds] if self.channels.smpp.enabled else []
        if self.channels.x.enabled:
            names += ["x_bearer_token", "x_consumer_key", "x_consumer_secret", "x_access_token",
                      "x_access_token_secret"]
        if self.channels.telegram.enabled:
            names.append("telegram_token")
            if self.channels.telegram.mode == "webhook":
                names.append("telegram_webhook_secret")
        if self.channels.http.enabled and self.channels.http.require_token:
            names.append("http_intake_token")
        if self.forwarder.adapter != "local":
            names.append("case_store_token")
        return names


def is_secret_name(name: str) -> bool:
    # Several SMPP binds may each have a password: smpp_password, smpp_password_<bind>, ...
    return name in SECRET_NAMES or (name.startswith("smpp_password_") and name[14:].isidentifier())


class Secret:
    """A secret value that does not show itself in repr, str or logs."""

    __slots__ = ("_value", "origin")

    def __init__(self, value: str, origin: str):
        self._value = value
        self.origin = origin  # where it came from, safe to print

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return f"<secret from {self.origin}>"

    __str__ = __repr__


class Secrets:
    """Finds a secret: env `LAPOR_<NAME>`, then `[secrets].files.<name>`, then the credentials directory."""

    def __init__(self, settings: Settings):
        self._settings = settings

    def get(self, name: str, required: bool = True) -> Secret | None:
        if not is_secret_name(name):
            raise KeyError(name)
        env = f"LAPOR_{name.upper()}"
        if os.environ.get(env):
            return Secret(os.environ[env], f"env {env}")
        named = self._settings.secrets.files.get(name)
        if named is not None:
            return self._read(named, f"[secrets.files].{name}")
        directory = self._settings.secrets.directory or os.environ.get("CREDENTIALS_DIRECTORY")
        if directory and (Path(directory) / name).is_file():
            return self._read(Path(directory) / name, "$CREDENTIALS_DIRECTORY", "credentials directory")
        if required:
            raise ConfigError(f"{self._settings.source}: missing secret {name}: set {env}, put a file"
                              f" named {name} in $CREDENTIALS_DIRECTORY, or name one in [secrets.files]")
        return None

    def _read(self, path: Path, key: str, origin: str | None = None) -> Secret:
        try:
            value = path.read_text(encoding="utf-8").strip()
        except OSError as e:
            raise ConfigError(f"{self._settings.source}: {key}: cannot read secret file {path}:"
                              f" {e.strerror}") from None
        if not value:
            raise ConfigError(f"{self._settings.source}: {key}: secret file {path} is empty")
        return Secret(value, origin or f"file {path}")


def load_config(path: str | os.PathLike | None) -> Settings:
    """Read and validate a config file; None gives the embedded defaults."""
    if path is None:
        return Settings()
    path = Path(path)
    source = str(path)
    try:
        table = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as e:
        raise ConfigError(f"{source}: cannot read config: {e.strerror}") from None
    except tomllib.TOMLDecodeError as e:
        raise ConfigError(f"{source}: not valid TOML: {e}") from None
    settings = dataclasses.replace(build(Settings, table, source), source=source)
    _check_files(settings)
    return _resolve_paths(settings, path.parent)


def _check_files(settings: Settings) -> None:
    unknown = sorted(n for n in settings.secrets.files if not is_secret_name(n))
    if unknown:
        raise ConfigError(f"{settings.source}: unknown key [secrets.files].{unknown[0]}"
                          f" (secrets: {', '.join(SECRET_NAMES)})")
    _positive(settings, "store.group_commit_max", settings.store.group_commit_max)
    _positive(settings, "forwarder.concurrency", settings.forwarder.concurrency)
    _positive(settings, "replies.max_attempts", settings.replies.max_attempts)
    from gateway.forwarder.settings_check import check_forwarding  # keeps config import light
    check_forwarding(settings)
    if not 0 <= settings.channels.http.port < 65536:
        raise ConfigError(f"{settings.source}: [channels.http].port must be 0-65535 (0: any free port)")
    _check_store_url(settings)
    _check_smpp(settings)
    for name in ("x", "telegram"):
        section = getattr(settings.channels, name)
        for problem in section.problems() if section.enabled else ():
            raise ConfigError(f"{settings.source}: [channels.{name}].{problem}")


#: the databases the store runs on (psycopg 3 for PostgreSQL: the `postgres` extra)
STORE_URL_SCHEMES = ("sqlite:///", "postgresql://", "postgresql+psycopg://")


def _check_store_url(settings: Settings) -> None:
    url = settings.store.url
    if url and not url.startswith(STORE_URL_SCHEMES):
        scheme = url.split(":", 1)[0]
        raise ConfigError(f"{settings.source}: [store].url must be sqlite:///PATH or"
                          f" postgresql://USER@HOST/DB (empty: SQLite in the state directory),"
                          f" not a {scheme!r} URL")


def _check_smpp(settings: Settings) -> None:
    smpp = settings.channels.smpp
    names = [b.name for b in smpp.binds]
    if smpp.enabled and not names:
        raise ConfigError(f"{settings.source}: [channels.smpp] is enabled but has no [[channels.smpp.binds]]")
    if len(set(names)) != len(names):
        raise ConfigError(f"{settings.source}: [[channels.smpp.binds]] names must differ: {names}")
    for i, bind in enumerate(smpp.binds):
        where = f"channels.smpp.binds[{i}]"
        if not is_secret_name(bind.password_secret) or not bind.password_secret.startswith("smpp_password"):
            raise ConfigError(f"{settings.source}: [{where}].password_secret must be smpp_password"
                              f" or smpp_password_<name>, got {bind.password_secret!r}")
        _positive(settings, f"{where}.window", bind.window)
        _positive(settings, f"{where}.submit_per_second", bind.submit_per_second)
    _positive(settings, "channels.smpp.dedup_window_s", smpp.dedup_window_s)


def _positive(settings: Settings, dotted: str, value) -> None:
    if value <= 0:
        section, _, key = dotted.rpartition(".")
        raise ConfigError(f"{settings.source}: [{section}].{key} must be greater than 0, got {value}")


def _resolve_paths(settings: Settings, base: Path) -> Settings:
    def rel(p: Path | None) -> Path | None:
        return p if p is None or p.is_absolute() else (base / p)

    return dataclasses.replace(
        settings,
        gateway=dataclasses.replace(settings.gateway, state_directory=rel(settings.gateway.state_directory)),
        parser=dataclasses.replace(settings.parser, mapping=rel(settings.parser.mapping)),
        secrets=dataclasses.replace(settings.secrets, directory=rel(settings.secrets.directory),
                                    files={k: rel(v) for k, v in settings.secrets.files.items()}),
    )


#: the config a command reads when neither --config nor $LAPOR_CONFIG names one
DEFAULT_CONFIG = "config/gateway.toml"


def settings_for_command(explicit: str | None) -> "Settings":
    """The settings a command works with: `--config`, else `$LAPOR_CONFIG`, else
    config/gateway.toml in the working directory if present, else the built-in defaults."""
    path = explicit or os.environ.get("LAPOR_CONFIG") or (
        DEFAULT_CONFIG if os.path.exists(DEFAULT_CONFIG) else None)
    return load_config(path)
