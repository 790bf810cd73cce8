"""Shared fixtures for the parser tests: the shipped mapping, loaded once."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from gateway.parsers.keyword import KeywordParser
from gateway.parsers.regions import load_directory

REPO_ROOT = Path(__file__).resolve().parents[2]
SHIPPED_MAPPING = REPO_ROOT / "config" / "regions.yaml"
# In CI the checkout is a fresh clone with shared/ beside it.
SAMPLES = REPO_ROOT.parent / "shared" / "samples" / "parser-cases.jsonl"


def read_cases(path: Path) -> list[dict]:
    """The labelled messages of a samples file (JSON Lines), in file order."""
    with path.open(encoding="utf-8") as lines:
        return [json.loads(line) for line in lines if line.strip()]


@pytest.fixture(scope="session")
def directory():
    return load_directory(SHIPPED_MAPPING)


@pytest.fixture(scope="session")
def parser(directory):
    return KeywordParser(directory)
