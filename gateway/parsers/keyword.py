"""The keyword parser: which region a complaint's first words name, and what the complaint says.

Grammar: `[@mention | mark ...] KEYWORD [marks] BODY`. Inside the keyword, case, spaces, dots,
hyphens and apostrophes do not matter (`Kab. Toli-Toli` = `KabTolitoli`); the longest keyword
that ends on a boundary (whitespace, punctuation, an emoji) wins (`Papua Barat Daya` over
`Papua`). Citizens decorate the opening (`🙏 PekalonganKota`, `KOTA PEKALONGAN!!!`,
`"Solo":`, `*Kab Siak*`), so marks before the keyword are skipped and the marks between it
and the body are not part of the body. A mark never joins the words of a name: when the words
after it would continue the keyword into a longer name (`Kab Buru!!! Selatan`), the message
routes nowhere.
A name several regions share routes only where that cannot reach the wrong agency
(`names.shared_name_region`: `Jambi` goes to the province, `Pekalongan` stays ambiguous).

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
from gateway.parsers.names import MARKER_WORDS, shared_name_region
from gateway.parsers.normalise import APOSTROPHES
from gateway.parsers.place_routing import PlaceRouter
from gateway.parsers.regions import FormTarget, RegionDirectory

_MENTIONS = re.compile(r"\s*(?:@\w+\s*)*")
# Before the keyword: mentions, and any run of marks (emoji, quotes, #, *, !, ...). Digits
# and letters are never skipped: "1. Solo" is not a keyword message.
_OPENING = re.compile(r"(?:@\w*|[\W_])*")
_PIECE = re.compile(r"[^\W_]+")
_MARKS = re.compile(r"[\W_]*")
_SPACES = re.compile(r"\s*")
_INLINE_JOINERS = frozenset(".-") | APOSTROPHES
_MARKER_ABBREVIATIONS = frozenset({"kec", "kep", "kab", "prov", "adm"})
_JOINING_MARKS = APOSTROPHES | frozenset("_/\\&+|")
# Marks that open the body's first word and belong to it: `Solo "jalan rusak"`, `(mohon)`,
# `#banjir`, `@bupati`.
_OPENERS = frozenset("\"'\u201c\u2018\u00ab([{#@")

MIN_BARE_TYPO_NAME = 8
MIN_BARE_FIRST_LETTER_TYPO = 10
MIN_MARKED_TYPO_NAME = 5
MIN_MARKER_TYPO_LENGTH = 3
MAX_TYPO_WORDS = 6
MAX_EXTRA_WORDS = 2
MIN_FUSED_WORDS = 8


class KeywordParser:
    """Parses message text against one RegionDirectory. Stateless apart from the directory."""

    def __init__(self, directory: RegionDirectory):
        self.directory = directory
        self._places = PlaceRouter(directory, directory.places)

    def parse(self, text: str) -> Routing:
        """The routing of `text`: routed, ambiguous (with candidates) or unrouted, with the
        finest place it names; never raises. Without a keyword, or with a shared one, the
        places named after markers anywhere in the text decide (`place_routing.py`)."""
        start = _MENTIONS.match(text).end()
        pos = start if text[start:start + 1].isalnum() else _OPENING.match(text, start).end()
        found = self._exact(text, pos)
        typos = self.directory.typos
        if found is None:
            found = self._typo(_pieces(text, pos, typos, "", MAX_TYPO_WORDS))
        elif self._may_continue(text, found[1]):
            # "Kab Nias Utaar", "Kab Serang Bedagai": an exact name may be the start of a
            # misspelt longer one. Take the longer name if the slip is clear; if it is not,
            # route nowhere rather than guess.
            more = _gap_end(text, found[1], "") if found[1] < len(text) else None
            pieces = _pieces(text, more, typos, found[0], MAX_EXTRA_WORDS) if more else []
            longer = self._typo(pieces, after=found)
            found = found if longer is _NOTHING_NEAR else longer
        if found is None or found is _NOTHING_NEAR or self._split_by_marks(text, *found):
            # The last: "Kab Buru!!! Selatan", the mark may end Buru or sit inside Buru Selatan.
            # A head read with doubt is not read again as a marked place ("Kab Nias Utama").
            return self._places.without_keyword(text, start, -1 if found is _NOTHING_NEAR else pos)
        form, end = found
        return self._places.after_keyword(_routing(self.directory.lookup(form), text, end), text, end)

    def _exact(self, text: str, pos: int) -> tuple[str, int] | None:
        """The longest form the text starts with that ends on a boundary, as (form, end)."""
        directory, squashed, best, length = self.directory, "", None, len(text)
        while True:
            piece = _PIECE.match(text, pos)
            if piece is None:
                return best
            word = piece.group().lower()
            squashed += word
            if not directory.is_prefix(squashed):
                return best
            end = piece.end()
            if end >= length:
                return (squashed, end) if directory.lookup(squashed) else best
            if directory.lookup(squashed) and _ends_keyword(text, end):
                best = (squashed, end)
            pos = _gap_end(text, end, word)
            if pos is None:
                return best

    def _split_by_marks(self, text: str, form: str, end: int) -> bool:
        """True if marks end the keyword `form` but the words after them continue it into a
        longer name, exactly or with one slip ("Kab Buru!!! Selatan", "Papua. Barat Daya").

        Whitespace alone never splits a name (the longest name is read across it), so only
        a mark can; whether it closes the keyword or was typed inside the name is then
        unclear, and a wrong guess sends the complaint to the wrong agency.
        """
        if text[end:end + 1].isspace() and text[end + 1:end + 2].isalnum():
            return False  # the common case, "KabSiak Jalan", made cheap
        pos = _MARKS.match(text, end).end()
        if end == pos or text[end:pos].isspace():
            return False
        directory, squashed = self.directory, form
        piece = _PIECE.match(text, pos)
        if piece is None:
            return False
        word = piece.group().lower()
        if not directory.is_prefix(form + word) and not directory.typos.near_name_word(word):
            return False  # "Kab Siak: Guru honorer": the body, not more of a name
        while piece is not None:
            squashed += piece.group().lower()
            if not directory.is_prefix(squashed):
                break
            if directory.lookup(squashed) is not None:
                return True
            piece = _PIECE.match(text, _SPACES.match(text, piece.end()).end())
        pieces = _pieces(text, pos, directory.typos, form, MAX_EXTRA_WORDS)
        return self._typo(pieces, after=(form, end)) is not _NOTHING_NEAR

    def _may_continue(self, text: str, end: int) -> bool:
        """True if the word after an exact match could be part of a longer name (one slip
        from a word of some region's name, or from a marker such as "kota")."""
        following = _PIECE.match(text, _SPACES.match(text, end).end())
        return following is not None and self.directory.typos.near_name_word(following.group().lower())

    def _typo(self, pieces, after: tuple[str, int] | None = None):
        """The one form the head of the text is a clear misspelling of, as (form, end).

        Returns _NOTHING_NEAR if no form is one slip away, and None if some are but the intent
        is not clear. With `after` (an exact match), only forms longer than it, matched against
        more of the text, count.
        """
        index, near = self.directory.typos, []
        if not pieces or (after is None and index.is_plain_word(pieces[0][2][0])):
            return _NOTHING_NEAR
        for squashed, end, words in pieces:
            if after and end <= after[1]:
                continue
            for form in index.near(squashed):
                if after and len(form) <= len(after[0]):
                    continue
                target = self.directory.lookup(form)
                clear = _clear_intent(squashed, words, form, target, index.name_words(form))
                near.append((form, end, target.regions, clear))
        return _one_intent(near) if near else _NOTHING_NEAR


_NOTHING_NEAR = ("", -1)


def _one_intent(near) -> tuple[str, int] | None:
    """The single clear correction among the forms one slip away, or None if there is doubt.

    Every near form counts, also those the policy refuses: "KabSika" is one slip from both
    Siak (too short to correct) and Sikka, so it is not clearly Sikka. Nested names are not
    in conflict: "Papua Barta Daya" is one slip from "Papua Barat" and from "Papua Barat Daya",
    and as with exact names the longer one wins.
    """
    clear = [(form, end) for form, end, _, ok in near if ok]
    if not clear:
        return None
    form, end = max(clear, key=lambda found: (len(found[0]), found[1]))
    regions = next(r for f, e, r, _ in near if f == form)
    # Slips matched against less text ("Intan" ~ Bintan in "Intan Jya") do not contest a
    # correction that explains more of it, just as a longer exact name beats a shorter one.
    rivals = [(other, other_regions) for other, other_end, other_regions, _ in near if other_end >= end]
    if all(form.startswith(other) or other_regions == regions for other, other_regions in rivals):
        return form, end
    return None


def _ends_keyword(text: str, end: int) -> bool:
    """True if a keyword may end before `text[end]`, the character after a word.

    Anything but a letter or digit ends it (whitespace, punctuation, an emoji), except an
    apostrophe or a joining mark between two words: "Solo's" is not "Solo" + "'s", and
    "Siak/Kampar" or "Jogja&Solo" name two regions, so neither is chosen.
    """
    if text[end] not in _JOINING_MARKS:
        return True
    following = text[end + 1:end + 2]
    return not following or not (following.isalnum() or following == "_")


def _gap_end(text: str, end: int, word: str) -> int | None:
    """Where the next piece of a keyword may start after `word`, or None if the keyword ends here.

    Spaces join pieces ("Sumba Timur"); a dot, hyphen or apostrophe joins them only inside a
    word ("Toli-Toli", "Kab.Siak") or, for a dot, after a marker ("Kab. Siak"). " - " and
    "Papua. " are separators before the body.
    """
    char = text[end]
    if char.isspace():
        return _SPACES.match(text, end).end()
    if char in _INLINE_JOINERS:
        following = text[end + 1:end + 2]
        if following and not following.isspace():
            return end + 1
        if char == "." and word in MARKER_WORDS | _MARKER_ABBREVIATIONS:
            return _SPACES.match(text, end + 1).end()
    return None


def _pieces(text: str, pos: int, index, squashed: str, max_words: int) -> list[tuple[str, int, list[str]]]:
    """The head of the text as candidate keywords: (squashed so far, end, words) at each boundary.

    After the first word, a word is taken only if it may belong to a name: near a word of
    some region's name or a marker, or long enough to be several name words run together.
    This stops at the complaint's first ordinary word, which keeps the typo search cheap.
    `squashed` is an exact match the pieces continue, if any (then no run-together words).
    """
    pieces, words, continuing = [], [], bool(squashed)
    while len(words) < max_words:
        piece = _PIECE.match(text, pos)
        if piece is None:
            break
        word = piece.group().lower()
        if (words or continuing) and not index.near_name_word(word) and (
                continuing or len(word) < MIN_FUSED_WORDS):
            break
        squashed += word
        words.append(word)
        end = piece.end()
        if end >= len(text):
            pieces.append((squashed, end, list(words)))
            break
        if _ends_keyword(text, end):
            pieces.append((squashed, end, list(words)))
        pos = _gap_end(text, end, word)
        if pos is None and len(words) == 1 and len(word) <= 4 and text[end] == ".":
            pos = _SPACES.match(text, end + 1).end()  # "Kxb. Siak": maybe a misspelt marker
        if pos is None:
            break
    return pieces


def _clear_intent(query: str, words: list[str], form: str, target: FormTarget, name_words) -> bool:
    """The typo policy: may `query` (one edit from `form`) be read as `form`?"""
    name_form = target.name_form
    if any(w in COMMON_WORDS and w not in name_words and w not in MARKER_WORDS for w in words):
        return False
    if _name_part(query, name_form.marker, name_form.marker_first) in COMMON_WORDS:
        return False  # "KabPasar" is still the word "pasar", not Kabupaten Paser
    if not name_form.marker:
        # A slip in the first letter is rarer than a real word that happens to be near.
        same_start = query[0] == form[0] or len(name_form.name) >= MIN_BARE_FIRST_LETTER_TYPO
        return len(name_form.name) >= MIN_BARE_TYPO_NAME and same_start
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


def _body_start(text: str, end: int) -> int:
    """Where the body begins after a keyword ending at `end`: at the next letter or digit, so
    the marks around the keyword (`!!!`, `":`, ` - `, emoji) go, but an opening quote, bracket,
    # or @ glued to the first word stays with it. One glued to the keyword closes it instead
    (`"Solo"jalan`)."""
    words = _MARKS.match(text, end).end()
    start = words
    while start > end and text[start - 1] in _OPENERS:
        start -= 1
    return start if end < start < words < len(text) else words


def _routing(target: FormTarget, text: str, end: int) -> Routing:
    """Routed to the target's region, or ambiguous if it is a name shared without a safe reading."""
    body = text[_body_start(text, end):].rstrip()
    regions = target.regions
    region = regions[0] if len(regions) == 1 else shared_name_region(regions)
    if region is not None:
        return Routing(RoutingStatus.ROUTED, body, region=region)
    return Routing(RoutingStatus.AMBIGUOUS, body, candidates=regions)
