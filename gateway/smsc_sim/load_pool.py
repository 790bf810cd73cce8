"""The load mode's MOs: a pool of pre-encoded deliver_sm, one per complaint text, from
which MO number n is made by copying a template and patching two things in place —
the sequence number and the sender's 8-digit counter.

Why a pool: encoding costs far more than copying, and a load generator that encodes
each PDU measures itself. Why a distinct sender per MO (62812 + the 8-digit MO number):
the reply to an MO goes to the MO's sender, so the submit_sm's destination_addr tells
which MO it answers (`mo_number`), whatever the ESME keeps in between.

The texts are ComplaintGenerator's (a region keyword, an issue, a place, a fifth with
a long tail), cut at a word to one GSM 03.38 segment (160 septets): realistic and of
varied length, single-segment so that one MO is one deliver_sm.
"""
from __future__ import annotations

from gateway.channels.smpp.constants import CODING_DEFAULT
from gateway.channels.smpp.text import encode_gsm, gsm_cost
from gateway.smsc_sim import fastpdu
from gateway.smsc_sim.mo import ComplaintGenerator

SENDER_PREFIX = "62812"
COUNTER_DIGITS = 8
MAX_MOS = 10 ** COUNTER_DIGITS
SHORT_CODE = "1708"
TON_INTERNATIONAL = NPI_ISDN = 1
SINGLE_SEGMENT_SEPTETS = 160


def sender(number: int) -> str:
    """The sender address of MO `number`."""
    return f"{SENDER_PREFIX}{number:0{COUNTER_DIGITS}d}"


def mo_number(address: str) -> int | None:
    """The MO a reply to `address` answers, or None if it is no load-mode sender.
    A "+" in front (an ESME that stores numbers in E.164) is ignored."""
    digits = address[1:] if address.startswith("+") else address
    if len(digits) != len(SENDER_PREFIX) + COUNTER_DIGITS or not digits.startswith(SENDER_PREFIX):
        return None
    tail = digits[len(SENDER_PREFIX):]
    return int(tail) if tail.isdigit() else None


def one_segment(text: str) -> str:
    """`text` cut at a word so that it fits one GSM segment; characters outside
    GSM 03.38 are dropped (the pool is GSM by design)."""
    kept, used = [], 0
    for char in text:
        cost = gsm_cost(char)
        if cost is None:
            continue
        if used + cost > SINGLE_SEGMENT_SEPTETS:
            cut = "".join(kept)
            return cut.rsplit(" ", 1)[0] if " " in cut else cut
        kept.append(char)
        used += cost
    return "".join(kept)


def complaint_texts(size: int, seed: int | None) -> list[str]:
    """`size` realistic complaint texts, deterministic for a seed."""
    generator = ComplaintGenerator(seed=seed, long_share=0.2, ucs2_share=0.0)
    return [one_segment(generator.text()[0]) for _ in range(size)]


class MoPool:
    """Pre-encoded MO deliver_sm; `pdu(n, sequence)` is MO n ready to write."""

    def __init__(self, size: int = 512, seed: int | None = 1708):
        self.texts = complaint_texts(max(1, size), seed)
        self.templates: list[bytes] = []
        placeholder = sender(0)
        for text in self.texts:
            template = fastpdu.deliver_sm(
                0, source_addr=placeholder, destination_addr=SHORT_CODE,
                source_addr_ton=TON_INTERNATIONAL, source_addr_npi=NPI_ISDN,
                data_coding=CODING_DEFAULT, short_message=encode_gsm(text))
            self.templates.append(template)
        # The same layout up to the sender in every template: one offset serves all.
        self.counter_offset = self.templates[0].index(placeholder.encode(), 16) + len(SENDER_PREFIX)

    def text(self, number: int) -> str:
        return self.texts[number % len(self.texts)]

    def pdu(self, number: int, sequence: int) -> bytearray:
        """MO `number` (0 <= number < 10**8) with `sequence`, as bytes to write."""
        data = bytearray(self.templates[number % len(self.templates)])
        fastpdu.patch_sequence(data, sequence)
        at = self.counter_offset
        data[at:at + COUNTER_DIGITS] = b"%08d" % number
        return data
