"""How a keyword is compared: the "squashed" form of a name, keyword or message head.

Citizens write the same keyword many ways (`Kab. Toli-Toli`, `KABTOLITOLI`, `kab toli toli`),
so every comparison is made on one canonical form: lower case, with the characters that do
not matter inside a keyword (spaces, dots, hyphens, apostrophes) removed.
"""
from __future__ import annotations

import re

# Apostrophes join the parts of a name ("Solo's" is one word); any other mark ends a keyword.
APOSTROPHES = frozenset("'\u2019")

_SQUASH_DROP = re.compile(r"[\s.\-'\u2019]+")
_KEYWORD_TEXT = re.compile(r"[^\W_][\w .\-'\u2019]*\Z")


def squash(text: str) -> str:
    """The canonical comparison form: lower case, no spaces, dots, hyphens or apostrophes."""
    return _SQUASH_DROP.sub("", text).lower()


def is_keyword_text(text: str) -> bool:
    """True if `text` can be written as a keyword: letters and digits, with spaces, dots,
    hyphens or apostrophes inside (a keyword cannot contain a separator such as `:` or `,`,
    since the parser would end the keyword there)."""
    return bool(_KEYWORD_TEXT.match(text)) and "_" not in text and bool(squash(text))
