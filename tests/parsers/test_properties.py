"""Property tests: the parser never raises, the body is what follows the keyword, and a
keyword added to the file takes effect once the directory is loaded again."""
from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from gateway.model import RegionLevel, RoutingStatus
from gateway.parsers.keyword import KeywordParser
from gateway.parsers.keyword_rules import keyword_problem
from gateway.parsers.mapping_file import MappingEditor, write_atomically
from gateway.parsers.names import base_name
from gateway.parsers.normalise import squash
from gateway.parsers.regions import check_text, load_directory
from tests.parsers.conftest import SHIPPED_MAPPING

_FIXTURES = settings(suppress_health_check=[HealthCheck.function_scoped_fixture])
_BODY_WORDS = ["jalan", "Rusak", "air", "mati", "sampah", "lampu", "Pelayanan", "di", "RT", "04",
               "Jl.", "Merdeka,", "Rp", "50.000", "tolong!", "(mohon)", "sudah", "3", "bulan"]


@_FIXTURES
@given(st.text())
def test_parse_never_raises(parser, text):
    routing = parser.parse(text)
    assert routing.status in RoutingStatus
    assert (routing.region is not None) == (routing.status == RoutingStatus.ROUTED)


@_FIXTURES
@given(st.text(alphabet=st.sampled_from("@#:,.-' \tKabKotaPekalongan\u00e9"), max_size=30))
def test_parse_never_raises_on_keyword_like_noise(parser, text):
    parser.parse(text)


def _written_forms(region):
    name = base_name(region)
    fused = name.replace(" ", "")
    if region.level == RegionLevel.KOTA:
        return [fused + "Kota", "Kota" + fused, "Kota " + name, name + " Kota"]
    if region.level == RegionLevel.KABUPATEN:
        return ["Kab" + fused, fused + "Kab", "Kab " + name, "Kab. " + name, "Kabupaten " + name]
    return [name, "Prov " + name, "Provinsi " + name]


@st.composite
def keyword_messages(draw, directory):
    region = draw(st.sampled_from(list(directory)))
    # A bare name another region shares ("Jambi": the province and the kota) is ambiguous
    # by rule, not a keyword of this region.
    shared = set(directory.shared_forms(region.code))
    forms = [f for f in _written_forms(region) if squash(f) not in shared]
    keyword = draw(st.sampled_from(forms + list(directory.keywords(region.code))))
    if draw(st.booleans()):
        keyword = keyword.upper() if draw(st.booleans()) else keyword.lower()
    lead = draw(st.sampled_from(["", " ", "@lapor1708 ", "#", "@lapor1708 #", "@a @b "]))
    separator = draw(st.sampled_from([" ", "  ", ": ", ":", ", ", " - ", "-", ". ", "\n"]))
    body = " ".join(draw(st.lists(st.sampled_from(_BODY_WORDS), min_size=1, max_size=8)))
    return region, f"{lead}{keyword}{separator}{body}", body


@_FIXTURES
@given(st.data())
def test_body_is_what_follows_the_keyword(directory, parser, data):
    region, text, body = data.draw(keyword_messages(directory))
    routing = parser.parse(text)
    assert routing.body == body
    assert routing.region == region


@settings(max_examples=5, deadline=None)
@given(st.from_regex(r"[A-Z]{4,9}", fullmatch=True), st.sampled_from(["36.03", "12", "33.75", "94.07"]))
def test_added_keyword_takes_effect_after_reload(keyword, code):
    before = load_directory(SHIPPED_MAPPING)
    assume(not before.is_prefix(squash(keyword)))  # a fresh word, not the start of a name
    assume(keyword_problem(keyword, code) is None)  # not an ordinary word such as JALAN
    with tempfile.TemporaryDirectory() as tmp:
        mapping = Path(tmp) / "regions.yaml"
        shutil.copy(SHIPPED_MAPPING, mapping)
        editor = MappingEditor(mapping)
        assert editor.add_keyword(code, keyword)
        assert check_text(editor.text(), str(mapping)) == []
        write_atomically(mapping, editor.text())
        assert KeywordParser(before).parse(f"{keyword} jalan rusak").region is None
        routing = KeywordParser(load_directory(mapping)).parse(f"{keyword} jalan rusak")
    assert (routing.region.code, routing.body) == (code, "jalan rusak")
