"""The real `lapor-gateway parse` / `regions` commands, run as subprocesses (kept few: ~0.5 s each)."""
from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.parsers.conftest import REPO_ROOT, SAMPLES, SHIPPED_MAPPING


def _command():
    script = Path(sys.executable).parent / "lapor-gateway"
    return [str(script)] if script.exists() else [sys.executable, "-m", "gateway.cli"]


def run(*args, stdin=""):
    return subprocess.run(_command() + list(args), input=stdin, capture_output=True, text=True,
                          cwd=REPO_ROOT, timeout=60)


def test_parse_one_text():
    result = run("parse", "PekalonganKota Jalan rusak di Jl. Merdeka")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == {
        "status": "routed", "region": {"code": "33.75", "name": "Kota Pekalongan", "level": "kota"},
        "place": None, "candidates": [], "body": "Jalan rusak di Jl. Merdeka"}


def test_parse_shows_the_place_named_in_the_text():
    text = "Lokasi: Kec. Kranggan, KAB. Temanggung. Gorong-gorong ambles."
    result = run("parse", text)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == {
        "status": "routed", "region": {"code": "33.23", "name": "Kabupaten Temanggung", "level": "kabupaten"},
        "place": {"code": "33.23.13", "name": "Kranggan", "level": "kecamatan"},
        "candidates": [], "body": text}


def test_parse_json_lines_reports_bad_lines_and_goes_on():
    lines = '{"text": "Sumut jalan"}\nnot json\n{"txt": 1}\n{"text": "Pekalongan x"}\n'
    result = run("parse", stdin=lines)
    assert result.returncode == 1
    out = [json.loads(line) for line in result.stdout.splitlines()]
    assert [o.get("status") for o in out] == ["routed", None, None, "ambiguous"]
    assert [o.get("line") for o in out] == [None, 2, 3, None]
    errors = [json.loads(line) for line in result.stderr.splitlines()]
    assert [e["line"] for e in errors] == [2, 3]


def test_regions_check_and_edit(tmp_path):
    assert run("regions", "check").returncode == 0
    mapping = tmp_path / "regions.yaml"
    shutil.copy(SHIPPED_MAPPING, mapping)
    assert run("regions", "add-keyword", "--mapping", str(mapping), "36.03", "TANGKAB").returncode == 0
    clash = run("regions", "add-keyword", "--mapping", str(mapping), "36.71", "TANGKAB")
    assert clash.returncode == 1 and "36.03" in clash.stdout and "36.71" in clash.stdout
    assert f"{mapping}:" in clash.stdout
    # the refused edit was not written; the accepted one was
    mapping.write_text(mapping.read_text().replace('  "36.71":\n', '  "36.71":\n    keywords: [TANGKAB]\n'))
    check = run("regions", "check", "--mapping", str(mapping))
    assert check.returncode == 1 and "36.03" in check.stdout and "36.71" in check.stdout


ENTRY_33_75 = '  "33.75":\n    name: Kota Pekalongan\n    level: kota\n'


def _copy(tmp_path, old="", new=""):
    """A copy of the shipped mapping with `old` replaced by `new` (once)."""
    text = SHIPPED_MAPPING.read_text(encoding="utf-8")
    assert not old or text.count(old) == 1, old
    mapping = tmp_path / "regions.yaml"
    mapping.write_text(text.replace(old, new) if old else text, encoding="utf-8")
    return mapping


def _line(mapping, text, after='  "33.75":'):
    """The line of `text` in `mapping`, the first after the line `after` (33.74 if 33.75 is gone)."""
    lines = mapping.read_text(encoding="utf-8").splitlines()
    return lines.index(text, lines.index(after if after in lines else '  "33.74":')) + 1


@pytest.mark.parametrize("keyword", ["Jalan", "Lapor", "Pak", "Mohon", "Tolong"])
def test_add_keyword_refuses_an_ordinary_word_and_writes_nothing(tmp_path, keyword):
    mapping = _copy(tmp_path)
    before = mapping.read_bytes()
    result = run("regions", "add-keyword", "--mapping", str(mapping), "33.75", keyword)
    assert result.returncode == 1
    line = _line(mapping, "    level: kota") + 2  # where the item would go, after "keywords:"
    assert f"{mapping}:{line}: keyword {keyword!r} in 33.75 is an ordinary Indonesian word" in result.stdout
    assert mapping.read_bytes() == before


