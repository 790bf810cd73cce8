"""The rules that turn a region's official name into the forms citizens write.

These forms are generated in code rather than listed in `config/regions.yaml`, so the file only
holds what no rule can guess (abbreviations such as `Sumut`, operator codes such as `TANGKAB`),
and a fix to a rule reaches all 552 regions at once.

For a kota X:      XKota, KotaX, Kota X, X Kota, and the bare name X.
For a kabupaten X: KabX, XKab, Kab X, Kab. X, Kabupaten X, and the bare name X.
For a province P:  P, Prov P, Provinsi P.
Jakarta's "Kota Administrasi" / "Kabupaten Administrasi" units answer to the name without
"Administrasi" (`Jakarta Selatan`, `Kota Jakarta Selatan`) as well as to the full title.
"""
from __future__ import annotations

from dataclasses import dataclass

from gateway.model import Region, RegionLevel
from gateway.parsers.normalise import squash

_TITLES = {
    RegionLevel.KABUPATEN: ("Kabupaten Administrasi ", "Kabupaten "),
    RegionLevel.KOTA: ("Kota Administrasi ", "Kota "),
    RegionLevel.PROVINSI: ("Provinsi ",),
}
# (marker, placed before the name?) for each level.
_MARKERS = {
    RegionLevel.KABUPATEN: (("kab", True), ("kabupaten", True), ("kab", False)),
    RegionLevel.KOTA: (("kota", True), ("kota", False)),
    RegionLevel.PROVINSI: (("prov", True), ("provinsi", True)),
}
_ADMINISTRASI = {RegionLevel.KABUPATEN: ("kabadministrasi", "kabadm"),
                 RegionLevel.KOTA: ("kotaadministrasi", "kotaadm")}

# Marker words, so the typo guard can tell a marker from a name word.
MARKER_WORDS = frozenset({"kab", "kabupaten", "kota", "prov", "provinsi", "adm", "administrasi"})


@dataclass(frozen=True)
class NameForm:
    """One squashed form of a region's name, and what the typo rules need to know about it."""

    form: str          # squashed, e.g. "kabsiak"
    name: str          # the squashed name without marker, e.g. "siak"
    marker: str        # "" for a bare name, else the squashed marker, e.g. "kab"
    marker_first: bool  # True if the marker comes before the name


def base_name(region: Region) -> str:
    """The name without its title: "Kota Administrasi Jakarta Selatan" -> "Jakarta Selatan"."""
    for title in _TITLES[region.level]:
        if region.name.startswith(title):
            return region.name[len(title):]
    return region.name


def name_forms(region: Region) -> list[NameForm]:
    """Every generated form of `region`'s name, bare name first."""
    name = squash(base_name(region))
    forms = [NameForm(name, name, "", True)]
    for marker, first in _MARKERS[region.level]:
        forms.append(NameForm(marker + name if first else name + marker, name, marker, first))
    for marker in _ADMINISTRASI.get(region.level, ()):
        if region.name.split()[1:2] == ["Administrasi"]:
            forms.append(NameForm(marker + name, name, marker, True))
    return forms


def name_words(region: Region) -> frozenset[str]:
    """The lower-case words of the name, e.g. {"tanah", "laut"} for Kabupaten Tanah Laut."""
    return frozenset(w for w in squash_words(base_name(region)))


def squash_words(text: str) -> list[str]:
    """Words of `text`, each squashed (so "Toli-Toli" stays one word, "tolitoli")."""
    return [s for s in (squash(w) for w in text.split()) if s]
