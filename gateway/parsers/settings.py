"""The `[parser]` config section: where the region-keyword mapping is (read, and checked,
when the parser is built: `regions.load_directory`)."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from gateway.data import PACKAGED_MAPPING


@dataclass(frozen=True)
class ParserSettings:
    #: the mapping admins edit, relative to the config file's folder; unset: the one
    #: shipped in the package (read-only: `regions copy` makes an editable copy)
    mapping: Path | None = None

    @property
    def mapping_path(self) -> Path:
        return self.mapping if self.mapping is not None else PACKAGED_MAPPING

    @property
    def mapping_is_packaged(self) -> bool:
        return self.mapping is None
