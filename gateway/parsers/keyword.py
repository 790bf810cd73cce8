"""The keyword parser: which region a complaint's first words name, and what the complaint says.

Grammar: `[@mention ...] [#] KEYWORD (whitespace | : , . -) BODY`. Inside the keyword, case,
spaces, dots, hyphens and apostrophes do not matter (`Kab. Toli-Toli` = `KabTolitoli`); the
longest keyword that ends on a boundary wins (`Papua Barat Daya` over `Papua`).

Misspelt keywords are corrected only when the intent is clear, because a complaint sent to
the wrong agency is far worse than one left for the national desk. A correction must be one
edit away from a generated name form, the name must be long (8+ letters bare, 5+ letters with
a Kab/Kota/Prov marker, or intact with only the marker misspelt), it must start with the same
letter when bare, no ordinary word (`common_words.py`) may be "corrected", and every
acceptable correction must point to the same region.
"""
from __future__ import annotations

import re

from gateway.model import Routing, RoutingStatus
from gateway.parsers.common_words import COMMON_WORDS
from gateway.parsers.names import MARKER_WORDS
from gateway.parsers.normalise import IGNORABLE, SEPARATORS
from gateway.parsers.regions import FormTarget, RegionDirectory

_MENTIONS = re.compile(r"\s*(?:@\w+\s*)*")
_HASH = re.compile(r"#\s*")
_PIECE = re.compile(r"[^\W_]+")
_GAP = re.compile(r"[\s.\-'\u2019]*")
_BODY_START = re.compile(r"[\s:,.\-]*")

MIN_BARE_TYPO_NAME = 8
MIN_MARKED_TYPO_NAME = 5
MIN_MARKER_TYPO_LENGTH = 3
MAX_TYPO_WORDS = 6


class KeywordParser:
    """Parses message text against one RegionDirectory. Stateless apart from the directory."""

    def __init__(self, directory: RegionDirectory):
        self.directory = directory

    def parse(self, text: str) -> Routing:
        """The routing of `text`: routed, ambiguous (with candidates) or unrouted; never raises."""
        start = _MENTIONS.match(text).end()
        hashed = _HASH.match(text, start)
        pos = hashed.end() if hashed else start
        found = self._exact(text, pos)
        if found is None:
            found = self._typo(_pieces(text, pos))
        elif self.directory.is_extendable(found[0]):
            # "Papua Barta Daya": the exact "Papua" may be the start of a misspelt longer name.
            longer = self._typo(_pieces(text, pos), extends=found)
            found = longer or found
        if found is None:
            return Routing(RoutingStatus.UNROUTED, text[start:].strip())
        form, end = found
        return _routing(self.directory.lookup(form), text, end)

    def _exact(self, text: str, pos: int) -> tuple[str, int] | None:
        """The longest form the text starts with that ends on a boundary, as (form, end)."""
        directory, squashed, best, length = self.directory, "", None, len(text)
        while True:
            piece = _PIECE.match(text, pos)
            if piece is None:
                return best
            squashed += piece.group().lower()
            if not directory.is_prefix(squashed):
                return best
            end = piece.end()
            if end >= length:
                return (squashed, end) if directory.lookup(squashed) else best
            char = text[end]
            if (char.isspace() or char in SEPARATORS) and directory.lookup(squashed):
                best = (squashed, end)
            if char not in IGNORABLE and not char.isspace():
                return best
            pos = _GAP.match(text, end).end()

    def _typo(self, pieces, extends: tuple[str, int] | None = None) -> tuple[str, int] | None:
        """The one form the head of the text is a clear misspelling of, as (form, end).

        With `extends` (an exact match), only longer forms that begin with it are considered.
        """
        index, accepted = self.directory.typos, {}
        if not pieces or index.is_plain_word(pieces[0][2][0]):
            return None
        for squashed, end, words in pieces:
            if extends and end <= extends[1]:
                continue
            for form in index.near(squashed):
                if extends and not (form.startswith(extends[0]) and len(form) > len(extends[0])):
                    continue
                target = self.directory.lookup(form)
                if _clear_intent(squashed, words, form, target, index.name_words(form)):
                    accepted[tuple(r.code for r in target.regions)] = (form, end)
        return _one_intent(list(accepted.values()))


def _one_intent(accepted: list[tuple[str, int]]) -> tuple[str, int] | None:
    """The single region the corrections point to, or None if they disagree.

    Nested names are not a disagreement: "Papua Barta Daya" is one slip from both
    "Papua Barat" and "Papua Barat Daya", and as with exact names the longer one wins.
    """
    if not accepted:
        return None
    longest = max(accepted, key=lambda found: len(found[0]))
    return longest if all(longest[0].startswith(form) for form, _ in accepted) else None


def _pieces(text: str, pos: int) -> list[tuple[str, int, list[str]]]:
    """The head of the text as candidate keywords: (squashed so far, end, words) at each boundary."""
    pieces, squashed, words = [], "", []
    while len(words) < MAX_TYPO_WORDS:
        piece = _PIECE.match(text, pos)
        if piece is None:
            break
        word = piece.group().lower()
        squashed += word
        words.append(word)
        end = piece.end()
        if end >= len(text) or text[end].isspace() or text[end] in SEPARATORS:
            pieces.append((squashed, end, list(words)))
        if end >= len(text) or (text[end] not in IGNORABLE and not text[end].isspace()):
            break
        pos = _GAP.match(text, end).end()
    return pieces


def _clear_intent(query: str, words: list[str], form: str, target: FormTarget, name_words) -> bool:
    """The typo policy: may `query` (one edit from `form`) be read as `form`?"""
    name_form = target.name_form
    if any(w in COMMON_WORDS and w not in name_words and w not in MARKER_WORDS for w in words):
        return False
    if _name_part(query, name_form.marker, name_form.marker_first) in COMMON_WORDS:
        return False  # "KabPasar" is still the word "pasar", not Kabupaten Paser
    if not name_form.marker:
        return len(name_form.name) >= MIN_BARE_TYPO_NAME and query[0] == form[0]
    if len(name_form.name) >= MIN_MARKED_TYPO_NAME:
        return True
    # A short name is accepted only intact, with the slip in a marker long enough to recognise.
    name = name_form.name
    intact = query.endswith(name) if name_form.marker_first else query.startswith(name)
    return intact and len(query) - len(name) >= MIN_MARKER_TYPO_LENGTH


def _name_part(query: str, marker: str, marker_first: bool) -> str:
    if marker_first and query.startswith(marker):
        return query[len(marker):]
    if not marker_first and marker and query.endswith(marker):
        return query[:-len(marker)]
    return query


def _routing(target: FormTarget, text: str, end: int) -> Routing:
    body = text[_BODY_START.match(text, end).end():].rstrip()
    if len(target.regions) == 1:
        return Routing(RoutingStatus.ROUTED, body, region=target.regions[0])
    return Routing(RoutingStatus.AMBIGUOUS, body, candidates=target.regions)
