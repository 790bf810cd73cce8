"""How much of one SMS a text takes: GSM 03.38 septets, and what fits one segment.

Every text the gateway writes to a citizen — the complaint's reply, a status update —
must fit one SMS on any handset: 160 GSM-7 septets, an extension character
(€ [ ] { } ^ ~ | \\) costing two; a character outside GSM-7 would send the whole
message as UCS-2 (70 characters). The reply templates and the update templates are
checked against this at load (`template_problem`); here, apart, so all can use it.
"""
from __future__ import annotations

import string
import unicodedata
from typing import Callable

SMS_SEPTETS = 160

# GSM 03.38: the basic set costs one septet, the extension table two (escape + char).
_BASIC = ("@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
          "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà")
_EXTENSION = "\f^{}\\[~]|€"
#: typographic characters a case store's text may carry, as their GSM-7 look-alikes
_LOOK_ALIKES = str.maketrans({"‘": "'", "’": "'", "“": '"', "”": '"', "–": "-", "—": "-",
                              "…": "...", "\u00a0": " ", "\t": " "})


def septets(text: str) -> int | None:
    """GSM-7 septets `text` needs, or None if a character is outside GSM-7 (the SMS would
    then go as UCS-2, 70 characters a segment)."""
    total = 0
    for char in text:
        if char in _BASIC:
            total += 1
        elif char in _EXTENSION:
            total += 2
        else:
            return None
    return total


def as_gsm7(text: str) -> str:
    """`text` in GSM-7 only, for free text that is not ours (a case store's note): quotes
    and dashes as their look-alikes, accents dropped where GSM-7 lacks the letter, any
    other character left out, runs of spaces made one."""
    out = []
    for char in text.translate(_LOOK_ALIKES):
        if septets(char) is not None:
            out.append(char)
        else:
            bare = "".join(c for c in unicodedata.normalize("NFKD", char) if not unicodedata.combining(c))
            out.append(bare if bare and septets(bare) is not None else "")
    return " ".join("".join(out).split())


def template_problem(template: str, allowed: set[str], render: Callable[[set[str]], str], *,
                     must: str | None = None, at_worst: str = "at worst") -> str | None:
    """What is wrong with a text template the gateway sends as one SMS, or None: it must
    parse, use only `allowed` placeholders, show `must` (if named), and — rendered by
    `render(used placeholders)` with the longest values — be GSM-7 within one SMS.
    `at_worst` says with what it was rendered. The reply, update and command texts are
    all checked here, so an admin reads the same words for the same mistake."""
    try:
        used = {name for _, name, _, _ in string.Formatter().parse(template) if name is not None}
    except ValueError as error:
        return f"is not a valid template: {error}"
    unknown = sorted(used - allowed)
    if unknown:
        return f"uses {{{unknown[0]}}}; it may use " + (", ".join(f"{{{p}}}" for p in sorted(allowed)) or "none")
    if must is not None and must not in used:
        return f"must show the {'tracking number' if must == 'tracking' else must}: {{{must}}}"
    text = render(used)
    need = septets(text)
    if need is None:
        bad = next(c for c in text if septets(c) is None)
        return f"has {bad!r}, which is not in the GSM-7 alphabet (the SMS would be UCS-2, 70 characters)"
    if need > SMS_SEPTETS:
        return (f"needs {need} GSM-7 characters {at_worst}; one SMS holds {SMS_SEPTETS}"
                " (€ [ ] { } ^ ~ | \\ count 2)")
    return None
