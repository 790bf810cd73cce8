"""Routing version 2: the keyword parser's answer, completed by the places the text names.

`KeywordParser` reads the leading keyword (rule R1 of `../shared/samples/places-v2.md`) and
hands over here: without a keyword, the marked places anywhere in the text route the
complaint (R2-R4); with one, its region and body stand, the places only say which place
inside it is meant, and narrow a shared keyword ("Pekalongan kec. Talun", R5). A routing
always says the finest place named (`Routing.place`), or None.
"""
from __future__ import annotations

from dataclasses import replace

from gateway.model import Place, Routing, RoutingStatus
from gateway.parsers.gazetteer import Gazetteer
from gateway.parsers.place_resolution import resolve
from gateway.parsers.places import LEVEL, PlaceReader

_PROVINCE = LEVEL["provinsi"]


class PlaceRouter:
    """Routes by marked places, over one region directory and its gazetteer."""

    def __init__(self, directory, gazetteer: Gazetteer):
        self._directory = directory
        self._gazetteer = gazetteer
        self._reader = PlaceReader(gazetteer)

    def without_keyword(self, text: str, start: int, doubted: int = -1) -> Routing:
        """R2: the text from `start` (after mentions) has no keyword; `doubted` is where a head
        the keyword parser would not read begins (its marker must not route either)."""
        body = text[start:].strip()
        marks = self._reader.marked_places(text, start, doubted)
        if all(m.level == _PROVINCE for m in marks):
            return Routing(RoutingStatus.UNROUTED, body)   # a province is context only
        resolution = resolve(marks)
        code = resolution.region
        if code is None:
            return Routing(RoutingStatus.AMBIGUOUS, body)  # none or several: never guess
        region = self._directory.get(code)
        if region is None:   # disabled in the mapping: it receives nothing
            return Routing(RoutingStatus.UNROUTED, body)
        return Routing(RoutingStatus.ROUTED, body, region=region,
                       place=self.place(resolution.finest_place() or code))

    def after_keyword(self, routing: Routing, text: str, end: int) -> Routing:
        """R5: the keyword's routing, with the place its body names inside its region, and a
        shared keyword narrowed to the one region that holds the places named."""
        marks = self._reader.marked_places(text, end)
        if not marks:
            return routing
        resolution = resolve(marks)
        if routing.status is RoutingStatus.ROUTED:
            return replace(routing, place=self.place(resolution.finest_place(routing.region.code)))
        if routing.status is RoutingStatus.AMBIGUOUS:
            holding = _holding(routing.candidates, resolution.survivors)
            if len(holding) == 1 and holding == _holding(routing.candidates, resolution.settled):
                region = holding[0]
                return Routing(RoutingStatus.ROUTED, routing.body, region=region,
                               place=self.place(resolution.finest_place(region.code)))
        return routing

    def place(self, code: str | None) -> Place | None:
        return self._gazetteer.place(code) if code is not None else None


def _holding(regions, survivors) -> list:
    """The regions that hold a survivor, less any that holds another region that does."""
    holding = [r for r in regions if any(s == r.code or s.startswith(r.code + ".") for s in survivors)]
    return [r for r in holding if not any(o.code.startswith(r.code + ".") for o in holding)]
