"""Reassembly of long SMS: which part of which message a deliver_sm is, and joining
the parts once all have arrived (or what arrived, flagged partial, on timeout).

A short code receives every MO on the same recipient, so parts are keyed on
(account, sender, recipient, reference, total): two senders using the same reference
never mix (Jasmin's fatal bug, which ignores the sender). The account is the bind's
system_id, not the bind: an SMSC spreads the MOs of one account — parts of one message
too — over all its binds, and those may belong to several gateway instances. Concatenation can be signalled by an
8-bit (IEI 0x00) or 16-bit (IEI 0x08) UDH, by SAR TLVs, or not at all because the
whole text came in `message_payload`. Parts may arrive in any order and more than
once. Raw bytes are joined per data_coding before decoding, so a GSM escape or a
UTF-16 surrogate pair that a sloppy sender split across parts survives.

This module holds parts in memory only; `inbound.py` stores each part before it is
acknowledged and restores the reassemblers from the database after a restart.
"""
from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any, Callable, Iterable, Mapping

from gateway.channels.smpp.constants import ESM_UDHI
from gateway.channels.smpp.text import decode_text

GAP_MARKER = " [...] "   # stands for missing parts in a partial message

PartKey = tuple[str, str, str, int, int]   # (account, sender, recipient, reference, total)


@dataclass(frozen=True)
class Segment:
    """One part of a (possibly single-part) message; `payload` has no UDH."""

    key: PartKey
    ref: int
    total: int
    seqnum: int
    payload: bytes
    data_coding: int

    @property
    def single(self) -> bool:
        return self.total == 1


def _udh_concat(udh: bytes) -> tuple[int, int, int] | None:
    """(reference, total, seqnum) from the information elements of a UDH."""
    pos = 0
    while pos + 2 <= len(udh):  # each element advances pos by >= 2
        iei, length = udh[pos], udh[pos + 1]
        data = udh[pos + 2:pos + 2 + length]
        pos += 2 + length
        if iei == 0x00 and length == 3 and len(data) == 3:
            return data[0], data[1], data[2]
        if iei == 0x08 and length == 4 and len(data) == 4:
            return (data[0] << 8) | data[1], data[2], data[3]
    return None


def split_udh(user_data: bytes) -> tuple[bytes, bytes] | None:
    """(udh without its length octet, rest) or None when the UDH length is impossible."""
    if not user_data:
        return None
    udhl = user_data[0]
    if 1 + udhl > len(user_data):
        return None
    return user_data[1:1 + udhl], user_data[1 + udhl:]


def segment_of(fields: Mapping[str, Any], account: str) -> Segment:
    """The Segment a deliver_sm (its decoded fields) carries, received on a bind of
    `account`. Anything without usable concatenation info is a whole message (total 1),
    never dropped."""
    sender = fields.get("source_addr") or ""
    recipient = fields.get("destination_addr") or ""
    coding = fields.get("data_coding") or 0
    user_data = fields.get("message_payload") or fields.get("short_message") or b""
    ref, total, seqnum = 0, 1, 1
    if (fields.get("esm_class") or 0) & ESM_UDHI:
        parsed = split_udh(user_data)
        if parsed is not None:
            udh, user_data = parsed
            ref, total, seqnum = _udh_concat(udh) or (0, 1, 1)
    elif fields.get("sar_total_segments"):
        ref = fields.get("sar_msg_ref_num") or 0
        total = fields["sar_total_segments"]
        seqnum = fields.get("sar_segment_seqnum") or 0
    if total < 1 or not 1 <= seqnum <= total:
        ref, total, seqnum = 0, 1, 1   # nonsense numbering: keep the bytes as one message
    key = (account, sender, recipient, ref if total > 1 else 0, total)
    return Segment(key, ref, total, seqnum, bytes(user_data), coding)


