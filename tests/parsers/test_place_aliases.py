"""Admins' aliases for a kecamatan or desa in the mapping file: used after their marker once
the file is loaded (start or reload), refused with file and line where a keyword would be,
and never turning another place's name ambiguous."""
from __future__ import annotations

import pytest

from gateway.model import RoutingStatus
from gateway.parsers.keyword import KeywordParser
from gateway.parsers.mapping_file import MappingError
from gateway.parsers.regions import check_text, load_text
from tests.parsers.conftest import SHIPPED_MAPPING


def _with(entries: str) -> str:
    return SHIPPED_MAPPING.read_text(encoding="utf-8") + entries


def test_an_alias_names_its_place_after_the_marker(parser):
    text = _with('  "33.26.05":\n    aliases:\n      - Talun Lor   # local name\n'
                 '  "33.26.05.2003":\n    aliases: [Sengare Wetan]\n')
    directory = load_text(text, "regions.yaml")
    assert directory.aliases == {"33.26.05": ("Talun Lor",), "33.26.05.2003": ("Sengare Wetan",)}
    with_aliases = KeywordParser(directory)
    routing = with_aliases.parse("Jalan rusak di Kec. Talun Lor")
    assert (routing.status, routing.region.code, routing.place.code) == (RoutingStatus.ROUTED, "33.26", "33.26.05")
    assert with_aliases.parse("Banjir di desa sengare wetan").place.code == "33.26.05.2003"
    assert parser.parse("Jalan rusak di Kec. Talun Lor").status == RoutingStatus.AMBIGUOUS  # without: Talun


@pytest.mark.parametrize("entry, words", [
    ('  "33.26.05":\n    aliases:\n      - Jalan\n', ["regions.yaml:", "'Jalan'", "ordinary"]),
    ('  "33.26.05":\n    aliases:\n      - Tlk\n', ["too short"]),
    ('  "33.26.05":\n    aliases:\n      - Kranggan\n', ["'Kranggan'", "is the name of ", "ambiguous"]),
    ('  "33.26.05":\n    aliases:\n      - Talun\n', ["official name already"]),
    ('  "33.26.99":\n    aliases:\n      - Talun Lor\n', ["unknown place code '33.26.99'"]),
    ('  "33.26.05":\n    keywords:\n      - Talun Lor\n', ["takes one field, 'aliases'"]),
    ('  "33.26.05":\n    aliases:\n      - Talun Lor\n  "33.26.06":\n    aliases:\n      - Talun Lor\n',
     ["claimed by two places: 33.26.05"]),
])
def test_a_bad_alias_is_refused_with_its_line(entry, words):
    text = _with(entry)
    problems = check_text(text, "regions.yaml")
    assert problems, entry
    lines = len(SHIPPED_MAPPING.read_text(encoding="utf-8").splitlines())
    assert all(p.line > lines for p in problems)
    message = "\n".join(map(str, problems))
    for word in words:
        assert word in message
    with pytest.raises(MappingError):
        load_text(text, "regions.yaml")
