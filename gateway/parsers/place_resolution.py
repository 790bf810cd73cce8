"""Which kabupaten/kota the marked places of a complaint agree on, and the finest place named.

The rules are `../shared/samples/places-v2.md` R2e, R3 and R5. Each marked place has
candidates (every place of its kind with its name: "Desa Sukamaju" has 119). A candidate
survives when every marked place of *another* level (province, kabupaten/kota, kecamatan,
desa, kode pos) has a candidate on its branch (equal, ancestor or descendant); places of the
same level do not narrow each other ("Desa A dan Desa B"). The complaint is routed only when
the survivors lie in exactly one kabupaten/kota: anything else is ambiguous, never a guess.

One step is stricter than the rule's letter, so that a place added to a text can never move
it to another region: a candidate may be kept alive by a candidate of another mark that is
itself eliminated ("Desa X" in A and B, "Kec. K" in A and B but holding X only in A, and
"Kab. B": Kab. B meets X and K in B, which fail each other). The survivors are therefore also
narrowed to a fixpoint (each supported by *surviving* candidates), and the complaint is routed
only when that agrees with the one-step result; the place is the one-step result's, as the
rules say.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, Sequence

from gateway.parsers.gazetteer import depth, region_of
from gateway.parsers.places import LEVEL, MarkedPlace

_PROVINCE = LEVEL["provinsi"]


@dataclass(frozen=True)
class Resolution:
    """The surviving candidates of a text's marked places (province marks excluded)."""

    survivors: frozenset[str]   # R2e's, one step
    regions: frozenset[str]     # the kabupaten/kota codes of the survivors
    settled: frozenset[str]     # the survivors narrowed to a fixpoint (a subset)

    @property
    def certain(self) -> bool:
        """True if the fixpoint keeps the survivors' kabupaten/kota."""
        return frozenset(region_of(c) for c in self.settled) == self.regions

    @property
    def region(self) -> str | None:
        """The one kabupaten/kota the places agree on, or None (none or several)."""
        if len(self.regions) == 1 and self.certain:
            return next(iter(self.regions))
        return None

    def finest_place(self, within: str | None = None) -> str | None:
        """The finest survivor (inside `within`, if given) that is the only one of its level:
        a desa, else a kecamatan, else a kabupaten/kota; None if there is none."""
        inside = [c for c in self.survivors if within is None or c == within or c.startswith(within + ".")]
        for level in (4, 3, 2):
            codes = {c for c in inside if depth(c) == level}
            if len(codes) == 1:
                return codes.pop()
        return None


NOTHING = Resolution(frozenset(), frozenset(), frozenset())


def resolve(marks: Sequence[MarkedPlace]) -> Resolution:
    """R2e over the marked places of one text."""
    if not marks:
        return NOTHING
    levels = [m.level for m in marks]
    if len(set(levels)) < 2:  # nothing narrows: every candidate survives, already the fixpoint
        survivors = _placed(marks, [m.candidates for m in marks])
        return Resolution(survivors, frozenset(region_of(c) for c in survivors), survivors)
    candidates = [m.candidates for m in marks]
    alive = _narrowed(candidates, levels)
    survivors = _placed(marks, alive)
    regions = frozenset([region_of(c) for c in survivors])
    if len(regions) != 1 or alive == candidates:
        return Resolution(survivors, regions, survivors)  # ambiguous anyway, or nothing fell
    fixpoint = alive
    while True:
        again = _narrowed(fixpoint, levels)
        if again == fixpoint:
            break
        fixpoint = again
    return Resolution(survivors, regions, _placed(marks, fixpoint))


def _placed(marks: Sequence[MarkedPlace], alive: list[tuple[str, ...]]) -> frozenset[str]:
    return frozenset([c for m, codes in zip(marks, alive) if m.level != _PROVINCE for c in codes])


def _narrowed(candidates: list[tuple[str, ...]], levels: list[int]) -> list[tuple[str, ...]]:
    """Each mark's candidates that meet a candidate of every mark of another level."""
    branches = [_branches(codes) for codes in candidates]
    kept = []
    for i, codes in enumerate(candidates):
        pool = codes
        for j, other in enumerate(branches):
            if levels[j] != levels[i] and pool:
                pool = other.met(pool)
        kept.append(tuple(pool))
    return kept


def _branches(codes: tuple[str, ...]) -> "_Branches":
    """The _Branches of a candidate tuple, remembered: the same names come again and again (a
    village's complaints), and a shared name's hundred candidates cost more to index than to
    look up. Bounded like the keyword parser's memo; only a speed-up, never an answer."""
    found = _BRANCHES_MEMO.get(codes)
    if found is None:
        if len(_BRANCHES_MEMO) >= _MEMO_LIMIT:
            _BRANCHES_MEMO.clear()
        found = _BRANCHES_MEMO[codes] = _Branches(codes)
    return found


_BRANCHES_MEMO: dict[tuple[str, ...], "_Branches"] = {}
_MEMO_LIMIT = 4096


class _Branches:
    """The candidates of one mark, ready to answer "which of these codes lie on one of their
    branches?" (equal to a candidate, an ancestor of one, or below one)."""

    __slots__ = ("codes", "cut", "prefixes", "_covered")

    def __init__(self, codes: Iterable[str]):
        self.codes = frozenset(codes)
        # A code on a candidate's branch shares its province, and its kabupaten/kota when
        # both are that fine: a quick filter before the exact test, since a shared village
        # name can have a hundred candidates and nearly all fall here.
        self.cut = 2 if any(len(c) == 2 for c in self.codes) else 5   # provinces: their code
        self.prefixes = frozenset(c[:self.cut] for c in self.codes)
        self._covered = None

    def met(self, pool) -> list[str]:
        """The codes of `pool` on one of these candidates' branches."""
        cut, prefixes = self.cut, self.prefixes
        near = [c for c in pool if c[:cut] in prefixes or len(c) < cut]
        return [c for c in near if self._meets(c)] if near else near

    def _meets(self, code: str) -> bool:
        if self._covered is None:
            covered = set(self.codes)
            for candidate in self.codes:
                covered.update(_ancestors(candidate))
            self._covered = covered   # the candidates and all their ancestors
        return code in self._covered or any(a in self.codes for a in _ancestors(code))


def _ancestors(code: str) -> tuple[str, ...]:
    # "33.26.05.2003": 13 characters, three ancestors; "33.26": 5, one; "33": 2, none
    return (code[:2], code[:5], code[:8])[:_ANCESTOR_COUNT[len(code)]]


_ANCESTOR_COUNT = {2: 0, 5: 1, 8: 2, 13: 3}