@dataclass(frozen=True)
class AssembledMessage:
    """A whole message, or on timeout what arrived of it (`partial`, `missing`)."""

    key: PartKey
    text: str
    total: int
    seqnums: tuple[int, ...]
    first_seen: float
    partial: bool = False
    missing: tuple[int, ...] = ()
    undecodable: bool = False
    raw_hex: str | None = None
    #: what the text itself calls for: "empty" (nothing to read), and decode_text's
    #: "invalid_utf16" / "control_chars"
    flags: tuple[str, ...] = ()

    @property
    def sender(self) -> str:
        return self.key[1]

    @property
    def recipient(self) -> str:
        return self.key[2]


def assemble(segments: Iterable[Segment], first_seen: float = 0.0,
             default_alphabet: str = "gsm") -> AssembledMessage:
    """Join parts in seqnum order; runs of consecutive parts with one data_coding are
    joined as bytes before decoding, gaps become GAP_MARKER."""
    parts = sorted({s.seqnum: s for s in segments}.values(), key=lambda s: s.seqnum)
    if not parts:
        raise ValueError("nothing to assemble")
    total = parts[0].total
    runs: list[list[Segment]] = []
    for seg in parts:
        last = runs[-1][-1] if runs else None
        if last and last.seqnum + 1 == seg.seqnum and last.data_coding == seg.data_coding:
            runs[-1].append(seg)
        else:
            runs.append([seg])
    texts, raw, keep_raw, flags = [], [], False, {}
    undecodable = False
    for run in runs:
        payload = b"".join(s.payload for s in run)
        decoded = decode_text(payload, run[0].data_coding, default_alphabet)
        undecodable = undecodable or decoded.undecodable
        keep_raw = keep_raw or decoded.raw_hex is not None
        flags.update(dict.fromkeys(decoded.flags))
        texts.append(decoded.text if not decoded.undecodable else "")
        raw.append(payload.hex())
    seqnums = tuple(s.seqnum for s in parts)
    missing = tuple(n for n in range(1, total + 1) if n not in seqnums)
    text = _join_runs(texts, runs, missing)
    if not text and not undecodable:
        flags = {"empty": None, **flags}   # the citizen sent nothing: still a complaint
    return AssembledMessage(
        parts[0].key, text, total, seqnums, first_seen, partial=bool(missing),
        missing=missing, undecodable=undecodable,
        raw_hex="".join(raw) if keep_raw else None, flags=tuple(flags))


def _join_runs(texts: list[str], runs: list[list[Segment]], missing: tuple[int, ...]) -> str:
    out = []
    if runs[0][0].seqnum != 1:
        out.append(GAP_MARKER.lstrip())
    for i, text in enumerate(texts):
        if i:
            gap = runs[i][0].seqnum != runs[i - 1][-1].seqnum + 1
            out.append(GAP_MARKER if gap else "")
        out.append(text)
    if missing and missing[-1] > runs[-1][-1].seqnum:
        out.append(GAP_MARKER.rstrip())
    return "".join(out)


@dataclass
class _Pending:
    first_seen: float
    parts: dict[int, Segment]
    completed_at: float | None = None


