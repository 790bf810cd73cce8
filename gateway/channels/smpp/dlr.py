"""SMSC delivery receipts: recognising them, reading them, and matching their ids.

A receipt says what became of a reply we submitted. SMSCs report it in TLVs
(`receipted_message_id`, `message_state`), in the de-facto text form
``id:… sub:… dlvrd:… submit date:… done date:… stat:… err:… text:…``, or both, and
not always consistently: keys in either case, fields missing, extra spaces, and the
message id in decimal when `submit_sm_resp` gave it in hex (seen in the field). TLVs are
trusted first, the text fills what they lack.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Mapping

from gateway.channels.smpp.constants import (
    ESM_INTERMEDIATE_NOTIFICATION,
    ESM_MESSAGE_TYPE_MASK,
    ESM_SME_DELIVERY_ACK,
    ESM_SMSC_DELIVERY_RECEIPT,
    MESSAGE_STATES,
)

FINAL_STATES = frozenset({"DELIVRD", "UNDELIV", "EXPIRED", "REJECTD", "DELETED", "UNKNOWN"})
# Words some SMSCs use instead of the SMPP 3.4 abbreviations
_STATUS_ALIASES = {
    "DELIVERED": "DELIVRD", "UNDELIVERABLE": "UNDELIV", "REJECTED": "REJECTD",
    "ACCEPTED": "ACCEPTD", "ENROUTE": "ENROUTE", "FAILED": "UNDELIV", "ACKED": "ACCEPTD",
}
_RECEIPT_TYPES = (ESM_SMSC_DELIVERY_RECEIPT, ESM_SME_DELIVERY_ACK, ESM_INTERMEDIATE_NOTIFICATION)
_KEYS = r"id|sub|dlvrd|submit\s*date|done\s*date|stat|err|text"
_KEY_RE = re.compile(rf"(?i)(?<![a-z])({_KEYS})\s*:")


@dataclass(frozen=True)
class DeliveryReceipt:
    message_id: str          # as the SMSC wrote it; match with `normalise_message_id`
    status: str              # DELIVRD, UNDELIV, EXPIRED, REJECTD, DELETED, UNKNOWN, ENROUTE, ACCEPTD
    error: str | None
    final: bool
    delivered: bool
    submit_date: str | None = None
    done_date: str | None = None


def is_receipt(esm_class: int | None) -> bool:
    """Whether a deliver_sm with this esm_class is a receipt rather than a citizen's MO."""
    return ((esm_class or 0) & ESM_MESSAGE_TYPE_MASK) in _RECEIPT_TYPES


def parse_receipt_text(text: str) -> dict[str, str]:
    """The key:value pairs of a receipt text, keys lower-case with single spaces.
    `text:` runs to the end (the original message may contain anything)."""
    found = list(_KEY_RE.finditer(text))
    values: dict[str, str] = {}
    for i, match in enumerate(found):
        key = match.group(1).lower()
        if not key.isalpha():
            key = " ".join(key.split())   # "submit  date" → "submit date"
        if key == "text":
            values[key] = text[match.end():].strip()
            break
        end = found[i + 1].start() if i + 1 < len(found) else len(text)
        values.setdefault(key, text[match.end():end].strip())
    return values


def _status_word(word: str | None) -> str | None:
    if not word:
        return None
    word = word.strip().upper()
    return _STATUS_ALIASES.get(word, word)


def _network_error(value: Any) -> str | None:
    # network_error_code TLV: 1 octet network type, 2 octets error code
    if isinstance(value, (bytes, bytearray)) and len(value) == 3:
        return str(int.from_bytes(value[1:], "big"))
    return None


def parse_receipt(fields: Mapping[str, Any], text: str | bytes | None = None) -> DeliveryReceipt | None:
    """A receipt from a deliver_sm's fields; None when it names no message id.
    `text` defaults to the short_message (receipt texts are ASCII)."""
    if text is None:
        text = fields.get("short_message") or fields.get("message_payload") or b""
    if isinstance(text, (bytes, bytearray)):
        text = bytes(text).decode("latin-1")
    parsed = parse_receipt_text(text)
    message_id = (fields.get("receipted_message_id") or "").strip() or parsed.get("id", "")
    if not message_id:
        return None
    state = fields.get("message_state")
    status = MESSAGE_STATES.get(state) if state is not None else None
    status = status or _status_word(parsed.get("stat")) or "UNKNOWN"
    error = _network_error(fields.get("network_error_code")) or parsed.get("err") or None
    return DeliveryReceipt(
        message_id=message_id,
        status=status,
        error=error,
        final=status in FINAL_STATES,
        delivered=status == "DELIVRD",
        submit_date=parsed.get("submit date"),
        done_date=parsed.get("done date"),
    )


def normalise_message_id(message_id: str | bytes) -> str:
    """The canonical form of an SMSC message id: trimmed, NULs dropped, lower case,
    leading zeros removed ("0A1B" and "0a1b" -> "a1b"; "000" -> "0").

    Use it for the id a receipt reports; look it up among the keys
    `message_id_keys` gave for the id `submit_sm_resp` returned.
    """
    if isinstance(message_id, (bytes, bytearray)):
        message_id = bytes(message_id).decode("latin-1")
    canonical = message_id.replace("\0", "").strip().lower()
    return canonical.lstrip("0") or ("0" if canonical else "")


def message_id_keys(message_id: str | bytes) -> frozenset[str]:
    """Every form under which a receipt may name the id `submit_sm_resp` returned:
    the canonical form, its decimal value when it reads as hex, and its hex value when
    it reads as decimal. Store all; match a receipt's `normalise_message_id` to any.

    "0A1B" -> {"a1b", "2587"}; "2587" -> {"2587", "9607", "a1b"}.
    """
    canonical = normalise_message_id(message_id)
    keys = {canonical} if canonical else set()
    if re.fullmatch(r"[0-9a-f]{1,16}", canonical):
        keys.add(str(int(canonical, 16)))
    if re.fullmatch(r"[0-9]{1,20}", canonical):
        keys.add(format(int(canonical), "x"))
    return frozenset(keys)


def ids_match(submitted: str | bytes, reported: str | bytes) -> bool:
    """Whether a receipt's id names the message submit_sm_resp called `submitted`."""
    return normalise_message_id(reported) in message_id_keys(submitted)
