"""Admins' local names for a kecamatan or desa, checked like keywords.

A place keeps its Kemendagri name, but villagers may call it otherwise ("Talun Kidul" for a
desa officially "Talunkidul", an old name after a split). The mapping file may list such
aliases under the place's own code, among the regions:

    "33.26.05":
      aliases:
        - Talun Lor   # what the market side calls it (Diskominfo Pekalongan, 2025)

After its marker ("Kec. Talun Lor") an alias names that place, as the official name does.
Because a marked name routes complaints, an alias is refused where a keyword would be
(`keyword_rules.keyword_problem`: ordinary words, three letters or fewer, malformed), when it
is a stopword or marker word the rules never read as a name, when it is already the name of
another place of its kind (it would turn that place's complaints ambiguous), and when two
places claim it.
"""
from __future__ import annotations

import re

from gateway.parsers.gazetteer import base_gazetteer, kinds_of, name_key
from gateway.parsers.keyword_rules import keyword_problem
from gateway.parsers.mapping_file import RawEntry
from gateway.parsers.places import NEVER_A_NAME

PLACE_CODE = re.compile(r"[0-9]{2}\.[0-9]{2}\.[0-9]{2}(\.[0-9]{4})?\Z")


def check_place_entry(entry: RawEntry, report, claimed: dict) -> tuple[str, tuple[str, ...]] | None:
    """(code, aliases) of a sound place entry, else None with each problem reported.
    `claimed` ((kind, key) -> (code, line)) finds an alias two places give."""
    code, value = entry.key, entry.value
    gazetteer = base_gazetteer()
    if code not in gazetteer:
        report(entry.line, f"unknown place code {code!r}: not a Kemendagri kecamatan or desa code")
        return None
    name = gazetteer.name(code)
    if not isinstance(value, dict) or set(value) != {"aliases"}:
        report(entry.line, f"entry for the place {code} ({name}) takes one field, 'aliases': a list")
        return None
    aliases = value["aliases"]
    if not isinstance(aliases, list) or not aliases:
        report(entry.field_lines.get("aliases", entry.line),
               f"aliases of {code} must be a list, one '- ALIAS' line each, not {aliases!r}")
        return None
    ok = True
    for i, alias in enumerate(aliases):
        line = entry.keyword_lines[i] if i < len(entry.keyword_lines) else entry.line
        problem = _alias_problem(alias, code, name, gazetteer, claimed, line)
        if problem is not None:
            report(line, problem)
            ok = False
    return (code, tuple(aliases)) if ok else None


def _alias_problem(alias, code: str, name: str, gazetteer, claimed: dict, line: int) -> str | None:
    problem = keyword_problem(alias, code)
    if problem is not None:
        return problem.replace("keyword", "alias")
    key = name_key(alias)
    if key in NEVER_A_NAME:
        return f"alias {alias!r} of {code} is a word the rules never read as a place name"
    if key == name_key(name):
        return f"alias {alias!r} of {code} is its official name already"
    for kind in kinds_of(code):
        others = [c for c in gazetteer.candidates(kind, key) if c != code]
        if others:
            return (f"alias {alias!r} of {code} ({name}) is the name of {others[0]} "
                    f"{gazetteer.name(others[0])}: complaints naming that place would turn ambiguous")
        first = claimed.setdefault((kind, key), (code, line))
        if first[0] != code:
            return f"alias {alias!r} is claimed by two places: {first[0]} (line {first[1]}) and {code}"
    return None
