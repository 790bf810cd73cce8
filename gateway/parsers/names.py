"""The rules that turn a region's official name into the forms citizens write.

These forms are generated in code rather than listed in `config/regions.yaml`, so the file only
holds what no rule can guess (abbreviations such as `Sumut`, operator codes such as `TANGKAB`),
and a fix to a rule reaches all 552 regions at once.

For a kota X:      XKota, KotaX, Kota X, X Kota, and the bare name X.
For a kabupaten X: KabX, XKab, Kab X, Kab. X, Kabupaten X, and the bare name X.
For a province P:  P, Prov P, Provinsi P.
Jakarta's "Kota Administrasi" / "Kabupaten Administrasi" units answer to the name without
"Administrasi" (`Jakarta Selatan`, `Kota Jakarta Selatan`) as well as to the full title, and
the special provinces to the name without "Daerah Istimewa" / "Daerah Khusus Ibukota"
(`Yogyakarta`, `Prov Jakarta`) as well as to the full one.

A bare name several regions share is read by `shared_name_region`: if it is a province's and
every other owner lies inside that province (`Jambi`, `Gorontalo`, `Yogyakarta`), it means the
province, which can act for all of them; otherwise (`Pekalongan`) it names no region.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

from gateway.model import Region, RegionLevel
from gateway.parsers.normalise import squash

_TITLES = {
    RegionLevel.KABUPATEN: ("Kabupaten Administrasi ", "Kabupaten "),
    RegionLevel.KOTA: ("Kota Administrasi ", "Kota "),
    # Longest first: "Daerah Khusus Ibukota " before "Daerah Khusus ".
    RegionLevel.PROVINSI: ("Provinsi ", "Daerah Istimewa ", "Daerah Khusus Ibukota ", "Daerah Khusus "),
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
    forms = _marked_forms(name, region.level)
    for marker in _ADMINISTRASI.get(region.level, ()):
        if region.name.split()[1:2] == ["Administrasi"]:
            forms.append(NameForm(marker + name, name, marker, True))
    full = squash(region.name)
    if region.level == RegionLevel.PROVINSI and full != name:
        # "Daerah Istimewa Yogyakarta" keeps its official forms beside the short ones.
        forms += _marked_forms(full, region.level)
    return forms


def _marked_forms(name: str, level: RegionLevel) -> list[NameForm]:
    """The squashed `name` alone and with each of its level's markers."""
    forms = [NameForm(name, name, "", True)]
    for marker, first in _MARKERS[level]:
        forms.append(NameForm(marker + name if first else name + marker, name, marker, first))
    return forms


def shared_name_region(regions: Sequence[Region]) -> Region | None:
    """The one region a name shared by `regions` may be routed to, or None if it is ambiguous.

    That is the province, when one of them is a province and all the others lie inside it
    ("Jambi": the province 15 and Kota Jambi 15.71). Whichever the citizen meant, the province
    is never the wrong agency; the kota or kabupaten is still reached with its marker
    ("Kota Jambi"). Names shared across provinces, or by a kabupaten and a kota alone
    ("Pekalongan"), have no such region: guessing there could reach the wrong agency.
    """
    provinces = [r for r in regions if r.level == RegionLevel.PROVINSI]
    if len(provinces) != 1:
        return None
    inside = provinces[0].code + "."
    if all(r == provinces[0] or r.code.startswith(inside) for r in regions):
        return provinces[0]
    return None


def name_words(region: Region) -> frozenset[str]:
    """The lower-case words of the name, e.g. {"tanah", "laut"} for Kabupaten Tanah Laut."""
    return frozenset(w for w in squash_words(base_name(region)))


def squash_words(text: str) -> list[str]:
    """Words of `text`, each squashed (so "Toli-Toli" stays one word, "tolitoli")."""
    return [s for s in (squash(w) for w in text.split()) if s]
