"""Which messages are commands to the gateway (ask a case's status, ask for help, stop or
restart status updates) rather than complaints — decided before any region parsing.

The rule, meant to be explained to a citizen and an admin in one breath: **a message is a
command when it is only the command** — its word, and for CEK/STATUS at most a tracking
number — after a leading @mention (`@lapor1708`), a leading `/` (Telegram's `/cek`,
`/cek@LaporBot`), case, and punctuation around the words are set aside. Anything more
makes it a complaint: "Cek kesehatan di puskesmas ditolak", "Info jalan rusak di Jl.
Merdeka", "Stop pungli di kelurahan" are complaints, as they read. A tracking number
holds at least one digit, so "Status anak saya" is a complaint too. No wrong door: when
in doubt it is a complaint, which is answered and reaches a person.

    CEK / STATUS / CEK STATUS / CEK LAPORAN [no|nomor] [#]<nomor>   the status of a case
    CEK / STATUS (alone)                                          my last three cases
    BANTUAN / INFO / HELP / MENU                                  how to write a complaint
    STOP / BERHENTI                                               no more status updates
    MULAI / START                                                 status updates again

Telegram's `/start`, `/help` and `/bantuan` stay the bot's greeting (its channel answers
them itself); `/cek`, `/status`, `/stop` and `/mulai` arrive here as text and follow the
rule above.
"""
from __future__ import annotations

import enum
import re
from dataclasses import dataclass


class CommandKind(str, enum.Enum):
    CHECK = "cek"
    HELP = "help"
    STOP = "stop"
    START = "start"


@dataclass(frozen=True)
class Command:
    kind: CommandKind
    #: CEK's tracking number as written, its case kept (without '#'); None: "my last cases"
    tracking_id: str | None = None


#: the longest tracking number CEK takes as written (a store's numbers are shorter: the
#: contract's are at most 12 characters); the "not found" answer is checked to fit with it
LONGEST_TYPED = 40
_MENTIONS = re.compile(r"^(?:@\w+[\s,:]*)+")
_SLASH = re.compile(r"^/(\w+)(?:@\w+)?")         # /cek, /cek@LaporBot
_EDGE_PUNCTUATION = re.compile(r"^[\s\W_]+|[\s\W_]+$")
_CHECK = re.compile(
    r"(?:cek|check|status|lacak)(?:\s+(?:status|laporan|aduan))?"
    r"(?:[\s:.\-]*(?:no|nomor|nomer)\b\.?)?"
    r"(?:[\s:.\-]*#?\s*(?P<id>[a-z0-9][a-z0-9\-]{2,%d}))?" % (LONGEST_TYPED - 1), re.IGNORECASE)
_WORDS = {
    "bantuan": CommandKind.HELP, "info": CommandKind.HELP, "help": CommandKind.HELP,
    "menu": CommandKind.HELP,
    "stop": CommandKind.STOP, "berhenti": CommandKind.STOP,
    "mulai": CommandKind.START, "start": CommandKind.START,
}


#: what a command's first word starts with, when the text starts with a letter or digit
_FIRST_WORDS = ("cek", "check", "status", "lacak", *_WORDS)


def recognise(text: str) -> Command | None:
    """The command `text` is, or None: a complaint (see the module's rule)."""
    head = text.lstrip()
    if head[:1].isalnum() and not head[:8].lower().startswith(_FIRST_WORDS):
        return None   # most complaints: no mention, slash or punctuation first, no command word
    return _recognised(text)


def _recognised(text: str) -> Command | None:
    plain = _MENTIONS.sub("", text.strip()).strip()
    plain = _SLASH.sub(r"\1", plain)
    plain = " ".join(_EDGE_PUNCTUATION.sub("", plain).split())
    if len(plain) > 60:          # longer than any command: a complaint, not worth a regex
        return None
    if plain.lower() in _WORDS:
        return Command(_WORDS[plain.lower()])
    match = _CHECK.fullmatch(plain)   # the number keeps its case: a store may issue "LPR12AB"
    if match is None:
        return None
    tracking = match.group("id")
    if tracking is not None and not any(c.isdigit() for c in tracking):
        return None              # "status laporan" is fine, "cek kesehatan" is a complaint
    return Command(CommandKind.CHECK, tracking)
