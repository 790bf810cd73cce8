"""The mapping file: validation with file and line, the fast reader, round-trip edits."""
from __future__ import annotations

import os
import shutil

import pytest

from gateway.parsers import mapping_file
from gateway.parsers.mapping_file import MappingEditor, MappingError, parse_text, write_atomically
from gateway.parsers.official_regions import official_regions
from gateway.parsers.regions import check_file, check_text, load_directory
from tests.parsers.conftest import SHIPPED_MAPPING

HEAD = "# test mapping\nversion: 1\nregions:\n"
SMALL = HEAD + """\
  "36":
    name: Banten
    level: provinsi
  "36.03":
    name: Kabupaten Tangerang   # the kabupaten
    level: kabupaten
    keywords:
      - TANGKAB   # operator code
  "36.71":
    name: Kota Tangerang
    level: kota
"""
# The Kemendagri reference of SMALL: a test file need not list all 552 regions.
SMALL_OFFICIAL = {code: official_regions()[code] for code in ("36", "36.03", "36.71")}


def _problems(text, official=SMALL_OFFICIAL):
    return [str(p) for p in check_text(text, "m.yaml", official)]


def test_shipped_mapping_is_valid_and_complete(directory):
    assert check_file(SHIPPED_MAPPING) == []
    levels = [r.level.value for r in directory]
    assert (levels.count("provinsi"), levels.count("kabupaten") + levels.count("kota")) == (38, 514)
    for abbreviation in ["Sumut", "Babel", "Kepri", "DKI", "Jakarta", "DIY", "NTT", "Malut"]:
        assert any(abbreviation in directory.keywords(r.code) for r in directory)


def test_fast_reader_agrees_with_ruamel(monkeypatch):
    text = SHIPPED_MAPPING.read_text(encoding="utf-8")
    fast = parse_text(text, "r.yaml")
    slow = mapping_file._read_with_ruamel(text, "r.yaml")
    assert [(e.key, e.line, dict(e.value), e.field_lines, e.keyword_lines) for e in fast.entries] == \
           [(e.key, e.line, dict(e.value), e.field_lines, e.keyword_lines) for e in slow.entries]
    # and the shipped layout really takes the fast path
    monkeypatch.setattr(mapping_file, "_read_with_ruamel", lambda *a: pytest.fail("slow path"))
    parse_text(text, "r.yaml")


def test_unusual_yaml_still_loads_through_ruamel():
    flow = HEAD + '  "36": {name: Banten, level: provinsi, keywords: [Bntn]}\n'
    assert _problems(flow, {"36": SMALL_OFFICIAL["36"]}) == []


def test_keyword_claimed_by_two_regions_names_both_codes_and_the_line():
    text = SMALL + "    keywords: [TANGKAB]\n"
    (problem,) = _problems(text)
    assert problem.startswith("m.yaml:15: ") and "36.03" in problem and "36.71" in problem


@pytest.mark.parametrize("change, line, words", [
    (('"36.71":', "36.71:"), 12, "malformed region code"),
    (('"36.71":', '"36.99":'), 12, "unknown region code"),
    (("level: kota", "level: provinsi"), 14, "level of 36.71 must be 'kota'"),
    (("    name: Banten\n    level: provinsi\n", ""), 4, "empty entry"),
    (("name: Kota Tangerang", "nama: Kota Tangerang"), 13, "unknown field"),
    (("TANGKAB", "Tangerang"), 11, "shadows the name of 36.71"),
    (("TANGKAB", "'Tang:kab'"), 11, "malformed keyword"),
    (("    level: kota\n", "    level: kota\n   bad: [\n"), 15, "YAML syntax"),
    (('"36.71":', '"36.03":'), 12, "duplicate"),
])
def test_problems_are_reported_with_line(change, line, words):
    text = SMALL.replace(*change)
    problems = _problems(text)
    assert any(p.startswith(f"m.yaml:{line}: ") and words in p for p in problems), problems


def test_broken_file_raises_mapping_error_with_file_and_line(tmp_path):
    path = tmp_path / "regions.yaml"
    path.write_text(SMALL.replace("level: kota", "level: desa"), encoding="utf-8")
    with pytest.raises(MappingError) as error:
        load_directory(path, SMALL_OFFICIAL)
    assert str(error.value).startswith(f"{path}:14: ")
    path.write_text(SMALL, encoding="utf-8")
    assert load_directory(path, SMALL_OFFICIAL).get("36.03").name == "Kabupaten Tangerang"


def test_edits_keep_comments_and_are_written_atomically(tmp_path):
    path = tmp_path / "regions.yaml"
    path.write_text(SMALL, encoding="utf-8")
    os.chmod(path, 0o640)
    editor = MappingEditor(path)
    assert editor.add_keyword("36.71", "TANGKOT") and not editor.add_keyword("36.71", "tang kot")
    assert editor.remove_keyword("36.03", "tangkab")
    write_atomically(path, editor.text())
    text = path.read_text(encoding="utf-8")
    assert "# test mapping" in text and "# the kabupaten" in text and "TANGKAB" not in text
    assert "      - TANGKOT" in text
    assert os.stat(path).st_mode & 0o777 == 0o640 and os.listdir(tmp_path) == ["regions.yaml"]
    assert load_directory(path, SMALL_OFFICIAL).keywords("36.71") == ("TANGKOT",)


def test_directory_is_a_snapshot(tmp_path, directory):
    path = tmp_path / "regions.yaml"
    shutil.copy(SHIPPED_MAPPING, path)
    with pytest.raises(TypeError):
        directory._regions["99"] = None  # read-only view
    assert len(directory.search("pekalongan")) == 2
