"""One TOML file → typed, validated settings. Secrets come from the environment or files
(systemd's $CREDENTIALS_DIRECTORY included) and are never printed or logged.

Each section's dataclass lives beside the code it configures and says what is wrong
with it (`problems()`); a channel's section comes from the channel registry. This module
only reads the file, builds the sections, collects their problems and finds secrets —
`run` and `check-config` both load through `load_config`, so they refuse alike.
`config/gateway.toml` documents every key. Relative paths in the file are taken
relative to the file's own folder, so a config and its mapping can move together.
"""
from __future__ import annotations

import dataclasses
import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from gateway.channels.registry import ChannelsSettings, accepts_secret, channel_kinds
from gateway.config_schema import ConfigError, build_into, config_error, not_positive, show_key
from gateway.forwarder.settings import TOKEN_SECRET as CASE_STORE_TOKEN
from gateway.forwarder.settings import ForwarderSettings
from gateway.http_settings import HttpSettings
from gateway.logging import LoggingSettings
from gateway.parsers.settings import ParserSettings
from gateway.reply_settings import RepliesSettings
from gateway.journal.settings import DatabaseSettings

__all__ = ["ConfigError", "Settings", "Secret", "load_config"]

#: the secrets that belong to no channel; the case store signs its events with the
#: last one (without it, `POST /case-store/events` is not served)
CORE_SECRETS = ("pseudonym_key", CASE_STORE_TOKEN, "case_store_webhook_secret")


@dataclass(frozen=True)
class GatewaySettings:
    state_directory: Path | None = None  # default: $STATE_DIRECTORY, else ./state
    drain_timeout_s: float = 20.0
    instance_id: str = ""                # default: host:pid (see journal/leases.py)
    lease_ttl_s: float = 30.0            # a claim's life without renewal (several instances)

    def problems(self) -> list[str]:
        return not_positive(self, "drain_timeout_s", "lease_ttl_s")


@dataclass(frozen=True)
class SecretsSettings:
    directory: Path | None = None       # default: $CREDENTIALS_DIRECTORY
    files: dict[str, Path] = field(default_factory=dict)

    def problems(self) -> list[str]:
        unknown = sorted(n for n in self.files if not is_secret_name(n))
        return [f"files.{name}: unknown secret name (secrets: {', '.join(secret_names())})"
                for name in unknown]


@dataclass(frozen=True)
class Settings:
    gateway: GatewaySettings = field(default_factory=GatewaySettings)
    database: DatabaseSettings = field(default_factory=DatabaseSettings)
    logging: LoggingSettings = field(default_factory=LoggingSettings)
    parser: ParserSettings = field(default_factory=ParserSettings)
    forwarder: ForwarderSettings = field(default_factory=ForwarderSettings)
    replies: RepliesSettings = field(default_factory=RepliesSettings)
    channels: ChannelsSettings = field(default_factory=ChannelsSettings)
    secrets: SecretsSettings = field(default_factory=SecretsSettings)
    http: HttpSettings = field(default_factory=HttpSettings)
    #: the file these came from (not a key of the file)
    source: str = field(default="<defaults>", compare=False, metadata={"internal": True})
    #: old spellings the file used that still work this release (check-config and run say so)
    deprecated: tuple[str, ...] = field(default=(), compare=False, metadata={"internal": True})

    @property
    def state_directory(self) -> Path:
        configured = self.gateway.state_directory or os.environ.get("STATE_DIRECTORY", "").split(":")[0]
        return Path(configured or "state").absolute()

    @property
    def database_url(self) -> str:
        return self.database.url or f"sqlite:///{self.state_directory / 'gateway.db'}"

    def secrets_resolver(self) -> "Secrets":
        return Secrets(self)

    def required_secrets(self) -> list[str]:
        """The secrets what is enabled here cannot run without (check-config looks for each)."""
        names = [n for kind, section in self.channels.enabled() for n in kind.required_secrets(section)]
        return list(dict.fromkeys(names + self.forwarder.required_secrets()))

    def problems(self) -> list[str]:
        """Every problem of every section, as `[section].key: reason`, in file order."""
        found = []
        for f in dataclasses.fields(self):
            section = getattr(self, f.name)
            if hasattr(section, "problems"):
                found += [_in_section(f.name, p) for p in section.problems()]
        for kind, section in self.channels.enabled():
            found += [_in_section(f"channels.{kind.section}", p) for p in section.problems()]
        return found


