"""The labelled routing-v2 messages (shared/samples/places-v2.jsonl), read as a table of cases.

Every non-typo case must come out exactly: status, region, place and body. Typo cases may be
routed to the expected region and place or left unrouted, never routed anywhere else (the
parser leaves them unrouted: docs/regions.md). The version-1 set stays as it was
(test_samples.py).
"""
from __future__ import annotations

import pytest

from tests.parsers.conftest import SAMPLES, read_cases

PLACES = SAMPLES.parent / "places-v2.jsonl"
CASES = read_cases(PLACES)
EXACT = [c for c in CASES if c["category"] != "typo"]
TYPOS = [c for c in CASES if c["category"] == "typo"]


def _answer(routing) -> tuple:
    return (routing.status.value, routing.region.code if routing.region else None,
            routing.place.code if routing.place else None, routing.body)


@pytest.mark.parametrize("case", EXACT, ids=lambda c: f"{c['category']}:{c['text'][:40]}")
def test_places_case(parser, case):
    expect = case["expect"]
    assert _answer(parser.parse(case["text"])) == (expect["status"], expect["region"], expect["place"],
                                                   expect["body"])


@pytest.mark.parametrize("case", TYPOS, ids=lambda c: c["text"][:40])
def test_a_misspelt_place_never_routes_elsewhere(parser, case):
    expect = case["expect"]
    got = _answer(parser.parse(case["text"]))
    assert got[1:3] in [(None, None), (expect["region"], expect["place"])]


def test_the_set_covers_every_category_of_the_rules():
    categories = {c["category"] for c in CASES}
    assert {"kec_unique", "desa_narrowed", "kodepos", "unmarked_place_traps", "place_conflict",
            "keyword_plus_place_disagree", "keyword_ambiguous_plus_place", "distrik_papua"} <= categories
    assert len(EXACT) >= 140
