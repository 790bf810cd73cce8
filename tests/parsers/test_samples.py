"""The labelled sample messages (shared/samples/parser-cases.jsonl), read as a table of cases.

Non-typo cases must come out exactly (status, region, body). Typo cases may be routed to
the right region or left unrouted, never routed elsewhere; the hit rate is printed (-s).
"""
from __future__ import annotations

import pytest

from tests.parsers.conftest import SAMPLES, read_cases


CASES = read_cases(SAMPLES)
EXACT = [c for c in CASES if c["category"] != "typo"]
TYPOS = [c for c in CASES if c["category"] == "typo"]


def _code(routing):
    return routing.region.code if routing.region else None


@pytest.mark.parametrize("case", EXACT, ids=lambda c: f"{c['category']}:{c['text'][:40]}")
def test_sample_case(parser, case):
    routing = parser.parse(case["text"])
    expect = case["expect"]
    assert routing.status.value == expect["status"]
    assert _code(routing) in [expect["region"], *case["accept"]]
    assert routing.body == expect["body"]
    if expect["status"] == "ambiguous":
        assert len(routing.candidates) >= 2


@pytest.mark.parametrize("case", TYPOS, ids=lambda c: c["text"][:40])
def test_typo_never_routes_elsewhere(parser, case):
    routing = parser.parse(case["text"])
    assert _code(routing) in [None, case["expect"]["region"], *case["accept"]]
    if routing.region is not None:
        assert routing.body == case["expect"]["body"]


def test_typo_hit_rate(parser):
    hits = sum(_code(parser.parse(c["text"])) in [c["expect"]["region"], *c["accept"]] for c in TYPOS)
    print(f"\ntypo hit rate: {hits}/{len(TYPOS)}")
    assert hits >= len(TYPOS) * 0.75