def _in_section(section: str, problem: str) -> str:
    """`key: reason` of `section` as the file reads it: `[forwarder.http].base_url: reason`."""
    key, _, reason = problem.partition(": ")
    return f"{show_key(f'{section}.{key}')}: {reason}"


def secret_names() -> list[str]:
    """Every secret name with a fixed spelling (an SMS bind may also name smpp_password_<bind>)."""
    return [*CORE_SECRETS, *(n for kind in channel_kinds().values() for n in kind.secret_names)]


def is_secret_name(name: str) -> bool:
    return name in CORE_SECRETS or accepts_secret(name)


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


class GivenSecrets:
    """Secrets handed over in code — the demo's fakes, tests — looked up like `Secrets`."""

    def __init__(self, values: dict[str, str]):
        self._values = dict(values)

    def get(self, name: str, required: bool = True) -> Secret | None:
        if name in self._values:
            return Secret(self._values[name], "given")
        if required:
            raise ConfigError(f"missing secret {name}")
        return None


def with_channels(settings: Settings, **sections) -> Settings:
    """`settings` with some `[channels.*]` sections swapped (the demo, tests)."""
    return dataclasses.replace(settings, channels=settings.channels.replace(**sections))


def load_config(path: str | os.PathLike | None) -> Settings:
    """Read and validate a config file; None gives the embedded defaults. Every problem
    found is in the one ConfigError raised."""
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
    renamed = _rename_old_sections(table, source)
    try:
        problems: list[str] = []
        channels = _channel_sections(table.pop("channels", {}), problems)
        built = build_into(Settings, table, "", problems)
        if problems:   # every key that is unknown, missing or mistyped, anywhere in the file
            raise config_error(source, problems)
        settings = dataclasses.replace(built, channels=channels, source=source,
                                       deprecated=tuple(f"{source}: [{old}] is now called [{new}]; the"
                                                        f" old name works until the next release"
                                                        for old, new in renamed))
        problems = settings.problems()
        if problems:
            raise config_error(source, problems)
    except ConfigError as error:
        raise ConfigError(_as_written(str(error), renamed)) from None
    return _resolve_paths(settings, path.parent)


#: sections renamed, by old name: accepted one release after the rename, with a notice
RENAMED_SECTIONS = {"store": "database"}   # "store" now means only the central case store


def _rename_old_sections(table: dict, source: str) -> list[tuple[str, str]]:
    """Move a section found under its old name to its new one; (old, new) of each moved."""
    moved = []
    for old, new in RENAMED_SECTIONS.items():
        if old in table and new in table:
            raise ConfigError(f"{source}: [{old}] and [{new}] are one section (its old and new name);"
                              f" keep [{new}]")
        if old in table:
            table[new] = table.pop(old)
            moved.append((old, new))
    return moved


def _as_written(message: str, renamed: list[tuple[str, str]]) -> str:
    """A message about a renamed section names it as the file does."""
    for old, new in renamed:
        message = message.replace(f"[{new}]", f"[{old}]").replace(f"[{new}.", f"[{old}.")
    return message


def _channel_sections(table, problems: list[str]) -> ChannelsSettings | None:
    """The `[channels.*]` sections, each built as its registered channel's settings; None
    when it adds to `problems`."""
    kinds = channel_kinds()
    if not isinstance(table, dict):
        problems.append(f"channels must be a table, got {type(table).__name__}")
        return None
    found = len(problems)
    problems += [f"unknown section [channels.{name}] (channels: {', '.join(kinds)})"
                 for name in sorted(set(table) - set(kinds))]
    problems += [f"[channels.{name}] must be a table, got {value!r}" for name, value in table.items()
                 if name in kinds and not isinstance(value, dict)]
    built = {section: build_into(kinds[section].settings, value, f"channels.{section}", problems)
             for section, value in table.items() if section in kinds and isinstance(value, dict)}
    return ChannelsSettings(built) if len(problems) == found else None


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
