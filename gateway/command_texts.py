"""What the gateway answers to a citizen's command (CEK, BANTUAN, STOP, MULAI):
`[replies.commands]`, each text checked at load to fit one SMS at worst, and rendered so
that whatever the case store says still fits (its status text is cut, a list shortened).
"""
from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import datetime

from gateway.gsm7 import SMS_SEPTETS, as_gsm7, septets, template_problem
from gateway.parsers.citizen_commands import LONGEST_TYPED
from gateway.update_text import STATUS_PHRASES
#: the placeholders each text may use
PLACEHOLDERS = {"help": set(), "stopped": set(), "started": set(), "none": set(),
                "unavailable": set(), "not_offered": set(), "status": {"tracking", "status", "date"},
                "not_found": {"tracking"}, "mine": {"cases"}}
_WORST_STATUS = max(STATUS_PHRASES.values(), key=len)   # the store's longer words are cut


@dataclass(frozen=True)
class CommandTexts:
    help: str = ("LAPOR! Tulis aduan diawali nama daerah, mis. PekalonganKota Jalan rusak di"
                 " Jl. Merdeka. Cek status: CEK nomor. Berhenti terima kabar: STOP.")
    stopped: str = ("LAPOR! Anda tidak lagi menerima kabar perkembangan aduan. Aduan baru tetap"
                    " diterima. Kirim MULAI untuk menerima kabar lagi.")
    started: str = "LAPOR! Anda akan menerima kabar perkembangan aduan lagi. Kirim STOP untuk berhenti."
    status: str = "LAPOR! Aduan #{tracking}: {status} ({date})."
    not_found: str = ("LAPOR! Aduan #{tracking} tidak ditemukan untuk nomor ini. Periksa nomornya,"
                      " atau kirim CEK untuk daftar aduan Anda.")
    unavailable: str = "LAPOR! Status aduan sedang tidak tersedia, coba lagi nanti."
    not_offered: str = ("LAPOR! Status aduan belum dapat dicek lewat pesan. Pantau aduan Anda di"
                        " www.lapor.go.id dengan nomor aduan.")
    mine: str = "LAPOR! Aduan Anda: {cases}. Kirim CEK nomor untuk rinciannya."
    none: str = ("LAPOR! Belum ada aduan bernomor dari alamat ini. Tulis aduan diawali nama"
                 " daerah, mis. PekalonganKota Jalan rusak.")


def status_words(status: str, status_text: str | None) -> str:
    """The case store's own words when it gave some, else our word for its stage."""
    return (status_text or "").strip() or STATUS_PHRASES.get(status, status.replace("_", " "))


def render_status(texts: CommandTexts, tracking: str, status: str, status_text: str | None,
                  updated_at: datetime | None) -> str:
    date = updated_at.strftime("%d/%m/%Y") if updated_at else "-"
    words = status_words(status, status_text)
    for cut in range(len(words), 0, -1):
        shown = words if cut == len(words) else words[:cut - 1].rstrip() + "…"
        text = texts.status.format(tracking=tracking, status=as_gsm7(shown), date=date)
        if (septets(text) or SMS_SEPTETS + 1) <= SMS_SEPTETS:
            return text
    return texts.status.format(tracking=tracking, status="", date=date)


def render_mine(texts: CommandTexts, cases: list[tuple[str, str]]) -> str:
    """`cases`: (tracking, status words), newest first; as many as fit."""
    for count in range(len(cases), 0, -1):
        text = texts.mine.format(cases="; ".join(f"#{t} {as_gsm7(w)}" for t, w in cases[:count]))
        if (septets(text) or SMS_SEPTETS + 1) <= SMS_SEPTETS:
            return text
    return texts.mine.format(cases=f"#{cases[0][0]}")


def command_text_problems(texts: CommandTexts, tracking_length: int) -> list[tuple[str, str]]:
    """(key, problem) for each text that is malformed or does not fit one SMS at worst."""
    tracking = "9" * tracking_length
    worst = {"tracking": tracking, "status": _WORST_STATUS, "date": "30/11/2026",
             "cases": f"#{tracking} {_WORST_STATUS}"}
    problems = []
    for field in fields(texts):
        text = getattr(texts, field.name)
        # "not found" repeats the number as the citizen typed it, up to LONGEST_TYPED characters
        values = worst | {"tracking": "9" * LONGEST_TYPED} if field.name == "not_found" else worst
        problem = template_problem(text, PLACEHOLDERS[field.name],
                                   lambda used, t=text, v=values: t.format(**{f: v[f] for f in used}),
                                   at_worst=f"with a {tracking_length}-digit tracking number"
                                            f" ({LONGEST_TYPED} as typed) and the longest status")
        if problem:
            problems.append((field.name, problem))
    return problems
