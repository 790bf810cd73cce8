"""The keyword grammar, the typo policy and its traps, as tables of messages."""
from __future__ import annotations

import random
import string

import pytest

from gateway.model import RegionLevel, RoutingStatus
from gateway.parsers.names import base_name, shared_name_region
from gateway.parsers.normalise import squash

ROUTED = [
    # (text, code, body)
    ("PekalonganKota Jalan rusak di Jl. Merdeka", "33.75", "Jalan rusak di Jl. Merdeka"),
    ("Kab. Toli-Toli: jalan", "72.04", "jalan"),
    ("KabTolitoli jalan", "72.04", "jalan"),
    ("kab toli toli, jalan", "72.04", "jalan"),
    ("@lapor1708 @bupati #KotaMalang - sampah", "35.73", "sampah"),
    ("Malang Kota sampah", "35.73", "sampah"),
    ("Kab Malang sampah", "35.07", "sampah"),
    ("MalangKab: sampah", "35.07", "sampah"),
    ("Papua Barat Daya - x", "96", "x"),
    ("Papua Barat, x", "92", "x"),
    ("Papua x", "91", "x"),
    ("Jakarta Selatan banjir", "31.74", "banjir"),
    ("Kota Jakarta Selatan banjir", "31.74", "banjir"),
    ("Kepulauan Seribu banjir", "31.01", "banjir"),
    ("Jakarta banjir", "31", "banjir"),
    ("DKI: banjir", "31", "banjir"),
    ("Prov Gorontalo x", "75", "x"),
    ("Provinsi Jambi x", "15", "x"),
    ("Kota Jambi x", "15.71", "x"),
    ("Kalteng x", "62", "x"),
    ("Lima Puluh Kota: x", "13.07", "x"),
    ("KabSiak", "14.08", ""),
    # typos whose intent is clear
    ("PekalonganKot Jalan", "33.75", "Jalan"),
    ("KabBanyumass jalan", "33.02", "jalan"),
    ("Surakrta jalan", "33.72", "jalan"),
    ("Kxb. Kulon Progo jalan", "34.01", "jalan"),
    ("Kabupatn Siak jalan", "14.08", "jalan"),
    ("Papua Barta Daya: jalan", "96", "jalan"),
    ("Kab Serang Bedagai jalan", "12.18", "jalan"),
]

UNROUTED = [
    "Pasar induk becek", "Demam berdarah di kampung", "Kamar mandi sekolah rusak",
    "Pantai kotor sekali", "Buruk sekali pelayanannya", "Tanah longsor di desa",
    "Lima hari air mati", "Siap pak, saya lapor", "Lihat jalan ini", "Sampah menumpuk",
    "Malam hari lampu mati", "Kampung kami banjir", "Kota kami banjir", "KabPasar becek",
    "Kendari - Kota x".replace("Kendari", "Kendary"),
    # one slip from two regions (Siak, Sikka): not clear
    "KabSika jalan",
    # an exact short name followed by a likely misspelt longer name: not clear
    "Kab Nias Utama jalan",
    "", "   ", "@lapor1708", "#", "-:,.",
]


@pytest.mark.parametrize("text, code, body", ROUTED)
def test_routed(parser, text, code, body):
    routing = parser.parse(text)
    assert (routing.status, routing.region.code, routing.body) == (RoutingStatus.ROUTED, code, body)


@pytest.mark.parametrize("text", UNROUTED)
def test_unrouted(parser, text):
    routing = parser.parse(text)
    assert routing.status == RoutingStatus.UNROUTED and routing.region is None


def test_unrouted_body_is_text_without_mentions(parser):
    assert parser.parse("@lapor1708 @dinas  Pasar becek ").body == "Pasar becek"


# Names shared by a province and regions inside it (Jambi, Gorontalo) route to the province:
# see test_everyday_names.py. These have no safe reading.
@pytest.mark.parametrize("name, count", [("Pekalongan", 2), ("Banjar", 2), ("Solok", 2),
                                         ("Jayapura", 2), ("Tangerang", 2), ("Bandung", 2)])
def test_ambiguous(parser, name, count):
    routing = parser.parse(f"{name}: jalan rusak")
    assert routing.status == RoutingStatus.AMBIGUOUS and routing.region is None
    assert len(routing.candidates) == count and routing.body == "jalan rusak"


def test_about_28_shared_names(directory):
    shared = {f for r in directory for f in directory.shared_forms(r.code)}
    assert 26 <= len(shared) <= 30


def _styles(region):
    name = base_name(region)
    fused = name.replace(" ", "")
    if region.level == RegionLevel.KOTA:
        return [fused + "Kota", "Kota" + fused, "KOTA " + name.upper(), name + " Kota"]
    if region.level == RegionLevel.KABUPATEN:
        return ["Kab" + fused, fused + "Kab", "Kab. " + name, "Kabupaten " + name]
    return ["Prov " + name, "Provinsi" + fused]


def _reading(directory, text):
    """The region a correctly written form routes to: its own, the province for a name the
    province shares with regions inside it, None for an ambiguous name."""
    regions = directory.lookup(squash(text)).regions
    return regions[0] if len(regions) == 1 else shared_name_region(regions)


def test_every_region_answers_to_its_forms(directory, parser):
    for region in directory:
        for text in _styles(region) + [base_name(region)]:
            routing = parser.parse(f"{text}: Jalan rusak")
            reading = _reading(directory, text)
            expected = RoutingStatus.AMBIGUOUS if reading is None else RoutingStatus.ROUTED
            assert routing.status == expected, text
            assert routing.region == reading, text
            assert reading is None or reading == region or reading.code == region.code[:2], text
            assert routing.body == "Jalan rusak"


def _typo(text, rng):
    i = rng.choice([k for k, c in enumerate(text) if c.isalpha()])
    return rng.choice([
        text[:i] + text[i] + text[i:],                                  # doubled letter
        text[:i] + text[i + 1:],                                        # dropped letter
        text[:i] + rng.choice(string.ascii_lowercase) + text[i + 1:],   # wrong letter
        text[:i] + text[i + 1:i + 2] + text[i] + text[i + 2:],          # swapped letters
    ])


def test_typos_never_route_to_another_region(directory, parser):
    """Over every region and form, a single slip routes right (the region, or the province
    a shared bare name means) or nowhere. A slip that spells another region's name exactly
    (Bandung -> Badung) cannot be told apart and is skipped."""
    rng, hits, total = random.Random(1708), 0, 0
    for region in directory:
        for text in _styles(region) + [base_name(region)]:
            for _ in range(3):
                typo = _typo(text, rng)
                exact = directory.lookup(squash(typo))
                if exact is not None and region not in exact.regions:
                    continue
                routing = parser.parse(f"{typo} Jalan rusak")
                right = (region, _reading(directory, text))
                assert routing.region in (None, *right), (text, typo, routing.region)
                hits += routing.region is not None
                total += 1
    print(f"\nsingle-slip typos routed: {hits}/{total}")
    assert hits > total * 0.8
