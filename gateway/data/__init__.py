"""What the package ships beside its code: the region-keyword mapping (Kemendagri's 38
provinces and 514 kabupaten/kota with their keywords) and the demo's sample messages.

A config without `[parser].mapping` uses this mapping, so an installed gateway runs from
any folder; admins who edit keywords keep their own copy (`regions copy`) and name it.
"""
from __future__ import annotations

from importlib.resources import files
from pathlib import Path


def packaged(name: str) -> Path:
    """The path of a file shipped in this folder (installed packages are plain folders)."""
    return Path(str(files(__name__) / name))


PACKAGED_MAPPING = packaged("regions.yaml")
DEMO_MESSAGES = packaged("demo-messages.jsonl")
