"""What a citizen reads when their case moves: one template per status
(`[replies.templates.updates]`), checked at load to fit one SMS, rendered per event.

A template shows `{tracking}` and may show `{status_text}`, the case store's own words
about the change (a reason for a rejection, what the agency did). Those words are the
case store's, of any length and alphabet: at run time they are made GSM-7 and cut, at
a word, to what the template leaves of the 160 septets — so the update is one SMS
whatever the case store writes. The load check therefore renders each template with a
tracking number of `tracking_id_max_length` digits and no status text. A status beyond
the vocabulary (see `gateway.case_status`) takes the `other` template, whose
`{status_text}` is the case store's text or, without one, its status word.
"""
from __future__ import annotations

from dataclasses import dataclass, fields

from gateway.case_status import STATUSES
from gateway.gsm7 import SMS_SEPTETS, as_gsm7, septets, template_problem
from gateway.logging import get_logger

log = get_logger(__name__)

PLACEHOLDERS = {"tracking", "status_text"}
#: what a status text cut short ends with
CUT = "..."
#: a status text is shown only when at least this much of it fits
MIN_SHOWN = 12

#: a few words per status, for an answer that names where a case stands (CEK)
STATUS_PHRASES = {
    "received": "menunggu verifikasi",
    "verified": "sudah diverifikasi",
    "assigned": "diteruskan ke instansi yang berwenang",
    "in_progress": "sedang ditindaklanjuti",
    "resolved": "sudah ditindaklanjuti",
    "closed": "selesai",
    "rejected": "tidak dapat ditindaklanjuti",
}


@dataclass(frozen=True)
class UpdateTemplates:
    """One per status of the vocabulary, and `other` for any status beyond it."""

    received: str = "LAPOR! Aduan #{tracking} sudah tercatat dan menunggu verifikasi. {status_text}"
    verified: str = ("LAPOR! Aduan #{tracking} sudah diverifikasi dan akan diteruskan ke instansi yang"
                     " berwenang. {status_text}")
    assigned: str = "LAPOR! Aduan #{tracking} sudah diteruskan ke instansi yang berwenang. {status_text}"
    in_progress: str = "LAPOR! Aduan #{tracking} sedang ditindaklanjuti instansi terkait. {status_text}"
    resolved: str = "LAPOR! Aduan #{tracking} sudah ditindaklanjuti. {status_text}"
    closed: str = "LAPOR! Aduan #{tracking} selesai. Terima kasih telah melapor. {status_text}"
    rejected: str = "LAPOR! Aduan #{tracking} tidak dapat ditindaklanjuti. {status_text}"
    other: str = "LAPOR! Status aduan #{tracking}: {status_text}"


assert {f.name for f in fields(UpdateTemplates)} == {*STATUSES, "other"}


def update_template_problems(templates: UpdateTemplates, tracking_length: int) -> list[tuple[str, str]]:
    """(status, problem) for every template that is malformed or does not fit one SMS."""
    tracking = "9" * tracking_length
    problems = []
    for f in fields(UpdateTemplates):
        template = getattr(templates, f.name)
        problem = template_problem(template, PLACEHOLDERS, lambda _used, t=template: _render(t, tracking, ""),
                                   must="tracking", at_worst=f"with a {tracking_length}-digit tracking number")
        if problem:
            problems.append((f.name, problem))
    return problems


class UpdateWriter:
    """Renders the update a citizen gets for a status event, one SMS long."""

    def __init__(self, templates: UpdateTemplates):
        self._templates = templates

    def for_event(self, tracking_id: str, status: str, status_text: str | None) -> str:
        template = getattr(self._templates, status, None) if status in STATUSES else None
        text = as_gsm7(status_text or "")
        if template is None:
            template, text = self._templates.other, text or status.replace("_", " ")
        room = SMS_SEPTETS - (septets(_render(template, tracking_id, "")) or SMS_SEPTETS)
        if septets(text) > room:
            text = _cut(text, room)
        rendered = _render(template, tracking_id, text)
        if (septets(rendered) or SMS_SEPTETS + 1) > SMS_SEPTETS:   # a longer number than the check assumed
            log.warning("status update does not fit one SMS segment", status=status,
                        septets=septets(rendered))
        return rendered


def _render(template: str, tracking: str, status_text: str) -> str:
    return " ".join(template.format(tracking=tracking, status_text=status_text).split())


def _cut(text: str, room: int) -> str:
    """`text` cut at a word to fit `room` septets with CUT after it ("" if too little fits)."""
    if room < MIN_SHOWN:
        return ""
    words, kept = text.split(" "), ""
    for word in words:
        candidate = f"{kept} {word}" if kept else word
        if septets(candidate + CUT) > room:
            break
        kept = candidate
    if not kept:   # one long word: cut inside it
        kept = text[:room - len(CUT)]
        while septets(kept + CUT) > room:
            kept = kept[:-1]
    return kept.rstrip(" .,;:") + CUT
