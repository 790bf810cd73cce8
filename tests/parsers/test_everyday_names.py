"""Everyday names (Jogja, Solo, Jaksel, ...), the province rule for shared names, and
tolerant openings (emoji and marks around the keyword), as tables of messages.

The rules are in docs/regions.md; the tables below are what that page promises.
"""
from __future__ import annotations

import re

import pytest

from gateway.model import RegionLevel, RoutingStatus
from gateway.parsers.names import base_name, shared_name_region
from tests.parsers.conftest import REPO_ROOT

ROUTED = [
    # (text, code, body)
    # -- tolerant openings
    ("🙏 PekalonganKota Jalan rusak di Jl. Merdeka", "33.75", "Jalan rusak di Jl. Merdeka"),
    ("🙏🙏PekalonganKota jalan rusak", "33.75", "jalan rusak"),
    ("KOTA PEKALONGAN!!! Lampu jalan mati", "33.75", "Lampu jalan mati"),
    ("KOTA PEKALONGAN !!! Lampu jalan mati", "33.75", "Lampu jalan mati"),
    ("Kab Pekalongan; Jembatan retak", "33.26", "Jembatan retak"),
    ('"Solo": Sampah menumpuk', "33.72", "Sampah menumpuk"),
    ("“Solo” sampah menumpuk", "33.72", "sampah menumpuk"),
    ("'Kab Siak' - air mati", "14.08", "air mati"),
    ("#KabSiak!! air mati", "14.08", "air mati"),
    ("*Kab Siak*: air mati", "14.08", "air mati"),
    ("**KotaMalang** sampah", "35.73", "sampah"),
    ("!!! Kota Malang !!! sampah", "35.73", "sampah"),
    ("-- KabMalang -- sampah", "35.07", "sampah"),
    (":: Jaksel :: banjir", "31.74", "banjir"),
    ("@lapor1708 🙏 Jaksel banjir lagi", "31.74", "banjir lagi"),
    ("🙏 @lapor1708 Jaksel banjir", "31.74", "banjir"),
    ("(Tangsel) jalan berlubang", "36.74", "jalan berlubang"),
    ("Tangsel🙏 jalan berlubang", "36.74", "jalan berlubang"),
    ("KabSiak 😡 air mati", "14.08", "air mati"),
    ("DIY/ pohon tumbang", "34", "pohon tumbang"),
    ("Jogja? macet parah", "34", "macet parah"),
    ("Solo – jalan rusak", "33.72", "jalan rusak"),
    ('Solo "jalan rusak" katanya', "33.72", '"jalan rusak" katanya'),
    ("Solo (mohon) jalan diperbaiki", "33.72", "(mohon) jalan diperbaiki"),
    ("Solo - @bupati jalan rusak", "33.72", "@bupati jalan rusak"),
    ("Jaktim: #banjir lagi", "31.75", "#banjir lagi"),
    ("KabBanyumass!!! jalan", "33.02", "jalan"),       # a typo, with marks
    # -- everyday names
    ("Jogja macet di Malioboro", "34", "macet di Malioboro"),
    ("JOGJA: sampah", "34", "sampah"),
    ("Yogya sampah menumpuk", "34", "sampah menumpuk"),
    ("Jogjakarta, parkir liar", "34", "parkir liar"),
    ("DI Yogyakarta jalan", "34", "jalan"),
    ("Kota Jogja sampah", "34.71", "sampah"),
    ("JogjaKota sampah", "34.71", "sampah"),
    ("Kota Yogya sampah", "34.71", "sampah"),
    ("Solo jalan rusak", "33.72", "jalan rusak"),
    ("Kota Solo jalan rusak", "33.72", "jalan rusak"),
    ("Jaksel banjir", "31.74", "banjir"),
    ("Jakbar banjir", "31.73", "banjir"),
    ("Jakpus banjir", "31.71", "banjir"),
    ("Jakut rob", "31.72", "rob"),
    ("JAKTIM: banjir", "31.75", "banjir"),
    ("Pulau Seribu kapal", "31.01", "kapal"),
    ("Tangsel jalan berlubang", "36.74", "jalan berlubang"),
    ("Tangkab jalan", "36.03", "jalan"),
    ("TANGKAB - jalan", "36.03", "jalan"),
    ("kab bdg jalan rusak", "32.04", "jalan rusak"),
    ("Kab. Bdg: jalan rusak", "32.04", "jalan rusak"),
    ("Kota Bdg macet", "32.73", "macet"),
    ("Makasar banjir", "73.71", "banjir"),
    ("Ujung Pandang banjir", "73.71", "banjir"),
    ("Suroboyo panas", "35.78", "panas"),
    # -- a name shared by a province and regions inside it: the province; with Kota, the kota
    ("Yogyakarta jalan", "34", "jalan"),
    ("Kota Yogyakarta jalan", "34.71", "jalan"),
    ("YogyakartaKota jalan", "34.71", "jalan"),
    ("Prov Yogyakarta jalan", "34", "jalan"),
    ("Jambi jalan", "15", "jalan"),
    ("Kota Jambi jalan", "15.71", "jalan"),
    ("JambiKota jalan", "15.71", "jalan"),
    ("Bengkulu jalan", "17", "jalan"),
    ("Kota Bengkulu jalan", "17.71", "jalan"),
    ("BengkuluKota jalan", "17.71", "jalan"),
    ("Gorontalo jalan", "75", "jalan"),
    ("Kota Gorontalo jalan", "75.71", "jalan"),
    ("GorontaloKota jalan", "75.71", "jalan"),
    ("Kab Gorontalo jalan", "75.01", "jalan"),
    ("🙏 Gorontalo!!! jalan", "75", "jalan"),
    ("Gorontlao jalan", "75", "jalan"),                # one slip: the same reading
]

