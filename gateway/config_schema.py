"""Turns a parsed TOML table into typed settings dataclasses, naming file and key on error.

Why not a schema library: the errors must read `FILE: [section].key: what is wrong`
for admins editing by hand, and the settings are a handful of flat dataclasses;
this walker is the whole of it.
"""
from __future__ import annotations

import dataclasses
import types
import typing
from pathlib import Path


class ConfigError(Exception):
    """A config problem an admin must fix; the message names the file and the key."""

    exit_status = 78  # EX_CONFIG from sysexits.h: what systemd and ops expect


_TYPE_WORDS = {str: "a string", int: "an integer", float: "a number", bool: "true or false",
               list: "a list", dict: "a table", Path: "a path (string)"}


def build(cls, table: dict, source: str, where: str = ""):
    # `where` is the dotted path of the table being built ("" for the top level).
    """Build dataclass `cls` from `table`; unknown, missing and mistyped keys raise ConfigError."""
    hints = typing.get_type_hints(cls)
    # A field marked {"internal": True} is the program's, not the file's (Settings.source).
    fields = {f.name: f for f in dataclasses.fields(cls) if f.init and not f.metadata.get("internal")}
    unknown = sorted(set(table) - set(fields))
    if unknown:
        bad = f"{where}.{unknown[0]}" if where else unknown[0]
        raise ConfigError(f"{source}: unknown key {show_key(bad)}"
                          f" (known keys: {', '.join(sorted(fields))})")
    values = {}
    for name, field in fields.items():
        path = f"{where}.{name}" if where else name
        if name in table:
            values[name] = _convert(hints[name], table[name], source, path)
        elif field.default is dataclasses.MISSING and field.default_factory is dataclasses.MISSING:
            raise ConfigError(f"{source}: missing value for {show_key(path)}")
    return cls(**values)


def show_key(path: str) -> str:
    """Render a dotted path the way the TOML file reads: `[forwarder.local].latency_ms`."""
    section, _, name = path.rpartition(".")
    return f"[{section}].{name}" if section else name


def _convert(hint, value, source: str, path: str):
    origin = typing.get_origin(hint)
    args = typing.get_args(hint)
    if origin in (typing.Union, types.UnionType):
        if value is None and type(None) in args:
            return None
        inner = [a for a in args if a is not type(None)]
        return _convert(inner[0], value, source, path)
    key = show_key(path)
    if dataclasses.is_dataclass(hint):
        _expect(dict, value, source, key)
        return build(hint, value, source, path)
    if origin is dict:
        _expect(dict, value, source, key)
        return {k: _convert(args[1], v, source, f"{path}.{k}") for k, v in value.items()}
    if origin in (list, tuple):
        _expect(list, value, source, key)
        items = [_convert(args[0], v, source, f"{path}[{i}]") for i, v in enumerate(value)]
        return tuple(items) if origin is tuple else items
    if typing.get_origin(hint) is typing.Literal:
        if value not in args:
            choices = ", ".join(repr(a) for a in args)
            raise ConfigError(f"{source}: {key}: must be one of {choices}, got {value!r}")
        return value
    if hint is Path:
        _expect(str, value, source, key)
        return Path(value)
    if hint is float and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    _expect(hint, value, source, key)
    return value


def _expect(kind, value, source: str, key: str) -> None:
    # bool is an int subclass in Python, but `port = true` is a mistake, not a port.
    ok = isinstance(value, kind) and not (kind is int and isinstance(value, bool))
    if not ok:
        got = type(value).__name__
        raise ConfigError(f"{source}: {key}: must be {_TYPE_WORDS.get(kind, kind.__name__)}, got {got}"
                          f" {value!r}")


def not_positive(section, *keys: str) -> list[str]:
    """`key: must be greater than 0, got V` for each of `keys` of `section` that is not:
    the check most sections' `problems()` share (a window, an interval, a rate)."""
    return [f"{key}: must be greater than 0, got {getattr(section, key)}" for key in keys
            if getattr(section, key) <= 0]
