"""How a mapping edit changes the routing of sample messages, for an admin's dry run.

An added keyword or a renamed entry can quietly take messages from another region (or
from the national desk). Before an edit is written or reloaded, `regions add-keyword …
--dry-run --against SAMPLES` and `regions check --against SAMPLES` parse the same sample
messages with the mapping before and after, and list exactly the ones whose routing
changes. Samples are JSON Lines with a "text" field (`../shared/samples/parser-cases.jsonl`;
other fields are ignored).
"""
from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

from gateway.model import Routing, RoutingStatus
from gateway.parsers.keyword import KeywordParser
from gateway.parsers.mapping_file import Problem
from gateway.parsers.regions import RegionDirectory


@dataclass(frozen=True)
class Sample:
    line: int
    text: str


@dataclass(frozen=True)
class RoutingChange:
    """One sample message the edit routes differently."""

    sample: Sample
    before: Routing
    after: Routing

    def __str__(self) -> str:
        before, after = describe(self.before), describe(self.after)
        if before == after:  # same destination, the keyword took more or less of the text
            before, after = f"{before}, body {self.before.body!r}", f"{after}, body {self.after.body!r}"
        return f"line {self.sample.line}: {before} -> {after}: {self.sample.text}"


class SampleError(Exception):
    """The samples file cannot be used; the message lists each bad line as `PATH:LINE: text`."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        super().__init__("\n".join(map(str, problems)))


def read_samples(path: str | os.PathLike) -> list[Sample]:
    """The messages of a JSON Lines samples file; SampleError names every bad line."""
    try:
        lines = Path(path).read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise SampleError([Problem(str(path), 1, f"cannot read: {exc}")]) from exc
    samples, problems = [], []
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            text = json.loads(line)["text"]
            if not isinstance(text, str):
                raise TypeError
        except (ValueError, KeyError, TypeError):
            problems.append(Problem(str(path), number, 'expected a JSON object with a "text" string'))
            continue
        samples.append(Sample(number, text))
    if problems:
        raise SampleError(problems)
    return samples


def routing_changes(samples: list[Sample], before: RegionDirectory,
                    after: RegionDirectory) -> list[RoutingChange]:
    """The samples whose routing (status, region, candidates or body) differs, in file order."""
    old, new = KeywordParser(before).parse, KeywordParser(after).parse
    changes = []
    for sample in samples:
        was, now = old(sample.text), new(sample.text)
        if was.to_json() != now.to_json():
            changes.append(RoutingChange(sample, was, now))
    return changes


def describe(routing: Routing) -> str:
    """Where a routing sends the complaint, in a few words: "33.75 Kota Pekalongan"."""
    if routing.status == RoutingStatus.ROUTED:
        return f"{routing.region.code} {routing.region.name}"
    if routing.status == RoutingStatus.AMBIGUOUS:
        return f"ambiguous ({', '.join(r.code for r in routing.candidates)})"
    return "unrouted"