NOT_ROUTED = [
    # (text, status, body): a wrong region is worse than none
    ("Pekalongan!!! jalan", "ambiguous", "jalan"),
    ("🙏 Semarang: banjir", "ambiguous", "banjir"),
    ("Banjar jalan", "ambiguous", "jalan"),            # two provinces: no safe reading
    ("Siak/Kampar jalan", "unrouted", "Siak/Kampar jalan"),
    # a mark inside a longer name: "Buru" or "Buru Selatan"? Route nowhere.
    ("Kab Buru!!! Selatan jalan", "unrouted", "Kab Buru!!! Selatan jalan"),
    ("Kab Buru ; Selatan jalan", "unrouted", "Kab Buru ; Selatan jalan"),
    ("Papua. Barat Daya jalan", "unrouted", "Papua. Barat Daya jalan"),
    ("Kab Buru: Selatn jalan", "unrouted", "Kab Buru: Selatn jalan"),
    ("Kab Kolakaa!!! Timur jalan", "unrouted", "Kab Kolakaa!!! Timur jalan"),  # a slip, then a mark
    ("Jogja&Solo jalan", "unrouted", "Jogja&Solo jalan"),
    ("Solo's jalan", "unrouted", "Solo's jalan"),
    ("1. Solo jalan", "unrouted", "1. Solo jalan"),
    ("🙏🙏 Tolong jalan rusak", "unrouted", "🙏🙏 Tolong jalan rusak"),
    ("!!! Pasar becek", "unrouted", "!!! Pasar becek"),
    ("@lapor1708 🙏", "unrouted", "🙏"),
]


@pytest.mark.parametrize("text, code, body", ROUTED)
def test_routed(parser, text, code, body):
    routing = parser.parse(text)
    assert (routing.status, routing.region and routing.region.code, routing.body) == (
        RoutingStatus.ROUTED, code, body)


@pytest.mark.parametrize("text, status, body", NOT_ROUTED)
def test_not_routed(parser, text, status, body):
    routing = parser.parse(text)
    assert (routing.status.value, routing.region, routing.body) == (status, None, body)


def test_province_rule_covers_exactly_the_shared_province_names(directory):
    """The rule comes from the data: every shared name that resolves is a province's, and the
    four known pairs are all found (a renamed or dropped title would lose Yogyakarta)."""
    resolved = {}
    for region in directory:
        for form in directory.shared_forms(region.code):
            province = shared_name_region(directory.lookup(form).regions)
            if province is not None:
                resolved[form] = province.code
    assert resolved == {"yogyakarta": "34", "jambi": "15", "bengkulu": "17", "gorontalo": "75"}


def test_shared_name_region_needs_one_province_containing_the_rest(directory):
    get = directory.get
    assert shared_name_region([get("15"), get("15.71")]).code == "15"
    assert shared_name_region([get("15"), get("17.71")]) is None        # not inside it
    assert shared_name_region([get("33.26"), get("33.75")]) is None     # no province
    assert shared_name_region([get("15"), get("17")]) is None           # two provinces


DECORATIONS = ["🙏 {k} {b}", "{k}!!! {b}", "{k}; {b}", '"{k}": {b}', "*{k}* - {b}", "#{k}: {b}"]


@pytest.mark.parametrize("decoration", DECORATIONS)
def test_every_shipped_keyword_survives_decoration(directory, parser, decoration):
    """Each keyword of the file, dressed in marks, routes to its region (or, for a name the
    province shares, to that province) and leaves the body intact."""
    for region in directory:
        for keyword in directory.keywords(region.code):
            routing = parser.parse(decoration.format(k=keyword, b="jalan rusak"))
            assert (routing.region, routing.body) == (region, "jalan rusak"), keyword


def _marked_form(region):
    """The region written with its marker, which no other region shares: Kab Siak, Kota Jambi."""
    prefix = {RegionLevel.KABUPATEN: "Kab ", RegionLevel.KOTA: "Kota ", RegionLevel.PROVINSI: "Prov "}
    return prefix[region.level] + base_name(region)


@pytest.mark.parametrize("decoration", DECORATIONS)
def test_every_region_survives_decoration(directory, parser, decoration):
    for region in directory:
        routing = parser.parse(decoration.format(k=_marked_form(region), b="jalan rusak"))
        assert (routing.region, routing.body) == (region, "jalan rusak"), region.name


def _documented_aliases():
    """(keyword, code) pairs from the everyday-names table in docs/regions.md."""
    text = (REPO_ROOT / "docs" / "regions.md").read_text(encoding="utf-8")
    section = text.split("## Everyday names", 1)[1].split("\n## ", 1)[0]
    pairs = []
    for row in re.findall(r"^\| (`.+?) \| ([0-9.]+) ", section, re.MULTILINE):
        pairs += [(keyword, row[1]) for keyword in re.findall(r"`([^`]+)`", row[0])]
    return pairs


def test_documented_aliases_are_shipped_and_route_as_documented(directory, parser):
    pairs = _documented_aliases()
    assert len(pairs) >= 20
    for keyword, code in pairs:
        assert keyword in directory.keywords(code), keyword
        assert parser.parse(f"{keyword} jalan").region.code == code, keyword
