"""The channels the gateway knows, found rather than listed: adding a channel is one folder.

A channel is a package that exposes `CHANNEL`, a `ChannelKind`: its name, its config
section and settings class, the secrets it reads, and how to build it. The registry
finds them in two places:

- every subpackage of `gateway/channels/` whose `__init__` defines `CHANNEL` (the
  channels shipped with the gateway);
- the entry points of group `lapor_gateway.channels` (a channel shipped as its own
  distribution: `lapor_gateway.channels = whatsapp = lapor_whatsapp:CHANNEL`).

The service, config, metrics, ops server, status line, CLI and demo walk this registry
and name no channel; what a built channel adds to them it says itself (`Channel.metrics`,
`Channel.http_resources`, `Channel.status`).

A package's `__init__` should stay light (settings and this record): the config reads
every channel's settings class, even of channels that are off, and should not pay for
importing tweepy or python-telegram-bot to do so.
"""
from __future__ import annotations

import functools
import importlib
import pkgutil
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from importlib.metadata import entry_points
from typing import Any, Callable

from gateway.channels.base import Channel

ENTRY_POINT_GROUP = "lapor_gateway.channels"


@dataclass(frozen=True)
class ChannelKind:
    """What the gateway needs to know of a channel before one exists."""

    #: the name complaints and replies carry ("sms"); unique
    name: str
    #: its config section: `[channels.<section>]`; unique
    section: str
    #: the section's frozen dataclass: an `enabled` field, and `problems()` -> ["key: reason"]
    settings: type
    #: builds the channel: (settings, secrets, reactor) -> Channel. `secrets.get(name)`
    #: gives a `Secret` (`.reveal()`); only the names `accepts_secret` allows are asked
    build: Callable[[Any, Any, Any], Channel]
    #: the secrets the enabled channel cannot run without, given its settings
    required_secrets: Callable[[Any], list[str]] = lambda settings: []
    #: every secret name it may read (`[secrets.files]` keys, `LAPOR_<NAME>` variables)
    secret_names: tuple[str, ...] = ()
    #: names made of a prefix and any identifier, e.g. "smpp_password_" + a bind's name
    secret_prefixes: tuple[str, ...] = field(default=())

    def accepts_secret(self, name: str) -> bool:
        return name in self.secret_names or any(
            name.startswith(p) and name[len(p):].isidentifier() for p in self.secret_prefixes)


class RegistryError(Exception):
    """Two channels claim one name or section, or a registered object is not a ChannelKind."""


@functools.cache
def channel_kinds() -> dict[str, ChannelKind]:
    """Every registered channel by config section, built-in ones first (in folder order)."""
    kinds: dict[str, ChannelKind] = {}
    for kind in [*_built_in(), *_plugins()]:
        if not isinstance(kind, ChannelKind):
            raise RegistryError(f"{kind!r} is registered as a channel but is not a ChannelKind")
        clash = [k for k in kinds.values() if k.section == kind.section or k.name == kind.name]
        if clash:
            raise RegistryError(f"channel {kind.name!r} ([channels.{kind.section}]) clashes with"
                                f" {clash[0].name!r} ([channels.{clash[0].section}])")
        kinds[kind.section] = kind
    return kinds


def _built_in() -> Iterator[ChannelKind]:
    package = importlib.import_module("gateway.channels")
    for info in sorted(pkgutil.iter_modules(package.__path__), key=lambda i: i.name):
        if info.ispkg:
            kind = getattr(importlib.import_module(f"gateway.channels.{info.name}"), "CHANNEL", None)
            if kind is not None:
                yield kind


def _plugins() -> Iterator[ChannelKind]:
    for point in sorted(entry_points(group=ENTRY_POINT_GROUP), key=lambda p: p.name):
        try:
            yield point.load()
        except Exception as error:  # noqa: BLE001 - whatever a plugin's import raises
            raise RegistryError(f"the channel registered as {point.name!r} ({point.value}, entry point"
                                f" group {ENTRY_POINT_GROUP}) could not be loaded: {error}") from None


def accepts_secret(name: str) -> bool:
    """Whether some registered channel reads a secret of this name."""
    return any(kind.accepts_secret(name) for kind in channel_kinds().values())


class ChannelsSettings(Mapping):
    """The `[channels.*]` sections: each registered channel's settings, by section name
    (defaults for a section the file leaves out). `settings.channels.smpp` reads one."""

    def __init__(self, sections: Mapping[str, Any] | None = None):
        kinds = channel_kinds()
        given = dict(sections or {})
        unknown = sorted(set(given) - set(kinds))
        if unknown:
            raise KeyError(f"no channel has the section [channels.{unknown[0]}]")
        object.__setattr__(self, "_sections", {s: given.get(s) or k.settings() for s, k in kinds.items()})

    def __getitem__(self, section: str):
        return self._sections[section]

    def __iter__(self):
        return iter(self._sections)

    def __len__(self) -> int:
        return len(self._sections)

    def __getattr__(self, section: str):
        try:
            return self.__dict__["_sections"][section]
        except KeyError:
            raise AttributeError(section) from None

    def __setattr__(self, name, value):
        raise AttributeError("settings are read-only; use replace()")

    def __eq__(self, other) -> bool:
        return isinstance(other, ChannelsSettings) and self._sections == other._sections

    __hash__ = None

    def __repr__(self) -> str:
        return f"ChannelsSettings({self._sections!r})"

    def replace(self, **sections) -> "ChannelsSettings":
        """A copy with some sections swapped (tests, the demo)."""
        return ChannelsSettings({**self._sections, **sections})

    def enabled(self) -> Iterator[tuple[ChannelKind, Any]]:
        """(kind, settings) of each enabled channel, in registry order."""
        for section, kind in channel_kinds().items():
            if self._sections[section].enabled:
                yield kind, self._sections[section]
