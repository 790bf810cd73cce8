"""What the bundled SMSC says to the gateway: citizens' MOs as deliver_sm fields.

MOs come from a JSON Lines file (one `{"from", "to", "text", "coding", "parts"}` per
line), or are made up: realistic Indonesian complaints that start with a region
keyword, some long enough to need several parts, some in UCS-2 because of an emoji.
Long messages are cut between characters and labelled with an 8-bit or 16-bit UDH,
SAR TLVs, or sent whole in `message_payload`, so every reassembly path is exercised.
"""
from __future__ import annotations

import json
import random
from dataclasses import dataclass
from typing import Any, Iterable, Iterator

from gateway.channels.smpp.constants import (
    CODING_DEFAULT,
    CODING_IA5,
    CODING_LATIN1,
    CODING_UCS2,
    ESM_UDHI,
)
from gateway.channels.smpp.text import encode_for_coding, fits_gsm, gsm_cost, ucs2_cost

CODINGS = {"gsm": CODING_DEFAULT, "ucs2": CODING_UCS2, "latin1": CODING_LATIN1,
           "latin-1": CODING_LATIN1, "ascii": CODING_IA5}
CONCAT_MODES = ("udh8", "udh16", "sar", "payload")
# Room per part: (single message, part with 8-bit UDH, part with 16-bit UDH)
_ROOM = {CODING_DEFAULT: (160, 153, 152), CODING_UCS2: (70, 67, 66),
         CODING_LATIN1: (140, 134, 133), CODING_IA5: (140, 134, 133)}
MAX_JSONL_LINES = 1_000_000
#: deliver_sm addresses are C-strings of at most 21 octets, the NUL included (SMPP 3.4)
MAX_ADDRESS_OCTETS = 20


@dataclass(frozen=True)
class MoSpec:
    """One citizen's message as the simulator will deliver it."""

    sender: str
    text: str
    recipient: str = "1708"
    coding: str = "gsm"
    parts: int | None = None      # force this many parts (else: as many as needed)
    concat: str = "udh8"

    def __post_init__(self) -> None:
        if self.coding not in CODINGS:
            raise ValueError(f"coding must be one of {sorted(CODINGS)}")
        if self.concat not in CONCAT_MODES:
            raise ValueError(f"concat must be one of {CONCAT_MODES}")
        for name in ("sender", "recipient"):
            problem = _address_problem(getattr(self, name))
            if problem:   # refused now: a deliver_sm that cannot be written is retried forever
                raise ValueError(f"{name} {problem}")


def _address_problem(address: str) -> str | None:
    try:
        octets = address.encode("latin-1")
    except UnicodeEncodeError:
        return "is not Latin-1 text"
    if b"\0" in octets or len(octets) > MAX_ADDRESS_OCTETS:
        return f"must be at most {MAX_ADDRESS_OCTETS} octets, without NUL"
    return None


def spec_from_json(obj: dict[str, Any], concat: str = "udh8") -> MoSpec:
    return MoSpec(
        sender=str(obj["from"]),
        text=str(obj["text"]),
        recipient=str(obj.get("to", "1708")),
        coding=obj.get("coding", "gsm"),
        parts=obj.get("parts"),
        concat=obj.get("concat", concat),
    )


def load_jsonl(lines: Iterable[str], concat: str = "udh8") -> Iterator[MoSpec]:
    """MoSpecs from JSON Lines; blank lines and `#` comments are skipped."""
    for number, line in enumerate(lines, 1):
        if number > MAX_JSONL_LINES:
            raise ValueError("MO file too long")
        line = line.strip()
        if line and not line.startswith("#"):
            yield spec_from_json(json.loads(line), concat)


def _cost(coding: int):
    if coding == CODING_DEFAULT:
        return lambda c: gsm_cost(c) or 1
    if coding == CODING_UCS2:
        return ucs2_cost
    return lambda c: 1


