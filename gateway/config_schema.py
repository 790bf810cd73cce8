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


def config_error(source: str, problems: list[str]) -> ConfigError:
    """One ConfigError for `problems` (each `key: what is wrong`) found in `source`."""
    if len(problems) == 1:
        return ConfigError(f"{source}: {problems[0]}")
    return ConfigError(f"{source}: {len(problems)} problems:\n  " + "\n  ".join(problems))


class _Mistyped(Exception):
    """One value of the wrong type or choice: `key: what is wrong`."""


def build_into(cls, table: dict, where: str, problems: list[str]):
    """Dataclass `cls` built from `table` (at dotted path `where`, "" for the top level),
    or None when it adds to `problems` (`key: what is wrong`). Every unknown, missing and
    mistyped key is found before the caller raises one `config_error` naming them all: an
    admin fixes a file in one go, not one error per start."""
    hints = typing.get_type_hints(cls)
    # A field marked {"internal": True} is the program's, not the file's (Settings.source).
    fields = {f.name: f for f in dataclasses.fields(cls) if f.init and not f.metadata.get("internal")}
    found = len(problems)
    problems += [f"unknown key {show_key(f'{where}.{name}' if where else name)}"
                 f" (known keys: {', '.join(sorted(fields))})" for name in sorted(set(table) - set(fields))]
    values = {}
    for name, field in fields.items():
        path = f"{where}.{name}" if where else name
        if name in table:
            try:
                values[name] = _convert(hints[name], table[name], path, problems)
            except _Mistyped as mistyped:
                problems.append(str(mistyped))
        elif field.default is dataclasses.MISSING and field.default_factory is dataclasses.MISSING:
            problems.append(f"missing value for {show_key(path)}")
    return cls(**values) if len(problems) == found else None


def show_key(path: str) -> str:
    """Render a dotted path the way the TOML file reads: `[forwarder.local].latency_ms`."""
    section, _, name = path.rpartition(".")
    return f"[{section}].{name}" if section else name


def _convert(hint, value, path: str, problems: list[str]):
    origin = typing.get_origin(hint)
    args = typing.get_args(hint)
    if origin in (typing.Union, types.UnionType):
        if value is None and type(None) in args:
            return None
        inner = [a for a in args if a is not type(None)]
        return _convert(inner[0], value, path, problems)
    key = show_key(path)
    if dataclasses.is_dataclass(hint):
        _expect(dict, value, key)
        return build_into(hint, value, path, problems)
    if origin is dict:
        _expect(dict, value, key)
        return {k: _convert(args[1], v, f"{path}.{k}", problems) for k, v in value.items()}
    if origin in (list, tuple):
        _expect(list, value, key)
        items = [_convert(args[0], v, f"{path}[{i}]", problems) for i, v in enumerate(value)]
        return tuple(items) if origin is tuple else items
    if typing.get_origin(hint) is typing.Literal:
        if value not in args:
            choices = ", ".join(repr(a) for a in args)
            raise _Mistyped(f"{key}: must be one of {choices}, got {value!r}")
        return value
    if hint is Path:
        _expect(str, value, key)
        return Path(value)
    if hint is float and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    _expect(hint, value, key)
    return value


def _expect(kind, value, key: str) -> None:
    # bool is an int subclass in Python, but `port = true` is a mistake, not a port.
    ok = isinstance(value, kind) and not (kind is int and isinstance(value, bool))
    if not ok:
        got = type(value).__name__
        raise _Mistyped(f"{key}: must be {_TYPE_WORDS.get(kind, kind.__name__)}, got {got} {value!r}")


def not_positive(section, *keys: str) -> list[str]:
    """`key: must be greater than 0, got V` for each of `keys` of `section` that is not:
    the check most sections' `problems()` share (a window, an interval, a rate)."""
    return [f"{key}: must be greater than 0, got {getattr(section, key)}" for key in keys
            if getattr(section, key) <= 0]
