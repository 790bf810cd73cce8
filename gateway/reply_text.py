"""What the citizen reads: the reply text for each routing outcome, in Indonesian.

Each reply carries the tracking number and fits one SMS segment. (Configurable
templates and their length check at config load come with the case-store adapters.)
"""
from __future__ import annotations

from gateway.model import Complaint, RoutingStatus

TEMPLATES = {
    "routed": "LAPOR! Aduan Anda untuk {region} diterima, nomor #{tracking}. Simpan nomor ini"
              " untuk memantau tindak lanjutnya.",
    "ambiguous": "LAPOR! Aduan diterima, nomor #{tracking}. {name} ada lebih dari satu"
                 " ({candidates}); lain kali tulis mis. {example}.",
    "unrouted": "LAPOR! Aduan diterima, nomor #{tracking}, diteruskan ke admin nasional. Lain kali"
                " awali dengan daerah, mis. PekalonganKota Jalan rusak.",
}


def reply_for(complaint: Complaint, tracking_id: str) -> tuple[str, str]:
    """(kind, text) of the reply for a forwarded complaint."""
    routing = complaint.routing
    status = routing.status if routing else RoutingStatus.UNROUTED
    if status is RoutingStatus.ROUTED:
        return "routed", TEMPLATES["routed"].format(region=routing.region.name, tracking=tracking_id)
    if status is RoutingStatus.AMBIGUOUS and routing.candidates:
        names = [c.name for c in routing.candidates]
        first_word = names[0].split()[-1]
        text = TEMPLATES["ambiguous"].format(tracking=tracking_id, name=first_word,
                                             candidates=", ".join(names[:3]),
                                             example=f"{first_word}Kota")
        if len(text) <= 160:
            return "ambiguous", text
    return "unrouted", TEMPLATES["unrouted"].format(tracking=tracking_id)
