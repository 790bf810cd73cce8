"""The mapping validator against the Kemendagri data: official names, levels and codes, no
region left out, keywords that would misroute in bulk, and YAML that parses but means
something else. Each edit is made on the shipped file's text, as an admin would."""
from __future__ import annotations

import pytest

from gateway.model import RegionLevel
from gateway.parsers import mapping_file
from gateway.parsers.common_words import COMMON_WORDS
from gateway.parsers.importer import lokal_regions
from gateway.parsers.keyword import KeywordParser
from gateway.parsers.keyword_rules import ALLOWED_KEYWORDS, keyword_problem
from gateway.parsers.official_regions import official_regions
from gateway.parsers.ordinary_words import ORDINARY_WORDS
from gateway.parsers.regions import MappingError, check_text, load_text
from tests.parsers.conftest import SHIPPED_MAPPING

SHIPPED = SHIPPED_MAPPING.read_text(encoding="utf-8")
LINES = SHIPPED.splitlines()
ENTRY_33_75 = '  "33.75":\n    name: Kota Pekalongan\n    level: kota\n'


def line_of(text: str, after: str = "") -> int:
    """The 1-based line of the shipped file that is `text`, the first after line `after`."""
    start = LINES.index(after) if after else 0
    return LINES.index(text, start) + 1


def problems(text: str) -> list[str]:
    return [str(p) for p in check_text(text, "r.yaml")]


def edited(old: str, new: str) -> str:
    assert SHIPPED.count(old) == 1, old
    return SHIPPED.replace(old, new)


def test_official_regions_are_lokal_ids_552():
    official = official_regions()
    assert list(official.values()) == list(lokal_regions())  # the slow, listing way agrees
    levels = [r.level for r in official.values()]
    assert levels.count(RegionLevel.PROVINSI) == 38 and len(levels) == 552


def test_ordinary_word_list_is_large_and_covers_the_typo_list():
    assert len(ORDINARY_WORDS) >= 300
    assert COMMON_WORDS <= ORDINARY_WORDS
    for word in "jalan rusak lapor pak bu mohon tolong warga banjir sampah lampu air listrik sekolah".split():
        assert word in ORDINARY_WORDS


@pytest.mark.parametrize("old, new, line, words", [
    # renamed to another region's name, and a typo in the name
    ("name: Kota Pekalongan", "name: Kota Semarang", "    name: Kota Semarang",
     "name of 33.75 must be the Kemendagri name 'Kota Pekalongan', not 'Kota Semarang' "
     "('Kota Semarang' is 33.74)"),
    ("name: Kota Pekalongan", "name: Kota Pekalong", "    name: Kota Pekalong",
     "name of 33.75 must be the Kemendagri name 'Kota Pekalongan', not 'Kota Pekalong'"),
    (ENTRY_33_75, ENTRY_33_75.replace("level: kota", "level: kabupaten"), "    level: kabupaten",
     "level of 33.75 must be 'kota'"),
    # the whole entry deleted: reported where it belongs, at the next entry
    (ENTRY_33_75, "", '  "33.76":', "region 33.75 Kota Pekalongan is missing"),
    (ENTRY_33_75, ENTRY_33_75 + "    keywords: PKLKOTA\n", "    keywords: PKLKOTA",
     "keywords of 33.75 must be a list"),
    (ENTRY_33_75, ENTRY_33_75 + "    kewords:\n      - PKLKOTA\n", "    kewords:",
     "unknown field 'kewords' in 33.75"),
    # two items on one line, and an item folded into the one above by its indentation
    (ENTRY_33_75, ENTRY_33_75 + "    keywords:\n      - PKLKOTA - PKL2\n", "      - PKLKOTA - PKL2",
     "keyword 'PKLKOTA - PKL2' in 33.75 has a dash between spaces"),
    (ENTRY_33_75, ENTRY_33_75 + "    keywords:\n      - PKLKOTA\n        - PKL2\n", "      - PKLKOTA",
     "keyword 'PKLKOTA - PKL2' in 33.75 has a dash between spaces"),
])
def test_edits_of_the_shipped_file_refused_with_line_and_reason(old, new, line, words):
    text = edited(old, new).splitlines()
    anchor = '  "33.75":' if '  "33.75":' in text else '  "33.74":'  # deleted: look after 33.74
    number = text.index(line, text.index(anchor)) + 1
    found = problems("\n".join(text) + "\n")
    assert any(p.startswith(f"r.yaml:{number}: ") and words in p for p in found), found


@pytest.mark.parametrize("keyword", ["Jalan", "Lapor", "Pak", "Mohon", "Tolong", "jalan rusak",
                                     "Ja-lan", "Selamat Pagi", "Warga", "Banjir", "Bu"])