class Reassembler:
    """Parts of long messages waiting for their siblings, in memory.

    The ESME keeps it in step with its database, committing before acknowledging:

    1. `is_duplicate(seg)`: the part is already stored (SMSC delivering again): ack.
    2. `msg = add(seg)`: None means the part is held: store it, then ack. A message
       means it was the last part: commit the message and delete its stored parts in
       one transaction, then ack.
    3. If that commit fails, `undo(seg)` before answering a temporary error, so the
       SMSC's next delivery of the part is not taken for a duplicate.
    4. Periodically `expired(now, timeout)`: commit each partial message and delete
       its parts. At start, `restore(stored parts)`.

    Completed messages are remembered for `completed_memory` seconds so a part
    delivered again after completion is recognised rather than starting a new,
    forever-partial message.
    """

    def __init__(self, default_alphabet: str = "gsm", completed_memory: float = 600.0,
                 now: Callable[[], float] = time.time):
        self.default_alphabet = default_alphabet
        self.completed_memory = completed_memory
        self._now = now
        self._pending: dict[PartKey, _Pending] = {}
        self._completed: dict[PartKey, _Pending] = {}

    def __len__(self) -> int:
        return len(self._pending)

    def is_duplicate(self, segment: Segment, now: float | None = None) -> bool:
        if segment.single:
            return False   # whole messages are deduplicated by the database
        now = self._now() if now is None else now
        pending = self._pending.get(segment.key)
        if pending and segment.seqnum in pending.parts:
            return True
        done = self._completed.get(segment.key)
        return bool(done and now - done.completed_at < self.completed_memory
                    and segment.seqnum in done.parts)

    def add(self, segment: Segment, now: float | None = None) -> AssembledMessage | None:
        """The whole message when `segment` completes it, else None (held or duplicate).
        A single-part segment is returned as a message at once and never held."""
        now = self._now() if now is None else now
        if segment.single:
            return assemble([segment], now, self.default_alphabet)
        if self.is_duplicate(segment, now):
            return None
        self._forget_completed(now)
        self._completed.pop(segment.key, None)   # an old message reusing the reference
        pending = self._pending.setdefault(segment.key, _Pending(now, {}))
        pending.parts[segment.seqnum] = segment
        if len(pending.parts) < segment.total:
            return None
        del self._pending[segment.key]
        pending.completed_at = now
        self._completed[segment.key] = pending
        return assemble(pending.parts.values(), pending.first_seen, self.default_alphabet)

    def undo(self, segment: Segment) -> None:
        """Forget that `segment` arrived (its commit failed); reopens a completed message."""
        done = self._completed.pop(segment.key, None)
        if done is not None and segment.seqnum in done.parts:
            done.completed_at = None
            self._pending[segment.key] = done
        pending = self._pending.get(segment.key)
        if pending is not None:
            pending.parts.pop(segment.seqnum, None)
            if not pending.parts:
                del self._pending[segment.key]

    def expired(self, now: float, timeout: float) -> list[AssembledMessage]:
        """Messages whose first part is older than `timeout`: what arrived, flagged
        partial, gaps marked. They are forgotten here."""
        old = [k for k, p in self._pending.items() if now - p.first_seen >= timeout]
        out = []
        for key in old:
            pending = self._pending.pop(key)
            out.append(assemble(pending.parts.values(), pending.first_seen, self.default_alphabet))
        return out

    def forget(self, key: PartKey, now: float | None = None) -> None:
        """Its message was committed from the database (its parts came through several
        binds or instances): hold nothing more of it, but know a late copy of its parts."""
        pending = self._pending.pop(key, None) or _Pending(self._now() if now is None else now, {})
        pending.completed_at = self._now() if now is None else now
        self._completed.pop(key, None)
        self._completed[key] = pending

    def restore(self, segments: Iterable[tuple[Segment, float]]) -> list[AssembledMessage]:
        """Reload stored parts (segment, received_at) at start. Returns the messages
        that are already complete (a crash between the last part and its commit)."""
        for segment, received_at in segments:
            pending = self._pending.setdefault(segment.key, _Pending(received_at, {}))
            pending.first_seen = min(pending.first_seen, received_at)
            pending.parts.setdefault(segment.seqnum, segment)
        done = [k for k, p in self._pending.items() if len(p.parts) >= k[4]]
        return [self._assemble_pending(k)
                for k in done]

    def _forget_completed(self, now: float) -> None:
        # The dict is in completion order (a message completed again is re-inserted), so
        # the stale ones are at the front: stop at the first fresh one instead of scanning
        # every completed message on every part (measured: a scan per part under load).
        while self._completed:
            key = next(iter(self._completed))
            if now - (self._completed[key].completed_at or 0.0) < self.completed_memory:
                break
            del self._completed[key]

    def _assemble_pending(self, key: PartKey) -> AssembledMessage:
        pending = self._pending.pop(key)
        return assemble(pending.parts.values(), pending.first_seen, self.default_alphabet)
