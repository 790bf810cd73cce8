"""What metrics (and which of their labels) a PromQL expression names: enough of PromQL's
grammar to check that our rules and dashboard ask only for what the gateway exports.

Not a parser: it blanks what can hold no metric name — strings, `{…}` label matchers,
`[…]` ranges, grouping clauses `by (…)`, Grafana's `$variables` — and what is left is
function names (followed by a parenthesis), keywords, numbers and metric names. Its own
tests are in tests/test_monitoring.py.
"""
from __future__ import annotations

import re

#: operators and modifiers spelled as words, and PromQL's number literals
KEYWORDS = {"and", "or", "unless", "by", "without", "on", "ignoring", "group_left", "group_right",
            "bool", "offset", "atan2", "inf", "nan"}
STRING = re.compile(r'"(?:[^"\\]|\\.)*"|\'(?:[^\'\\]|\\.)*\'|`[^`]*`')
VARIABLE = re.compile(r"\$\{\w+\}|\$\w+")
SELECTOR = re.compile(r"([a-zA-Z_:][\w:]*)\s*\{([^}]*)\}")
MATCHER_LABEL = re.compile(r"([a-zA-Z_]\w*)\s*(?:=~|!~|!=|=)")
GROUPING = re.compile(r"\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)", re.IGNORECASE)
IDENTIFIER = re.compile(r"(?<![\w.:])([a-zA-Z_:][\w:]*)(?![\w:])(?!\s*\()")


def _without_strings(expr: str) -> str:
    # Strings first (a label value may hold braces); keep the quotes so matchers stay matchers.
    return STRING.sub('""', VARIABLE.sub("", expr))


def metric_names(expr: str) -> set[str]:
    """The metric names `expr` selects."""
    text = _without_strings(expr)
    text = re.sub(r"\{[^}]*\}", " ", text)
    text = re.sub(r"\[[^\]]*\]", " ", text)
    text = GROUPING.sub(" ", text)
    return {name for name in IDENTIFIER.findall(text) if name.lower() not in KEYWORDS}


def matcher_labels(expr: str) -> dict[str, set[str]]:
    """{metric name: the label names its `{…}` matchers test}."""
    found: dict[str, set[str]] = {}
    for name, matchers in SELECTOR.findall(_without_strings(expr)):
        if name.lower() not in KEYWORDS:
            found.setdefault(name, set()).update(MATCHER_LABEL.findall(matchers))
    return found