def test_ordinary_words_are_refused_with_the_reason(keyword):
    text = edited(ENTRY_33_75, ENTRY_33_75 + f"    keywords:\n      - {keyword}\n")
    (problem,) = problems(text)
    keyword_line = line_of("    level: kota", after='  "33.75":') + 2  # after "keywords:"
    assert problem.startswith(f"r.yaml:{keyword_line}: ")
    assert f"keyword {keyword!r} in 33.75 is an ordinary Indonesian word" in problem


@pytest.mark.parametrize("keyword, code, reason", [
    ("AB", "33.75", "too short"),
    ("PU", "33.75", "too short"),
    ("Kab", "33.26", "too short"),
    ("NTB", "33.75", "allowed only for 52"),
    ("Solo", "33.75", "allowed only for 33.72"),
    ("PKL:KOTA", "33.75", "malformed keyword"),
    ("PKL - KOTA", "33.75", "dash between spaces"),
])
def test_keyword_rules(keyword, code, reason):
    assert reason in keyword_problem(keyword, code)


@pytest.mark.parametrize("keyword, code", [("PKLKOTA", "33.75"), ("NTB", "52"), ("DKI", "31"),
                                           ("Kab Bdg", "32.04"), ("TANG-KAB", "36.03")])
def test_keywords_the_rules_let_through(keyword, code):
    assert keyword_problem(keyword, code) is None


def test_allowed_short_keywords_are_the_shipped_abbreviations(directory):
    for key, (code, _why) in ALLOWED_KEYWORDS.items():
        if len(key) <= 3:
            assert key.upper() in directory.keywords(code)


@pytest.mark.parametrize("keyword, words", [
    ("Kota Pekalongan", "shadows the name of 33.75"),      # the kota's name, on the kabupaten
    ("PekalonganKota", "shadows the name of 33.75"),       # a generated form of it
    ("Pekalongan", "shadows the name of 33.75"),           # the shared bare name
    ("Sumut", "claimed by two regions: 12"),               # another region's keyword
])
def test_keyword_that_is_another_regions_name_or_keyword(keyword, words):
    entry = '  "33.26":\n    name: Kabupaten Pekalongan\n    level: kabupaten\n'
    text = edited(entry, entry + f"    keywords:\n      - {keyword}\n")
    assert any(words in p for p in problems(text)), problems(text)


def test_a_disabled_region_routes_nothing_and_needs_a_reason():
    disabled = ENTRY_33_75 + "    disabled: true\n    reason: handled by the city's own desk\n"
    directory = load_text(edited(ENTRY_33_75, disabled), "r.yaml")
    assert "33.75" not in directory and "33.75" in directory.disabled
    parse = KeywordParser(directory).parse
    assert parse("KotaPekalongan jalan rusak").region is None
    # The shared name does not become the kabupaten's alone.
    assert parse("Pekalongan jalan rusak").region is None
    assert parse("KabPekalongan jalan rusak").region.code == "33.26"

    assert any("33.75 is disabled without a reason" in p
               for p in problems(edited(ENTRY_33_75, ENTRY_33_75 + "    disabled: true\n")))
    assert any("33.75 has a reason but is not disabled" in p
               for p in problems(edited(ENTRY_33_75, ENTRY_33_75 + "    reason: why\n")))
    assert any("33.75 is disabled, so its keywords would route nowhere" in p
               for p in problems(edited(ENTRY_33_75, disabled + "    keywords:\n      - PKLKOTA\n")))


def test_disabled_is_read_alike_by_the_fast_reader_and_ruamel(monkeypatch):
    text = edited(ENTRY_33_75, ENTRY_33_75 + "    disabled: true\n    reason: desk\n")
    fast = mapping_file.parse_text(text, "r.yaml")
    slow = mapping_file._read_with_ruamel(text, "r.yaml")
    assert [dict(e.value) for e in fast.entries] == [dict(e.value) for e in slow.entries]
    assert fast.top["regions"]["33.75"]["disabled"] is True


def test_display_name_is_shown_but_routing_keeps_the_official_name():
    text = edited(ENTRY_33_75, ENTRY_33_75 + "    display_name: Kota Batik Pekalongan\n")
    routing = KeywordParser(load_text(text, "r.yaml")).parse("PekalonganKota jalan rusak")
    assert (routing.region.code, routing.region.name) == ("33.75", "Kota Batik Pekalongan")
    too_long = ENTRY_33_75 + "    display_name: " + "Kota Pekalongan yang Sangat Panjang Sekali" + "\n"
    assert any("display_name of 33.75 is 42 characters" in p for p in problems(edited(ENTRY_33_75, too_long)))
    assert any("display_name of 33.75 must be plain text" in p
               for p in problems(edited(ENTRY_33_75, ENTRY_33_75 + "    display_name: 'Kota Péka'\n")))


def test_load_refuses_what_check_refuses():
    text = edited("name: Kota Pekalongan", "name: Kota Semarang")
    with pytest.raises(MappingError) as error:
        load_text(text, "r.yaml")
    assert [str(p) for p in error.value.problems] == problems(text)