@pytest.mark.parametrize("old, new, line, words", [
    ("name: Kota Pekalongan", "name: Kota Semarang", "    name: Kota Semarang",
     "Kemendagri name 'Kota Pekalongan'"),
    ("name: Kota Pekalongan", "name: Kota Pekalong", "    name: Kota Pekalong",
     "Kemendagri name 'Kota Pekalongan'"),
    (ENTRY_33_75, ENTRY_33_75.replace("kota", "kabupaten"), "    level: kabupaten",
     "level of 33.75 must be 'kota'"),
    (ENTRY_33_75, "", '  "33.76":', "region 33.75 Kota Pekalongan is missing"),
    (ENTRY_33_75, ENTRY_33_75 + "    keywords:\n      - PKLKOTA\n        - PKL2\n", "      - PKLKOTA",
     "keyword 'PKLKOTA - PKL2' in 33.75 has a dash between spaces"),
])
def test_check_refuses_an_edited_copy_with_path_line_and_reason(tmp_path, old, new, line, words):
    mapping = _copy(tmp_path, old, new)
    result = run("regions", "check", "--mapping", str(mapping))
    assert result.returncode == 1
    assert any(out.startswith(f"{mapping}:{_line(mapping, line)}: ") and words in out
               for out in result.stdout.splitlines()), result.stdout


def test_add_keyword_dry_run_lists_the_messages_it_would_reroute(tmp_path):
    # A mapping without Sumut: adding it back moves exactly the sample that starts with it.
    mapping = _copy(tmp_path, "    keywords:\n      - Sumut\n", "")
    before = mapping.read_bytes()
    samples = [json.loads(line)["text"] for line in SAMPLES.read_text(encoding="utf-8").splitlines()]
    expected = [(n, text) for n, text in enumerate(samples, 1) if text.lower().startswith("sumut ")]
    assert len(expected) == 1
    result = run("regions", "add-keyword", "--mapping", str(mapping), "12", "Sumut", "--dry-run",
                 "--against", str(SAMPLES))
    assert result.returncode == 0, result.stdout + result.stderr
    listed = [line.strip() for line in result.stdout.splitlines() if line.startswith("  line ")]
    assert listed == [f"line {n}: unrouted -> 12 Sumatera Utara: {text}" for n, text in expected]
    assert f"1 of {len(samples)} messages would be routed differently" in result.stdout
    assert mapping.read_bytes() == before


def test_check_against_compares_an_edited_copy_with_the_mapping_in_force(tmp_path):
    disabled = ENTRY_33_75 + "    disabled: true\n    reason: the city's own desk takes these\n"
    mapping = _copy(tmp_path, ENTRY_33_75, disabled)
    samples = tmp_path / "samples.jsonl"
    samples.write_text('{"text": "KotaPekalongan jalan rusak"}\n{"text": "KabPekalongan banjir"}\n'
                       '{"text": "Pekalongan sampah"}\n', encoding="utf-8")
    result = run("regions", "check", "--mapping", str(mapping), "--against", str(samples),
                 "--before", str(SHIPPED_MAPPING))
    assert result.returncode == 0, result.stdout + result.stderr
    assert [line.strip() for line in result.stdout.splitlines() if line.startswith("  line ")] == [
        "line 1: 33.75 Kota Pekalongan -> unrouted: KotaPekalongan jalan rusak",
        "line 3: ambiguous (33.26, 33.75) -> unrouted: Pekalongan sampah"]

    samples.write_text('{"text": "Sumut jalan"}\nnot json\n', encoding="utf-8")
    bad = run("regions", "check", "--mapping", str(mapping), "--against", str(samples),
              "--before", str(SHIPPED_MAPPING))
    assert bad.returncode == 2 and f"{samples}:2: " in bad.stderr
