"""The region-keyword mapping file (`config/regions.yaml`): reading it with line numbers,
editing it without losing the admins' comments, and writing it atomically.

Reading has two paths. The daemon must (re)load the file in well under 200 ms, and a pure
Python YAML parser needs about 300 ms for 552 regions, so `read_document` first tries a
strict line reader for the layout the file is shipped in (which is also what the editing
commands write). Any line outside that layout (flow mappings, anchors, odd indentation,
values YAML would type as numbers or null; `true`/`false` it reads as ruamel does) sends
the whole file to ruamel.yaml's round-trip loader instead, so hand-written YAML of any
shape still loads with the same meaning, only more slowly. Edits always go through
ruamel's round-trip mode, which keeps comments, quoting and order.
"""
from __future__ import annotations

import io
import os
import re
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import YAMLError

from gateway.parsers.normalise import squash


#: the list fields whose items' lines are kept: a region's keywords, a place's aliases
LISTED_NAMES = ("keywords", "aliases")


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a mapping file, where an admin can find it."""

    path: str
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.message}"


class MappingError(Exception):
    """The mapping file cannot be used; the message lists every problem as `PATH:LINE: text`."""

    def __init__(self, problems: list[Problem] | tuple[Problem, ...]):
        self.problems = tuple(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


@dataclass
class RawEntry:
    """One region entry as written, before validation."""

    key: object                 # the YAML key; a valid one is a str code such as "33.75"
    line: int
    value: object               # a valid one is a dict with name, level, keywords
    field_lines: dict[str, int] = field(default_factory=dict)
    keyword_lines: list[int] = field(default_factory=list)   # of `keywords` or `aliases`


@dataclass
class RawDocument:
    """A mapping file as written: top-level keys and region entries, each with its line."""

    path: str
    top: dict = field(default_factory=dict)          # top-level key -> value
    top_lines: dict = field(default_factory=dict)    # top-level key -> line
    entries: list[RawEntry] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)  # YAML syntax errors


def read_document(path: str | os.PathLike) -> RawDocument:
    """Read the mapping file at `path`. A missing or unreadable file is a problem, not a crash."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        return RawDocument(str(path), problems=[Problem(str(path), 1, f"cannot read: {exc}")])
    return parse_text(text, str(path))


def parse_text(text: str, path: str) -> RawDocument:
    """Parse mapping-file text: the fast line reader if the layout allows, else ruamel.yaml."""
    try:
        return _FastReader(path).read(text)
    except _Unsupported:
        return _read_with_ruamel(text, path)


# --- the fast reader for the shipped layout -------------------------------------------------

class _Unsupported(Exception):
    """The text uses YAML the fast reader does not handle; ruamel.yaml must read it."""


_TOP = re.compile(r"(version|regions):(?: +(.*?))? *\Z")
_KEY = re.compile(r"  (\"[0-9.]*\"|'[0-9.]*'):\Z")
_FIELD = re.compile(r"    ([a-z_]+):(?: +(.*?))? *\Z")
_ITEM = re.compile(r"      - (.*?) *\Z")
_PLAIN = re.compile(r"[A-Za-z][A-Za-z0-9 .'()/\-]*\Z")
_INT = re.compile(r"[0-9]+\Z")
# Plain words YAML 1.1 or 1.2 would not read as strings.
_RESERVED = frozenset({"true", "false", "null", "yes", "no", "on", "off", "y", "n"})
# The booleans of YAML 1.2 (ruamel's default), as `disabled: true` writes them.
_BOOLEANS = {"true": True, "True": True, "TRUE": True, "false": False, "False": False, "FALSE": False}


class _FastReader:
    def __init__(self, path: str):
        self.doc = RawDocument(path)
        self.entry: RawEntry | None = None
        self.seq_field: str | None = None  # field awaiting "- item" lines

    def read(self, text: str) -> RawDocument:
        for number, raw in enumerate(text.splitlines(), 1):
            line = _strip_comment(raw).rstrip(" ")
            if not line:
                continue
            if "\t" in line or line.startswith("   ") and not line.startswith("    "):
                raise _Unsupported
            if line[0] != " ":
                self._top(line, number)
            elif line.startswith("      - "):
                self._item(line, number)
            elif line.startswith("    ") and line[4] != " ":
                self._field(line, number)
            elif line[2] != " ":
                self._key(line, number)
            else:
                raise _Unsupported
        return self.doc

    def _top(self, line: str, number: int) -> None:
        match = _TOP.match(line)
        if not match or match.group(1) in self.doc.top_lines:
            raise _Unsupported
        name, value = match.groups()
        if name == "regions":
            if value is not None:
                raise _Unsupported
            value = {}
        elif value is None or not _INT.match(value):
            raise _Unsupported
        else:
            value = int(value)
        self.doc.top[name], self.doc.top_lines[name] = value, number
        self.entry, self.seq_field = None, None

    def _key(self, line: str, number: int) -> None:
        match = _KEY.match(line)
        if not match or "regions" not in self.doc.top or list(self.doc.top_lines)[-1] != "regions":
            raise _Unsupported
        key = match.group(1)[1:-1]
        if key in self.doc.top["regions"]:
            raise _Unsupported  # duplicate: let ruamel report it with both lines
        self.entry = RawEntry(key, number, {})
        self.doc.top["regions"][key] = self.entry.value
        self.doc.entries.append(self.entry)
        self.seq_field = None

    def _field(self, line: str, number: int) -> None:
        match = _FIELD.match(line)
        if not match or self.entry is None or match.group(1) in self.entry.value:
            raise _Unsupported
        name, value = match.groups()
        self.entry.field_lines[name] = number
        if value is None:
            self.entry.value[name] = None
            self.seq_field = name
            return
        self.seq_field = None
        if value.startswith("["):
            self.entry.value[name] = _flow_list(value)
            self.entry.keyword_lines.extend([number] * len(self.entry.value[name]))
        else:
            self.entry.value[name] = _scalar(value)

    def _item(self, line: str, number: int) -> None:
        if self.entry is None or self.seq_field is None:
            raise _Unsupported
        items = self.entry.value[self.seq_field]
        if items is None:
            items = self.entry.value[self.seq_field] = []
        items.append(_scalar(_ITEM.match(line).group(1)))
        if self.seq_field in LISTED_NAMES:
            self.entry.keyword_lines.append(number)


