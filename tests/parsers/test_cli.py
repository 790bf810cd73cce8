"""The real `lapor-gateway parse` / `regions` commands, run as subprocesses (kept few: ~0.5 s each)."""
from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

from tests.parsers.conftest import REPO_ROOT, SHIPPED_MAPPING


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
        "candidates": [], "body": "Jalan rusak di Jl. Merdeka"}


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
