"""Finding the generated name forms one typing slip away from what a citizen wrote.

Only generated name forms are indexed (never the file's abbreviations or operator codes:
`Sumut` is one letter from `sumur`, a well). The index is a "deletion neighbourhood":
every form is stored under itself and under each string made by deleting one of its letters;
a query looks itself and its own one-letter deletions up. Two strings within one edit
(insertion, deletion, substitution or swap of neighbours) always share such a key, so
candidates are found with a few dict look-ups instead of comparing against every region.
Whether a candidate may be used is the parser's policy (see `keyword.py`), not this index's.
"""
from __future__ import annotations

from typing import Mapping

from gateway.parsers.common_words import COMMON_WORDS
from gateway.parsers.names import MARKER_WORDS, name_words

# Shorter forms are not indexed: in a short word one slip is too often another real word.
MIN_FORM_LENGTH = 5
_MEMO_LIMIT = 65536


class TypoIndex:
    """Generated forms indexed so the ones within one edit of a query can be found quickly."""

    def __init__(self, targets: Mapping[str, object]):
        self._keys: dict[str, list[str]] = {}
        self._name_words: dict[str, frozenset[str]] = {}
        for form, target in targets.items():
            if len(form) < MIN_FORM_LENGTH:
                continue
            self._name_words[form] = name_words(target.regions[0])
            for key in _deletions(form):
                self._keys.setdefault(key, []).append(form)
        every_name_word = frozenset().union(*self._name_words.values())
        self._every_name_word = every_name_word
        self._near_memo: dict[str, bool] = {}
        self._name_word_keys = frozenset(k for w in every_name_word | MARKER_WORDS for k in _deletions(w))
        # Ordinary words that are not part of any region name: a text starting with one of
        # them is never a typo (a quick exit for most unrouted complaints).
        self._plain_words = COMMON_WORDS - every_name_word

    def near(self, query: str) -> list[str]:
        """Indexed forms exactly one edit away from `query` (an identical form is not a typo)."""
        found: set[str] = set()
        for key in _deletions(query):
            found.update(self._keys.get(key, ()))
        found.discard(query)
        return sorted(f for f in found if within_one_edit(query, f))

    def is_plain_word(self, word: str) -> bool:
        """True if `word` is an ordinary word that is in no region's name (`pasar`, `jalan`)."""
        return word in self._plain_words

    def is_name_word(self, word: str) -> bool:
        """True if `word` is a word of some region's name (`barat`, `bedagai`)."""
        return word in self._every_name_word

    def near_name_word(self, word: str) -> bool:
        """True if `word` may be a name word or marker with at most one slip (a quick filter:
        it also lets through some words two slips away).

        Asked for the first word of nearly every complaint body, so answers are remembered;
        those words come from a small everyday vocabulary. The memo is bounded.
        """
        known = self._near_memo.get(word)
        if known is None:
            known = any(key in self._name_word_keys for key in _deletions(word))
            if len(self._near_memo) >= _MEMO_LIMIT:
                self._near_memo.clear()
            self._near_memo[word] = known
        return known

    def name_words(self, form: str) -> frozenset[str]:
        """The words of the region name behind `form` (`{"sumba", "timur"}`)."""
        return self._name_words.get(form, frozenset())


def _deletions(word: str) -> set[str]:
    keys = {word[:i] + word[i + 1:] for i in range(len(word))}
    keys.add(word)
    return keys


def within_one_edit(a: str, b: str) -> bool:
    """True if `a` becomes `b` by at most one insertion, deletion, substitution or adjacent swap."""
    if a == b:
        return True
    la, lb = len(a), len(b)
    if abs(la - lb) > 1:
        return False
    i = 0
    while i < min(la, lb) and a[i] == b[i]:
        i += 1
    if la == lb:
        if a[i + 1:] == b[i + 1:]:
            return True  # substitution
        return (i + 1 < la and a[i] == b[i + 1] and a[i + 1] == b[i]  # adjacent swap
                and a[i + 2:] == b[i + 2:])
    if la > lb:
        return a[i + 1:] == b[i:]
    return a[i:] == b[i + 1:]
