"""Whether an SMS reply can be addressed at all: the checks the sender side makes
before a submit_sm, so a reply the SMSC must refuse (or cannot deliver) is not sent.

Why here and pure: the answer depends only on what the inbound side recorded
(`reply_context`, see inbound.py) and on SMPP's limits, and outbound.py calls it
before committing an attempt. An address that fails is a permanent condition — the
same reply would fail the same way — so the caller gives the reply up, visibly,
rather than retrying it.
"""
from __future__ import annotations

import re

#: destination_addr is a C-string of at most 21 octets, its NUL included
MAX_ADDRESS_LENGTH = 20
#: type_of_number 5: the sender is a name ("BANK-XYZ"), which no handset can answer
TON_ALPHANUMERIC = 5
_NUMBER = re.compile(r"\+?[0-9]+")


def reply_address(recipient: str | None, reply_context: dict) -> str:
    """The destination_addr a reply goes to: the sender's source_addr exactly as the
    SMSC gave it (`reply_to`), else the stored sender without its "+" (as outbound.py
    does)."""
    return reply_context.get("reply_to") or (recipient or "").lstrip("+")


def reply_address_problem(recipient: str | None, reply_context: dict) -> str | None:
    """Why an SMS reply to this sender must not be sent, or None when it may.

    `recipient` is the reply's recipient (the message's normalised sender) and
    `reply_context` the context inbound.py stored with the message (`reply_to`,
    `dest_addr_ton`, `source_addr`)."""
    context = reply_context or {}
    address = reply_address(recipient, context)
    if not address:
        return "empty sender address"
    if context.get("dest_addr_ton") == TON_ALPHANUMERIC:
        return "alphanumeric sender (type_of_number 5) cannot receive an SMS"
    if not _NUMBER.fullmatch(address):
        return "sender address is not a number"
    if len(address) > MAX_ADDRESS_LENGTH:
        return (f"sender address longer than {MAX_ADDRESS_LENGTH} characters (SMPP"
                f" destination_addr is a 21-octet C-string)")
    if address == context.get("source_addr"):
        return "sender is our own short code (a reply would loop)"
    if len(context.get("source_addr") or "") > MAX_ADDRESS_LENGTH:
        # the address the MO came to, our reply's source_addr: no submit_sm can carry it
        return (f"our address (the message's destination) is longer than"
                f" {MAX_ADDRESS_LENGTH} characters")
    return None