def _strip_comment(line: str) -> str:
    if "#" not in line:
        return line
    quote = None
    for i, ch in enumerate(line):
        if quote:
            if ch == quote:
                quote = None
        elif ch in "\"'" and (i == 0 or line[i - 1] in " [,-:"):
            quote = ch
        elif ch == "#" and (i == 0 or line[i - 1] == " "):
            return line[:i]
    return line


def _scalar(value: str) -> str | bool:
    if value in _BOOLEANS:
        return _BOOLEANS[value]
    if len(value) >= 2 and value[0] == value[-1] == '"' and not any(c in value[1:-1] for c in '"\\'):
        return value[1:-1]
    if len(value) >= 2 and value[0] == value[-1] == "'" and "'" not in value[1:-1].replace("''", ""):
        return value[1:-1].replace("''", "'")
    if _PLAIN.match(value) and value.lower() not in _RESERVED:
        return value
    raise _Unsupported


def _flow_list(value: str) -> list[str]:
    if not value.endswith("]") or any(c in value for c in "\"'{}") or value.count("[") != 1:
        raise _Unsupported
    inner = value[1:-1].strip()
    return [_scalar(item.strip()) for item in inner.split(",")] if inner else []


# --- ruamel.yaml: the general reader and the editor -----------------------------------------

def _round_trip_yaml() -> YAML:
    yaml = YAML(typ="rt")
    yaml.preserve_quotes = True
    yaml.indent(mapping=2, sequence=4, offset=2)
    yaml.width = 4096
    return yaml


def _read_with_ruamel(text: str, path: str) -> RawDocument:
    doc = RawDocument(path)
    try:
        data = _round_trip_yaml().load(text)
    except YAMLError as exc:
        mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
        line = mark.line + 1 if mark is not None else 1
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        doc.problems.append(Problem(path, line, f"YAML syntax: {problem}"))
        return doc
    if not isinstance(data, CommentedMap):
        doc.problems.append(Problem(path, 1, "the file must be a mapping with a 'regions' key"))
        return doc
    for key, value in data.items():
        doc.top[key], doc.top_lines[key] = value, data.lc.key(key)[0] + 1
    regions = data.get("regions")
    if isinstance(regions, CommentedMap):
        for key, value in regions.items():
            entry = RawEntry(key, regions.lc.key(key)[0] + 1, value)
            if isinstance(value, CommentedMap):
                entry.field_lines = {k: value.lc.key(k)[0] + 1 for k in value}
                keywords = next((value[k] for k in LISTED_NAMES if k in value), None)
                if isinstance(keywords, CommentedSeq):
                    entry.keyword_lines = [keywords.lc.item(i)[0] + 1 for i in range(len(keywords))]
            doc.entries.append(entry)
    return doc


class MappingEditor:
    """Round-trip edits of the mapping file: comments, order and quoting survive."""

    def __init__(self, path: str | os.PathLike):
        self.path = Path(path)
        self._yaml = _round_trip_yaml()
        try:
            self.data = self._yaml.load(self.path.read_text(encoding="utf-8"))
        except YAMLError as exc:
            raise MappingError(_read_with_ruamel(self.path.read_text(encoding="utf-8"),
                                                 str(self.path)).problems) from exc
        if not isinstance(self.data, CommentedMap) or not isinstance(self.data.get("regions"), CommentedMap):
            raise MappingError([Problem(str(self.path), 1, "the file has no 'regions' mapping")])

    def entry(self, code: str) -> CommentedMap | None:
        for key, value in self.data["regions"].items():
            if str(key) == code and isinstance(value, CommentedMap):
                return value
        return None

    def add_keyword(self, code: str, keyword: str) -> bool:
        """Add `keyword` to region `code`; False if it already has it (compared squashed)."""
        entry = self._require(code)
        keywords = entry.get("keywords")
        if not isinstance(keywords, list):
            keywords = CommentedSeq()
            entry["keywords"] = keywords
        if any(squash(str(k)) == squash(keyword) for k in keywords):
            return False
        keywords.append(keyword)
        return True

    def remove_keyword(self, code: str, keyword: str) -> bool:
        """Remove `keyword` (compared squashed) from region `code`; False if it was not there."""
        keywords = self._require(code).get("keywords")
        if not isinstance(keywords, list):
            return False
        for i, existing in enumerate(keywords):
            if squash(str(existing)) == squash(keyword):
                del keywords[i]
                if not keywords:
                    del self._require(code)["keywords"]
                return True
        return False

    def text(self) -> str:
        out = io.StringIO()
        self._yaml.dump(self.data, out)
        return out.getvalue()

    def _require(self, code: str) -> CommentedMap:
        entry = self.entry(code)
        if entry is None:
            raise KeyError(code)
        return entry


def write_atomically(path: str | os.PathLike, text: str) -> None:
    """Replace the file at `path` with `text` so a reader (or a crash) never sees half a file."""
    path = Path(path)
    directory = path.parent if str(path.parent) else Path(".")
    mode = path.stat().st_mode & 0o7777 if path.exists() else 0o644
    fd, tmp = tempfile.mkstemp(dir=directory, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write(text)
            out.flush()
            os.fsync(out.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    dir_fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)
