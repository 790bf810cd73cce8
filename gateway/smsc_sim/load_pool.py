"""The load mode's MOs: a pool of pre-encoded deliver_sm, one per complaint text, from
which MO number n is made by copying a template and patching two things in place —
the sequence number and the sender's 8-digit counter.

Why a pool: encoding costs far more than copying, and a load generator that encodes
each PDU measures itself. Why a distinct sender per MO (62812 + the 8-digit MO number):
the reply to an MO goes to the MO's sender, so the submit_sm's destination_addr tells
which MO it answers (`mo_number`), whatever the ESME keeps in between.

The texts are ComplaintGenerator's (a region keyword, an issue, a place, a fifth with
a long tail), cut at a word to one GSM 03.38 segment (160 septets): realistic and of
varied length, single-segment so that one MO is one deliver_sm. A run may ask for a
share of long MOs (`part_counts`): those come from a second, smaller pool of texts
that need exactly 2 or 3 parts, each part a deliver_sm with an 8-bit concatenation
UDH whose reference is patched per MO too.
"""
from __future__ import annotations

import random

from gateway.channels.smpp.constants import CODING_DEFAULT, ESM_UDHI
from gateway.channels.smpp.text import encode_gsm, gsm_cost
from gateway.smsc_sim import fastpdu
from gateway.smsc_sim.mo import TAILS, ComplaintGenerator, split_for_mo

SENDER_PREFIX = "62812"
COUNTER_DIGITS = 8
MAX_MOS = 10 ** COUNTER_DIGITS
SHORT_CODE = "1708"
TON_INTERNATIONAL = NPI_ISDN = 1
SINGLE_SEGMENT_SEPTETS = 160
PART_SEPTETS = 153            # a part behind an 8-bit concatenation UDH
LONG_PARTS = (2, 3)           # the sizes of the long MOs a run may ask for


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
    return within(text, SINGLE_SEGMENT_SEPTETS)


def within(text: str, septets: int) -> str:
    """`text` without the characters outside GSM 03.38, cut at a word to `septets`."""
    kept, used = [], 0
    for char in text:
        cost = gsm_cost(char)
        if cost is None:
            continue
        if used + cost > septets:
            cut = "".join(kept)
            return cut.rsplit(" ", 1)[0] if " " in cut else cut
        kept.append(char)
        used += cost
    return "".join(kept)


def complaint_texts(size: int, seed: int | None) -> list[str]:
    """`size` realistic complaint texts, deterministic for a seed."""
    generator = ComplaintGenerator(seed=seed, long_share=0.2, ucs2_share=0.0)
    return [one_segment(generator.text()[0]) for _ in range(size)]


def long_texts(size: int, parts: int, seed: int | None) -> list[str]:
    """`size` complaint texts of GSM 03.38 characters that need exactly `parts` parts
    (a complaint with its tail, more tails until it is long enough, cut at a word)."""
    generator = ComplaintGenerator(seed=seed, long_share=1.0, ucs2_share=0.0)
    texts = []
    for _ in range(size):
        text = within(generator.text()[0], parts * PART_SEPTETS)
        while _septets(text) <= max(SINGLE_SEGMENT_SEPTETS, (parts - 1) * PART_SEPTETS):
            text = within(text + " " + generator.rng.choice(TAILS), parts * PART_SEPTETS)
        texts.append(text)
    return texts


def _septets(text: str) -> int:
    return sum(gsm_cost(char) or 0 for char in text)


def part_counts(count: int, long_share: float, seed: int | None) -> bytearray | None:
    """How many parts each of MOs 0..count-1 has: a `long_share` of them 2 or 3
    (deterministic for a seed), the rest 1; None when none is long."""
    if long_share <= 0:
        return None
    rng = random.Random(seed)
    return bytearray(rng.choice(LONG_PARTS) if rng.random() < long_share else 1
                     for _ in range(count))


def _template(short_message: bytes, esm_class: int = 0) -> bytes:
    return fastpdu.deliver_sm(
        0, source_addr=sender(0), destination_addr=SHORT_CODE, source_addr_ton=TON_INTERNATIONAL,
        source_addr_npi=NPI_ISDN, esm_class=esm_class, data_coding=CODING_DEFAULT,
        short_message=short_message)


class MoPool:
    """Pre-encoded MO deliver_sm; `pdu(n, sequence)` is MO n ready to write, and
    `pdu(n, sequence, part, parts)` part `part` (0-based) of MO n as a long MO of
    `parts` parts."""

    def __init__(self, size: int = 512, seed: int | None = 1708):
        self.texts = complaint_texts(max(1, size), seed)
        self.templates: list[bytes] = [_template(encode_gsm(text)) for text in self.texts]
        # The same layout up to the sender in every template: one offset serves all.
        placeholder = sender(0).encode()
        self.counter_offset = self.templates[0].index(placeholder, 16) + len(SENDER_PREFIX)
        long_seed = None if seed is None else seed + 1
        self.long_texts = {parts: long_texts(max(1, size // 8), parts, long_seed)
                           for parts in LONG_PARTS}
        #: per size, per text: each part's template and where its UDH reference sits
        self.long_templates = {parts: [self._parts(text) for text in texts]
                               for parts, texts in self.long_texts.items()}

    @staticmethod
    def _parts(text: str) -> list[tuple[bytes, int]]:
        chunks = split_for_mo(text, CODING_DEFAULT, None, "udh8")
        out = []
        for seq, chunk in enumerate(chunks, 1):
            message = bytes([5, 0x00, 3, 0, len(chunks), seq]) + encode_gsm(chunk)
            template = _template(message, ESM_UDHI)
            out.append((template, len(template) - len(message) + 3))
        return out

    def text(self, number: int, parts: int = 1) -> str:
        texts = self.texts if parts == 1 else self.long_texts[parts]
        return texts[number % len(texts)]

    def pdu(self, number: int, sequence: int, part: int = 0, parts: int = 1) -> bytearray:
        """MO `number` (0 <= number < 10**8) with `sequence`, as bytes to write."""
        if parts == 1:
            data = bytearray(self.templates[number % len(self.templates)])
        else:
            sizes = self.long_templates[parts]
            template, reference_at = sizes[number % len(sizes)][part]
            data = bytearray(template)
            data[reference_at] = number & 0xFF
        fastpdu.patch_sequence(data, sequence)
        at = self.counter_offset
        data[at:at + COUNTER_DIGITS] = b"%08d" % number
        return data