def split_for_mo(text: str, coding: int, parts: int | None, concat: str) -> list[str]:
    """Cut `text` between characters into parts that fit the coding's room."""
    if concat == "payload":
        return [text]
    single, room8, room16 = _ROOM[coding]
    room = room16 if concat == "udh16" else room8
    if parts:
        step = -(-len(text) // parts) or 1
        return [text[i:i + step] for i in range(0, len(text), step)][:255] or [""]
    cost = _cost(coding)
    costs = [cost(c) for c in text]
    if sum(costs) <= single:
        return [text]
    chunks, start, used = [], 0, 0
    for i, c in enumerate(costs):
        if used + c > room:
            chunks.append(text[start:i])
            start, used = i, 0
        used += c
    chunks.append(text[start:])
    return chunks


def deliver_sm_fields(spec: MoSpec, reference: int) -> list[dict[str, Any]]:
    """The deliver_sm fields, one dict per PDU, that carry `spec`."""
    coding = CODINGS[spec.coding]
    if coding == CODING_DEFAULT and not fits_gsm(spec.text):
        coding = CODING_UCS2   # as a handset would: an emoji forces UCS-2
    base = {"source_addr": spec.sender, "destination_addr": spec.recipient,
            "source_addr_ton": 1, "source_addr_npi": 1, "data_coding": coding}
    chunks = split_for_mo(spec.text, coding, spec.parts, spec.concat)
    payloads = [encode_for_coding(chunk, coding) for chunk in chunks]
    if spec.concat == "payload":
        return [dict(base, message_payload=payloads[0])]
    if len(payloads) == 1:
        return [dict(base, short_message=payloads[0])]
    total = len(payloads)
    out = []
    for seq, payload in enumerate(payloads, 1):
        if spec.concat == "sar":
            out.append(dict(base, short_message=payload, sar_msg_ref_num=reference & 0xFFFF,
                            sar_total_segments=total, sar_segment_seqnum=seq))
            continue
        if spec.concat == "udh16":
            udh = bytes([6, 0x08, 4, (reference >> 8) & 0xFF, reference & 0xFF, total, seq])
        else:
            udh = bytes([5, 0x00, 3, reference & 0xFF, total, seq])
        out.append(dict(base, esm_class=ESM_UDHI, short_message=udh + payload))
    return out


REGIONS = ("PekalonganKota", "PekalonganKab", "Semarang", "KotaBandung", "Surabaya",
           "JakartaSelatan", "Medan", "Makassar", "Bogor", "Sleman", "Denpasar",
           "Palembang", "Banyumas", "Malang", "Jateng")
ISSUES = ("Jalan rusak", "Lampu PJU mati", "Sampah menumpuk", "Banjir setiap hujan",
          "Pungli saat mengurus KTP", "Air PDAM tidak mengalir sejak 3 hari",
          "Jembatan ambrol", "Pelayanan puskesmas lambat", "Drainase tersumbat",
          "Bansos tidak tepat sasaran", "Sekolah meminta pungutan seragam")
PLACES = ("di Jl. Merdeka", "di Jl. Sudirman No. 12", "di Jl. Diponegoro",
          "di Gang Mawar RT 03/RW 05", "depan pasar", "di kelurahan Podosugih",
          "dekat SDN 2", "di Jl. Ahmad Yani km 4")
TAILS = ("Mohon segera ditindaklanjuti karena sudah berbulan-bulan tidak ada perbaikan "
         "dan membahayakan pengendara motor terutama pada malam hari. Warga sudah "
         "melapor ke kelurahan tetapi belum ada tanggapan sampai sekarang. Terima kasih.",
         "Kondisi ini sudah terjadi sejak awal tahun; anak-anak sekolah harus memutar "
         "jauh & pedagang kehilangan pembeli. Kami berharap dinas terkait [segera] turun "
         "ke lapangan untuk memeriksa langsung. Hormat kami, warga setempat.")
EMOJI = ("🙏", "😡", "🚧", "😢", "👍")


class ComplaintGenerator:
    """Made-up but plausible MOs; deterministic for a given seed."""

    def __init__(self, seed: int | None = None, long_share: float = 0.2,
                 ucs2_share: float = 0.15, concat: str = "udh8"):
        self.rng = random.Random(seed)
        self.long_share = long_share
        self.ucs2_share = ucs2_share
        self.concat = concat

    def sender(self) -> str:
        return "+628" + "".join(self.rng.choice("0123456789") for _ in range(self.rng.randint(8, 10)))

    def text(self) -> tuple[str, str]:
        """(text, coding)"""
        rng = self.rng
        text = f"{rng.choice(REGIONS)} {rng.choice(ISSUES)} {rng.choice(PLACES)}"
        if rng.random() < self.long_share:
            text += ". " + rng.choice(TAILS)
        if rng.random() < self.ucs2_share:
            return text + " " + rng.choice(EMOJI), "ucs2"
        return text, "gsm"

    def next(self) -> MoSpec:
        text, coding = self.text()
        return MoSpec(sender=self.sender(), text=text, coding=coding, concat=self.concat)
