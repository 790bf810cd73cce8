"""What the bundled SMSC answers in either mode (the ordinary simulator and the load
mode): whether a bind's credentials pass, and the text of a delivery receipt. One
place, so that the load mode cannot drift from what the tests of the ordinary
simulator pin down."""
from __future__ import annotations

from gateway.channels.smpp.constants import ESME_RINVPASWD, ESME_RINVSYSID, ESME_ROK


def bind_status(system_id: str, password: str, expected_id: str, expected_password: str) -> int:
    """ESME_ROK, or why a bind with these credentials is refused."""
    if system_id != expected_id:
        return ESME_RINVSYSID
    if password != expected_password:
        return ESME_RINVPASWD
    return ESME_ROK


def receipt_text(message_id: str, status: str, stamp: str, snippet: str) -> str:
    """The receipt's short_message in the SMPP 3.4 appendix B form; `stamp` is
    YYMMDDhhmm, `snippet` the first characters of the message (ASCII)."""
    return (f"id:{message_id} sub:001 dlvrd:{'001' if status == 'DELIVRD' else '000'} "
            f"submit date:{stamp} done date:{stamp} stat:{status} err:000 text:{snippet}")
