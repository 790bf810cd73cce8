"""The `[parser]` config section: where the region-keyword mapping is (read, and checked,
when the parser is built: `regions.load_directory`)."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class ParserSettings:
    mapping: Path = Path("regions.yaml")   # relative to the config file's folder
