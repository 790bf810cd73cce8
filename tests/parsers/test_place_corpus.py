"""The parser over a larger seeded set of routing-v2 messages whose answers the generator
worked out without it (`place_corpus.py`): never a wrong region, never a wrong place; most
of what the rules route is routed. The figures are printed (-s)."""
from __future__ import annotations

from collections import Counter

import pytest

from tests.parsers.place_corpus import Corpus

COUNT = 3000


@pytest.fixture(scope="module")
def corpus():
    return Corpus(1708).lines(COUNT)


def measure(parse, lines) -> Counter:
    """right / missed (unrouted or ambiguous where the rules route) / wrong_region / wrong_place
    / wrong_status (routed where the rules do not) / wrong_body, over the lines."""
    seen = Counter()
    for line in lines:
        expect, got = line["expect"], parse(line["text"])
        region = got.region.code if got.region else None
        place = got.place.code if got.place else None
        if region is not None and expect["region"] is None:
            seen["wrong_status"] += 1
        elif region is not None and region != expect["region"]:
            seen["wrong_region"] += 1
        elif region is not None and place != expect["place"]:
            seen["wrong_place"] += 1
        elif got.body != expect["body"]:
            seen["wrong_body"] += 1
        elif got.status.value == expect["status"]:
            seen["right"] += 1
        else:
            seen["missed" if expect["status"] == "routed" else "other_status"] += 1
        seen["expected_routed"] += expect["status"] == "routed"
        seen["routed"] += region is not None
    return seen


def test_the_larger_set_is_never_routed_wrong(parser, corpus):
    seen = measure(parser.parse, corpus)
    print(f"\nlarger set ({COUNT}, seed 1708): " + ", ".join(f"{k} {v}" for k, v in sorted(seen.items())))
    assert seen["wrong_region"] == seen["wrong_place"] == seen["wrong_status"] == seen["wrong_body"] == 0
    assert seen["missed"] <= seen["expected_routed"] * 0.02
    assert seen["right"] >= COUNT * 0.97


def test_the_set_holds_every_kind(corpus):
    kinds = Counter(line["category"] for line in corpus)
    assert set(kinds) == {"kec", "desa", "desa_narrowed", "contradiction", "kodepos", "stopword_village",
                          "unmarked", "keyword_place", "two_places"}
    statuses = Counter(line["expect"]["status"] for line in corpus)
    assert min(statuses.values()) >= COUNT * 0.1
