"""What a region keyword in the mapping file may be, each refusal with its reason.

A keyword routes every message that starts with it, so a bad one misroutes quietly and in
bulk: `Jalan` would send every "Jalan rusak …" to one region. These rules look at one
keyword on its own; the mapping validator (`mapping_rules.py`) adds the rules that need
the whole file (a keyword claimed twice, or equal to another region's name).
"""
from __future__ import annotations

import re

from gateway.parsers.normalise import is_keyword_text, squash
from gateway.parsers.ordinary_words import ORDINARY_WORDS, ordinary_kind

MAX_SHORT_LETTERS = 3

# Keywords the rules below would refuse but that citizens really use for one region; each
# is allowed for that region only. The short ones are the province abbreviations shipped
# since the first mapping (`importer.PROVINCE_ABBREVIATIONS`); any other of 3 letters or
# fewer ("RS", "PU", "KTP", "Tol") is too likely to be the first word of a complaint.
ALLOWED_KEYWORDS: dict[str, tuple[str, str]] = {
    "dki": ("31", "Daerah Khusus Ibukota Jakarta, on every Jakarta form and plate"),
    "diy": ("34", "Daerah Istimewa Yogyakarta, the province's own abbreviation"),
    "ntb": ("52", "Nusa Tenggara Barat, as the province writes itself"),
    "ntt": ("53", "Nusa Tenggara Timur, as the province writes itself"),
    # An ordinary word ("solo": alone) that is also Surakarta's everyday name.
    "solo": ("33.72", "Kota Surakarta's everyday name"),
}

# " - " ends a keyword in a message (docs/regions.md), so a keyword holding one can never
# match; in the file it is almost always two list items run together by a mis-indented
# "- PKL2" (YAML folds the indented line into the item above).
_DASH_BETWEEN_WORDS = re.compile(r"\s-|-\s")
_WORD_SPLIT = re.compile(r"[\s.\-'\u2019]+")


def keyword_problem(keyword: object, code: str) -> str | None:
    """Why `keyword` may not be a keyword of region `code`, or None if it may."""
    if not isinstance(keyword, str) or not is_keyword_text(keyword):
        return (f"malformed keyword {keyword!r} in {code}: use letters and digits "
                "(spaces, dots, hyphens, apostrophes allowed inside)")
    if _DASH_BETWEEN_WORDS.search(keyword):
        return (f"keyword {keyword!r} in {code} has a dash between spaces, which ends a keyword "
                "in a message, so it could never match: two items run together by a mis-indented "
                "'- ' line? Write each keyword on its own '- KEYWORD' line")
    key = squash(keyword)
    allowed = ALLOWED_KEYWORDS.get(key)
    if allowed is not None:
        if allowed[0] != code:
            return (f"keyword {keyword!r} in {code} is allowed only for {allowed[0]} "
                    f"({allowed[1]})")
        return None
    words = [w for w in _WORD_SPLIT.split(keyword.lower()) if w]
    if key in ORDINARY_WORDS or all(w in ORDINARY_WORDS for w in words):
        kinds = ", ".join(sorted({ordinary_kind(w) or ordinary_kind(key) or "an everyday word"
                                  for w in words}))
        return (f"keyword {keyword!r} in {code} is an ordinary Indonesian word ({kinds}): every "
                f"complaint that begins with it would be routed to {code}")
    if len(key) <= MAX_SHORT_LETTERS:
        allowed_short = ", ".join(k.upper() for k in ALLOWED_KEYWORDS if len(k) <= MAX_SHORT_LETTERS)
        return (f"keyword {keyword!r} in {code} is too short: {MAX_SHORT_LETTERS} letters or fewer "
                f"begin too many messages (only {allowed_short} are allowed)")
    return None
